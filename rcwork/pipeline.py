"""``rcwork pipeline``: the lessons run headless, in order, then the HTML report (``make run``).

The stages are a registry (:data:`STAGES`): each entry names the lesson notebook papermill runs
(or, for the sweep, the function that runs many), its config's stage name, the overrides the run
folder adds (output folders, the files an earlier stage wrote), its output folder, and the
report section drawn from that folder — so adding a stage is one entry.  Everything else comes
from the *profile*, a file in ``configs/profiles/`` (``demo``: the embedded model on a 2-core
CPU, the measured time is in the README; ``ci``: the tiny model, a couple of minutes; ``gpu``:
every problem, the whole benchmark, longer schedules), read by :mod:`rcwork.stages` exactly as a
lesson or a stage CLI reads it: a lesson run by the pipeline gets ``profile`` and the run
folder's overrides, nothing more.  Stages hand each other files, never memory: synthesis writes records,
distillation reads the seed records and the records synthesis kept and writes a checkpoint,
evaluation scores the base model and the checkpoint, the sweep trains and measures many small
variants, reinforcement trains with GRPO.

A run is resumable: ``pipeline.json`` in the run folder records each finished stage, and a rerun
skips those (``--force`` reruns everything).  Synthesis and the sweep resume inside their stage.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rcwork.paths import SEED_RECORDS, project_path
from rcwork.display.distill import distill_section
from rcwork.display.evaluation import evaluation_section
from rcwork.display.synthesis import synthesis_section
from rcwork.report import Section, build_report
from rcwork.runner import run_stage
from rcwork.stage_files import PipelineRecord
from rcwork.stages import STAGE_DEFS, profile_file, profile_names, stage_config


@dataclass(frozen=True)
class Stage:
    """One step of the main job.

    ``config`` names the stage (:data:`rcwork.stages.STAGE_DEFS`) the step runs;
    ``overrides(run_dir)`` is what the run folder adds to the profile's table for it.  The
    step runs through :func:`rcwork.runner.run_stage` with ``executor``: ``notebook`` (the
    lesson under papermill, kept for the report) or ``inline``; ``check`` looks at an inline
    stage's return value.  ``section`` draws the report section from ``run_dir / folder``.
    """

    name: str
    config: str
    overrides: Callable[[Path], dict[str, Any]]
    folder: str | None = None
    section: Callable[[Path], list[Any]] | None = None
    executor: str = "notebook"
    check: Callable[[Any], None] | None = None

    @property
    def notebook(self) -> str | None:
        """The lesson this step executes (None: it runs inline)."""
        return STAGE_DEFS[self.config].notebook if self.executor == "notebook" else None

    def build(self, run_dir: Path, profile: str) -> Any:
        """The config this stage runs with: what its lesson builds from the same parameters."""
        return stage_config(self.config, profile, self.overrides(run_dir))


def _sweep_finished(summary: dict[str, Any]) -> None:
    if summary["failed"]:
        raise RuntimeError(f"sweep points failed: {', '.join(summary['failed'])}")


def _sweep_section(d: Path) -> list[Any]:
    from rcwork.sweep.report import section

    return section(d)


def _reinforce_section(d: Path) -> list[Any]:
    from rcwork.display.reflexi import reinforce_section

    return reinforce_section(d)


STAGES: list[Stage] = [
    Stage("synthesize", "synthesize",
          lambda run: {"output_dir": str(run / "synthesize")}, "synthesize", synthesis_section),
    Stage("inspect", "inspect", lambda run: {}),
    Stage("masks", "masks", lambda run: {}),
    # Distillation trains on the seed records plus whatever synthesis kept (counted apart).
    Stage("distill", "distill",
          lambda run: {"output_dir": str(run / "distill"),
                       "data": [SEED_RECORDS, str(run / "synthesize" / "kept")]},
          "distill", distill_section),
    Stage("evaluate-base", "evaluate",
          lambda run: {"out_dir": str(run / "evaluate" / "base")}),
    Stage("evaluate-distilled", "evaluate",
          lambda run: {"model": str(run / "distill" / "model"),
                       "out_dir": str(run / "evaluate" / "distilled"),
                       "compare_to": str(run / "evaluate" / "base" / "results.json")},
          "evaluate", evaluation_section),
    Stage("sweep", "sweep", lambda run: {"sweep_dir": str(run / "sweep")},
          folder="sweep", section=_sweep_section, executor="inline", check=_sweep_finished),
    Stage("reinforce", "reinforce",
          lambda run: {"output_dir": str(run / "reinforce")}, "reinforce", _reinforce_section),
]


def report_sections() -> list[Section]:
    """The report's sections in page order: what the run answered, then one per stage."""
    from rcwork.display.answers import answers_section

    return [(answers_section, "."), *((s.section, s.folder) for s in STAGES
                                      if s.section and s.folder)]


def run_pipeline(profile: str, run_dir: str | Path, report: str | Path | None = None, *,
                 force: bool = False, only: list[str] | None = None) -> PipelineRecord:
    """Run the stages of ``profile`` into ``run_dir``; returns the pipeline record (also in
    ``pipeline.json``)."""
    profile_file(profile)  # an unknown profile fails here, before any stage runs
    run = project_path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    state = (None if force else PipelineRecord.read_if_exists(run)) or PipelineRecord(profile)
    if state.profile != profile:
        raise ValueError(f"{run} holds a {state.profile!r} run; use another --run-dir or "
                         f"--force")
    stages = state.stages
    for stage in STAGES:
        if only and stage.name not in only:
            continue
        if stages.get(stage.name, {}).get("status") == "done":
            print(f"[pipeline] {stage.name}: done already, skipped")
            continue
        print(f"[pipeline] {stage.name}: {stage.notebook or stage.executor}", flush=True)
        done = run_stage(stage.config, stage.overrides(run), profile=profile,
                         executor=stage.executor, notebook_dir=run / "notebooks" / stage.name)
        if stage.check is not None:
            stage.check(done.result)
        entry: dict[str, Any] = {"status": "done", "executor": done.executor}
        if done.notebook:
            entry["notebook"] = done.notebook
        stages[stage.name] = {**entry, "wall_s": round(done.wall_s, 1)}
        state.write(run)
        print(f"[pipeline] {stage.name}: {stages[stage.name]['wall_s']} s", flush=True)
    if report is not None:
        path = build_report(run, project_path(report), title=f"rcwork · {profile} run",
                            sections=report_sections())
        print(f"[pipeline] report: {path}")
    return state


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="demo",
                   help=f"a profile in configs/profiles/ ({', '.join(profile_names())}) or a "
                        f".toml file")
    p.add_argument("--run-dir", default="runs/main")
    p.add_argument("--report", default="reports/index.html")
    p.add_argument("--force", action="store_true", help="rerun stages that finished before")
    p.add_argument("--only", nargs="*", choices=[s.name for s in STAGES],
                   help="run only these stages")


def run(args: argparse.Namespace) -> int:
    run_pipeline(args.profile, args.run_dir, args.report, force=args.force, only=args.only)
    return 0
