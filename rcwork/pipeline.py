"""``rcwork pipeline``: the lessons run headless, in order, then the HTML report (``make run``).

The stages are a registry (:data:`STAGES`): each entry names the lesson notebook papermill runs
(or, for the sweep, the function that runs many), how its parameters come from the run folder and
the *profile*, its output folder, and the report section drawn from that folder — so adding a
stage is one entry.  Profiles: ``demo`` (the embedded model on a 2-core CPU, the measured time
is in the README), ``ci`` (the tiny model, a couple of minutes), ``gpu`` (every problem, the
whole benchmark, longer schedules).  A profile's entries are overrides of each stage's config
dataclass (``SynthesisConfig``, ``DistillConfig``, ``EvaluateConfig``, ``SweepConfig``,
``ReinforceConfig``).  Stages hand each other files, never memory: synthesis writes records,
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

from rcwork.report import (Section, build_report, distill_section, evaluation_section,
                           synthesis_section)
from rcwork.runs import run_notebook
from rcwork.stage_files import PipelineRecord

SEED = "data/reflections/seed.jsonl"

# name → per-stage overrides of its config.  Output paths are filled in by STAGES below.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "demo": {
        "synthesize": dict(teacher_model="embedded", num_problems=6, max_rounds=3, workers=2,
                           max_new_tokens=256),
        "inspect": dict(model="embedded"),
        "masks": dict(model="embedded"),
        "distill": dict(model="embedded"),
        "evaluate": dict(benchmark="humaneval", limit=20, max_new_tokens=384, batch_size=16),
        "sweep": dict(spec="configs/sweeps/demo.toml"),
        # The CPU lesson shortened to fit the main job: a 20-step format warm-up, 2 GRPO steps
        # of 4 completions, 4 held-out problems.
        "reinforce": dict(preset="cpu", config=dict(
            model="embedded", num_problems=24, heldout=4, max_steps=2, format_warmup_steps=20,
            max_completion_length=256, heldout_max_new_tokens=256, warmup_max_tokens=320,
            threads=2)),
    },
    "ci": {
        "synthesize": dict(teacher_model="tiny", num_problems=2, max_rounds=2, workers=1,
                           max_new_tokens=48),
        "inspect": dict(model="tiny"),
        "masks": dict(model="tiny"),
        "distill": dict(model="tiny", max_steps=4, max_len=4096, heldout=4, report_to="none"),
        "evaluate": dict(benchmark="humaneval", limit=3, max_new_tokens=32, batch_size=4),
        "sweep": dict(spec="configs/sweeps/ci.toml"),
        "reinforce": dict(preset="cpu", config=dict(
            model="tiny", num_problems=6, heldout=2, max_steps=2, num_generations=2,
            max_completion_length=24, heldout_max_new_tokens=24, format_warmup_steps=2,
            warmup_max_tokens=1500)),
    },
    "gpu": {
        "synthesize": dict(teacher_model="embedded", num_problems=156, max_rounds=8, workers=8,
                           max_new_tokens=768),
        "inspect": dict(model="embedded"),
        "masks": dict(model="embedded"),
        "distill": dict(model="embedded", num_train_epochs=3.0, max_len=4096),
        "evaluate": dict(benchmark="humaneval", limit=None, max_new_tokens=512, batch_size=64),
        "sweep": dict(spec="configs/sweeps/full.toml"),
        "reinforce": dict(preset="authors", config=dict(model="embedded")),
    },
}


@dataclass(frozen=True)
class Stage:
    """One step of the main job.

    ``notebook`` is run by papermill with ``params(run_dir, profile)``; a stage without a
    notebook calls ``run(run_dir, profile)`` instead.  ``section`` draws the stage's report
    section from ``run_dir / folder``.
    """

    name: str
    notebook: str | None
    params: Callable[[Path, dict[str, Any]], dict[str, Any]] | None = None
    folder: str | None = None
    section: Callable[[Path], list[Any]] | None = None
    run: Callable[[Path, dict[str, Any]], None] | None = None


def _run_sweep(run: Path, profile: dict[str, Any]) -> None:
    from rcwork.stages import from_overrides
    from rcwork.sweep import SweepConfig, run_sweep

    summary = run_sweep(from_overrides(SweepConfig, {**profile["sweep"],
                                                     "sweep_dir": str(run / "sweep")}))
    if summary["failed"]:
        raise RuntimeError(f"sweep points failed: {', '.join(summary['failed'])}")


def _sweep_section(d: Path) -> list[Any]:
    from rcwork.sweep_report import section

    return section(d)


def _reinforce_section(d: Path) -> list[Any]:
    from rcwork.reflexi.report import section

    return section(d)


STAGES: list[Stage] = [
    Stage("synthesize", "01_synthesize",
          lambda run, p: {"config": {**p["synthesize"], "output_dir": str(run / "synthesize")}},
          "synthesize", synthesis_section),
    Stage("inspect", "02_inspect", lambda run, p: {**p["inspect"], "records_path": SEED}),
    Stage("masks", "03_mask_visualize", lambda run, p: {**p["masks"], "records_path": SEED}),
    # Distillation trains on the seed records plus whatever synthesis kept (counted apart).
    Stage("distill", "04_distill",
          lambda run, p: {"config": {**p["distill"], "output_dir": str(run / "distill"),
                                     "data": [SEED, str(run / "synthesize" / "kept")]}},
          "distill", distill_section),
    Stage("evaluate-base", "05_evaluate",
          lambda run, p: {"config": {**p["evaluate"], "model": p["distill"]["model"],
                                     "out_dir": str(run / "evaluate" / "base")}}),
    Stage("evaluate-distilled", "05_evaluate",
          lambda run, p: {"config": {**p["evaluate"], "model": str(run / "distill" / "model"),
                                     "out_dir": str(run / "evaluate" / "distilled"),
                                     "compare_to": str(run / "evaluate" / "base"
                                                       / "results.json")}},
          "evaluate", evaluation_section),
    Stage("sweep", None, folder="sweep", section=_sweep_section, run=_run_sweep),
    Stage("reinforce", "06_reinforce",
          lambda run, p: {"preset": p["reinforce"]["preset"],
                          "config": {**p["reinforce"]["config"],
                                     "output_dir": str(run / "reinforce")}},
          "reinforce", _reinforce_section),
]


def report_sections() -> list[Section]:
    return [(s.section, s.folder) for s in STAGES if s.section and s.folder]


def run_pipeline(profile: str, run_dir: str | Path, report: str | Path | None = None, *,
                 force: bool = False, only: list[str] | None = None) -> PipelineRecord:
    """Run the stages of ``profile`` into ``run_dir``; returns the pipeline record (also in
    ``pipeline.json``)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    run = Path(run_dir)
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
            run_notebook(stage.notebook, out_dir, stage.params(run, PROFILES[profile]),
                         log_output=False)
            entry["notebook"] = str(out_dir / f"{stage.notebook}.ipynb")
        else:
            stage.run(run, PROFILES[profile])
        stages[stage.name] = {**entry, "wall_s": round(time.perf_counter() - t0, 1)}
        state.write(run)
        print(f"[pipeline] {stage.name}: {stages[stage.name]['wall_s']} s", flush=True)
    if report is not None:
        path = build_report(run, report, title=f"rcwork · {profile} run",
                            sections=report_sections())
        print(f"[pipeline] report: {path}")
    return state


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=list(PROFILES), default="demo")
    p.add_argument("--run-dir", default="runs/main")
    p.add_argument("--report", default="reports/index.html")
    p.add_argument("--force", action="store_true", help="rerun stages that finished before")
    p.add_argument("--only", nargs="*", choices=[s.name for s in STAGES],
                   help="run only these stages")


def run(args: argparse.Namespace) -> int:
    run_pipeline(args.profile, args.run_dir, args.report, force=args.force, only=args.only)
    return 0
