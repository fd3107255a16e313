"""``rcwork pipeline``: the lessons run headless, in order, then the HTML report (``make run``).

Each stage is one notebook executed by papermill into the run folder, with parameters from a
*profile*: ``demo`` (the embedded model, about 25 minutes on a 2-core CPU), ``ci`` (the tiny
model, a couple of minutes), or ``gpu`` (the same steps with a larger budget).  Stages hand each
other files, never memory: synthesis writes records, distillation reads the seed records and
writes a checkpoint, evaluation scores the base model and the checkpoint.

A run is resumable: ``pipeline.json`` in the run folder records each finished stage, and a rerun
skips those (``--force`` reruns everything).  Synthesis resumes inside its own stage too.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

from rcwork.report import build_report
from rcwork.runs import run_notebook

SEED = "data/reflections/seed.jsonl"

# name → per-notebook parameter overrides.  Output paths are filled in by STAGES below.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "demo": {
        "synthesize": dict(teacher_model="embedded", num_problems=10, max_rounds=3, workers=2,
                           max_new_tokens=256),
        "inspect": dict(model="embedded"),
        "masks": dict(model="embedded"),
        "distill": dict(model="embedded"),
        "evaluate": dict(benchmark="humaneval", limit=20, max_new_tokens=384, batch_size=16),
    },
    "ci": {
        "synthesize": dict(teacher_model="tiny", num_problems=2, max_rounds=2, workers=1,
                           max_new_tokens=48),
        "inspect": dict(model="tiny"),
        "masks": dict(model="tiny"),
        "distill": dict(model="tiny", max_steps=4, max_len=4096, heldout=4, report_to="none"),
        "evaluate": dict(benchmark="humaneval", limit=3, max_new_tokens=32, batch_size=4),
    },
    "gpu": {
        "synthesize": dict(teacher_model="embedded", num_problems=156, max_rounds=8, workers=8,
                           max_new_tokens=768),
        "inspect": dict(model="embedded"),
        "masks": dict(model="embedded"),
        "distill": dict(model="embedded", num_train_epochs=3.0, max_len=4096),
        "evaluate": dict(benchmark="humaneval", limit=None, max_new_tokens=512, batch_size=64),
    },
}

Stage = tuple[str, str, Callable[[Path, dict], dict[str, Any]]]

STAGES: list[Stage] = [
    ("synthesize", "01_synthesize",
     lambda run, p: {"config": {**p["synthesize"], "output_dir": str(run / "synthesize")}}),
    ("inspect", "02_inspect",
     lambda run, p: {**p["inspect"], "records_path": SEED}),
    ("masks", "03_mask_visualize",
     lambda run, p: {**p["masks"], "records_path": SEED}),
    # Distillation trains on the seed records plus whatever synthesis kept (counted apart).
    ("distill", "04_distill",
     lambda run, p: {"config": {**p["distill"], "output_dir": str(run / "distill"),
                                "data": [SEED, str(run / "synthesize" / "kept")]}}),
    ("evaluate-base", "05_evaluate",
     lambda run, p: {"config": {**p["evaluate"], "model": p["distill"]["model"],
                                "out_dir": str(run / "evaluate" / "base")}}),
    ("evaluate-distilled", "05_evaluate",
     lambda run, p: {"config": {**p["evaluate"], "model": str(run / "distill" / "model"),
                                "out_dir": str(run / "evaluate" / "distilled"),
                                "compare_to": str(run / "evaluate" / "base" / "results.json")}}),
]


def run_pipeline(profile: str, run_dir: str | Path, report: str | Path | None = None, *,
                 force: bool = False, only: list[str] | None = None) -> dict[str, Any]:
    """Run the stages of ``profile`` into ``run_dir``; returns the pipeline record."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    state_path = run / "pipeline.json"
    state = json.loads(state_path.read_text()) if state_path.exists() and not force else {}
    if state.get("profile", profile) != profile:
        raise ValueError(f"{run} holds a {state['profile']!r} run; use another --run-dir or "
                         f"--force")
    state.update(profile=profile)
    stages = state.setdefault("stages", {})
    for name, notebook, params in STAGES:
        if only and name not in only:
            continue
        if stages.get(name, {}).get("status") == "done":
            print(f"[pipeline] {name}: done already, skipped")
            continue
        print(f"[pipeline] {name}: {notebook}", flush=True)
        t0 = time.perf_counter()
        out_dir = run / "notebooks" / name
        run_notebook(notebook, out_dir, params(run, PROFILES[profile]), log_output=False)
        stages[name] = {"status": "done", "notebook": str(out_dir / f"{notebook}.ipynb"),
                        "wall_s": round(time.perf_counter() - t0, 1)}
        state_path.write_text(json.dumps(state, indent=1))
        print(f"[pipeline] {name}: {stages[name]['wall_s']} s", flush=True)
    if report is not None:
        path = build_report(run, report, title=f"rcwork · {profile} run")
        print(f"[pipeline] report: {path}")
    return state


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=list(PROFILES), default="demo")
    p.add_argument("--run-dir", default="runs/main")
    p.add_argument("--report", default="reports/index.html")
    p.add_argument("--force", action="store_true", help="rerun stages that finished before")
    p.add_argument("--only", nargs="*", choices=[s[0] for s in STAGES],
                   help="run only these stages")


def run(args: argparse.Namespace) -> int:
    run_pipeline(args.profile, args.run_dir, args.report, force=args.force, only=args.only)
    return 0
