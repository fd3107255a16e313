"""``rcwork synthesize``: problems in, reflection records out (see rcwork.synthesis.run).

Every flag is a field of :class:`rcwork.synthesis.run.SynthesisConfig`; ``--config PROFILE``
(``demo``, ``ci``, ``gpu`` or a .toml file) starts from a profile's ``[synthesize]`` table::

    rcwork synthesize --config demo --output_dir runs/syn

    rcwork synthesize --problems data/problems --num_problems 20 --output_dir runs/synthesize \\
        --teacher_backend transformers --teacher_model embedded --max_new_tokens 384

    # any OpenAI-compatible server; the key is read from $OPENAI_API_KEY (never logged)
    rcwork synthesize --teacher_backend openai --base_url http://127.0.0.1:8000/v1 \\
        --teacher_model Qwen/Qwen2.5-Coder-7B-Instruct ...

Rerunning the same command after a crash or a kill resumes: finished problems are skipped.
"""

from __future__ import annotations

import logging
import os

from rcwork.stages import parse_cli, run_cli


def main(argv: list[str]) -> int:
    from rcwork.synthesis.run import SynthesisConfig, format_summary, run_synthesis

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def run() -> int:
        cfg = parse_cli(SynthesisConfig, argv, prog="rcwork synthesize", stage="synthesize",
                        description=__doc__)
        if cfg.teacher_backend == "transformers" and cfg.threads:
            os.environ.setdefault("OMP_NUM_THREADS", str(cfg.threads))
        summary = run_synthesis(cfg)
        print(format_summary(summary))
        out = cfg.output_dir
        print(f"records in {out}/kept and {out}/filtered; summary in {out}/summary.json")
        return 1 if summary.errors else 0

    return run_cli("rcwork synthesize", run)
