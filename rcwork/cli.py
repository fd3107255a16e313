"""The ``rcwork`` command: one subcommand per pipeline stage.

A stage module exposes either ``main(argv) -> int`` (a stage whose flags come from its config
dataclass) or ``add_arguments(parser)`` and ``run(args) -> int``; it is imported only when its
subcommand runs, so ``rcwork evaluate`` does not pay for importing the trainer.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "synthesize": ("rcwork.synthesis.cli", "synthesize reflection sequences with a teacher"),
    "distill": ("rcwork.distill.cli", "train with dynamically masked reflection self-distillation"),
    "evaluate": ("rcwork.evaluation.cli", "generate and/or score samples, pass@k"),
    "pipeline": ("rcwork.pipeline", "run the notebooks headless in order and build the report"),
    "reinforce": ("rcwork.reflexi.cli", "GRPO on think/answer/reflection trajectories (ReflexiCoder)"),
    "sweep": ("rcwork.sweep.cli", "a grid of distillation runs from a spec; a registry of runs"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="rcwork", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        if hasattr(module, "main"):  # a stage that builds its own parser (HfArgumentParser)
            return int(module.main(argv[1:]) or 0)
        p = argparse.ArgumentParser(prog=f"rcwork {argv[0]}", description=COMMANDS[argv[0]][1])
        module.add_arguments(p)
        return int(module.run(p.parse_args(argv[1:])) or 0)
    parser.parse_args(argv)  # prints usage / errors for unknown commands
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
