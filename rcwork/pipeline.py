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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rcwork.paths import SEED_RECORDS, project_path
from rcwork.report import (Section, build_report, distill_section, evaluation_section,
                           synthesis_section)
from rcwork.runs import run_notebook
from rcwork.stage_files import PipelineRecord
from rcwork.stages import profile_file, profile_names, stage_config


@dataclass(frozen=True)
class Stage:
    """One step of the main job.

    ``config`` names the stage config (:data:`rcwork.stages.STAGE_CONFIGS`) the step builds;
    ``overrides(run_dir)`` is what the run folder adds to the profile's table for it.  A stage
    with a ``notebook`` is that lesson run by papermill with ``profile`` and those overrides; a
    stage without one calls ``run(config)``.  ``section`` draws the stage's report section from
    ``run_dir / folder``.
    """

    name: str
    notebook: str | None
    config: str
    overrides: Callable[[Path], dict[str, Any]]
    folder: str | None = None
    section: Callable[[Path], list[Any]] | None = None
    run: Callable[[Any], None] | None = None

    def build(self, run_dir: Path, profile: str) -> Any:
        """The config this stage runs with: what its lesson builds from the same parameters."""
        return stage_config(self.config, profile, self.overrides(run_dir))


def _run_sweep(cfg: Any) -> None:
    from rcwork.sweep import run_sweep

    summary = run_sweep(cfg)
    if summary["failed"]:
        raise RuntimeError(f"sweep points failed: {', '.join(summary['failed'])}")


def _sweep_section(d: Path) -> list[Any]:
    from rcwork.sweep_report import section

    return section(d)


def _reinforce_section(d: Path) -> list[Any]:
    from rcwork.reflexi.report import section

    return section(d)


STAGES: list[Stage] = [
    Stage("synthesize", "01_synthesize", "synthesize",
          lambda run: {"output_dir": str(run / "synthesize")}, "synthesize", synthesis_section),
    Stage("inspect", "02_inspect", "inspect", lambda run: {}),
    Stage("masks", "03_mask_visualize", "masks", lambda run: {}),
    # Distillation trains on the seed records plus whatever synthesis kept (counted apart).
    Stage("distill", "04_distill", "distill",
          lambda run: {"output_dir": str(run / "distill"),
                       "data": [SEED_RECORDS, str(run / "synthesize" / "kept")]},
          "distill", distill_section),
    Stage("evaluate-base", "05_evaluate", "evaluate",
          lambda run: {"out_dir": str(run / "evaluate" / "base")}),
    Stage("evaluate-distilled", "05_evaluate", "evaluate",
          lambda run: {"model": str(run / "distill" / "model"),
                       "out_dir": str(run / "evaluate" / "distilled"),
                       "compare_to": str(run / "evaluate" / "base" / "results.json")},
          "evaluate", evaluation_section),
    Stage("sweep", None, "sweep", lambda run: {"sweep_dir": str(run / "sweep")},
          folder="sweep", section=_sweep_section, run=_run_sweep),
    Stage("reinforce", "06_reinforce", "reinforce",
          lambda run: {"output_dir": str(run / "reinforce")}, "reinforce", _reinforce_section),
]


def report_sections() -> list[Section]:
    return [(s.section, s.folder) for s in STAGES if s.section and s.folder]


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
        print(f"[pipeline] {stage.name}: {stage.notebook or 'run'}", flush=True)
        t0 = time.perf_counter()
        entry: dict[str, Any] = {"status": "done"}
        if stage.notebook is not None:
            out_dir = run / "notebooks" / stage.name
            run_notebook(stage.notebook, out_dir,
                         {"profile": profile, "config": stage.overrides(run)}, log_output=False)
            entry["notebook"] = str(out_dir / f"{stage.notebook}.ipynb")
        else:
            stage.run(stage.build(run, profile))
        stages[stage.name] = {**entry, "wall_s": round(time.perf_counter() - t0, 1)}
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
