"""Running a sweep's points: one after another in this process, one worker per GPU, or each
point a submitit job; every point's stages (distillation, then evaluation) go through
:func:`rcwork.runner.run_stage`, and its registry row is written last."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from rcwork.checkpoints import resume_checkpoint
from rcwork.paths import project_root
from rcwork.runner import run_stage
from rcwork.stage_files import DistillMetrics, EvaluationResults, read_json, write_json, write_text
from rcwork.sweep.config import SweepConfig
from rcwork.sweep.plan import (Plan, _locked, _select, is_done, make_plan, run_dir,
                               write_instruction_pairs)
from rcwork.sweep.registry import collect, make_row
from rcwork.sweep.spec import Point

REPORT_FILE = "report.html"  # the sweep's own page, beside registry.jsonl


def run_point(p: Plan, point: Point, *, commit: dict[str, Any], keep_models: bool = False
              ) -> dict[str, Any] | None:
    """Run one point into its folder; returns its registry row, or None when another process
    is running it."""
    out = run_dir(p, point)
    with _locked(out / ".lock", block=False) as mine:
        if not mine:
            return None
        if (out / "row.json").exists():
            return read_json(out / "row.json")
        return _run_point(p, point, out, commit=commit, keep_models=keep_models)


def _run_point(p: Plan, point: Point, out: Path, *, commit: dict[str, Any], keep_models: bool
               ) -> dict[str, Any]:
    timing_path = out / "timing.json"
    previous = read_json(timing_path) if timing_path.exists() else {}
    timing: dict[str, Any] = {"attempts": previous.get("attempts", 0) + 1,
                              "started": _now(), "host": os.uname().nodename,
                              "devices": os.environ.get("CUDA_VISIBLE_DEVICES"), "stages": {}}
    write_json(timing_path, timing)  # an attempt counts from its start: a killed one shows
    t_start = time.perf_counter()
    distill_dir = out / "distill"
    overrides = {**point.distill, "output_dir": str(distill_dir)}
    # metrics.json is the stage's last write (after the model): distillation finished before.
    reuse = (distill_dir / "metrics.json").exists()
    checkpoint = None if reuse else resume_checkpoint(distill_dir)
    if checkpoint:
        overrides["resume"] = checkpoint
        timing["resumed_from_checkpoint"] = Path(checkpoint).name
    timing["distill_reused"] = reuse
    write_json(out / "config.json", {"id": point.id, "curves": point.curves,
                                      "params": point.params, "distill": overrides,
                                      "evaluate": point.evaluate, "executor": p.spec.executor,
                                      "commit": commit})

    # A point is its spec's overrides of the stage defaults: no profile in between.
    if not reuse:
        ran = run_stage("distill", overrides, executor=p.spec.executor,
                        notebook_dir=out / "notebooks")
        timing["stages"]["distill_s"] = ran.wall_s
    shutil.copyfile(distill_dir / "metrics.json", out / "metrics.json")

    t0 = time.perf_counter()
    from rcwork.sweep.heldout import baseline, measure

    before = baseline(p.sweep_dir, overrides, p.spec.heldout)
    after = measure(str(distill_dir / "model"), overrides, p.sweep_dir, p.spec.heldout)
    held = {"sets": {name: {"before": before[name], "after": after[name]} for name in after}}
    if "records" in held["sets"]:  # the reflection records' pair, where it always was
        held.update(held["sets"]["records"])
    write_json(out / "heldout_records.json", held)
    timing["stages"]["heldout_records_s"] = round(time.perf_counter() - t0, 2)

    results = None
    if point.evaluate is not None:
        ev = {**point.evaluate, "model": str(distill_dir / "model"),
              "out_dir": str(out / "evaluate")}
        ran = run_stage("evaluate", ev, executor=p.spec.executor, notebook_dir=out / "notebooks")
        shutil.copyfile(out / "evaluate" / "results.json", out / "results.json")
        results = EvaluationResults.read(out)
        timing["stages"]["evaluate_s"] = ran.wall_s

    timing.update(finished=_now(), wall_s=round(time.perf_counter() - t_start, 2))
    write_json(timing_path, timing)
    metrics = DistillMetrics.read(out)
    row = make_row(point, metrics=metrics, heldout=held, results=results, timing=timing,
                   commit=commit, run_path=str(out.relative_to(p.sweep_dir)))
    write_json(out / "row.json", row)  # its presence means the point is finished
    if not keep_models:  # the numbers are written; the weights are the bulk of the folder
        shutil.rmtree(distill_dir / "model", ignore_errors=True)
        for ckpt in distill_dir.glob("checkpoint-*"):
            shutil.rmtree(ckpt, ignore_errors=True)
    return row


def run_sweep(cfg: SweepConfig) -> dict[str, Any]:
    """Plan, then run every unfinished point; returns a summary (ran, skipped, failed)."""
    p = make_plan(cfg)
    selected = _select(p, cfg.point)
    if cfg.dry_run:
        for i, pt in enumerate(p.points):
            state = "done" if is_done(p, pt) else "todo"
            print(f"{i:3d} {state} {pt.id}  curves={','.join(pt.curves)}  {pt.params}")
        return {"sweep_dir": str(p.sweep_dir), "points": len(p.points), "ran": [],
                "skipped": [pt.id for pt in p.points if is_done(p, pt)], "failed": []}
    write_instruction_pairs(p)
    todo = [pt for pt in selected if not is_done(p, pt)]
    summary: dict[str, Any] = {"sweep_dir": str(p.sweep_dir), "points": len(p.points),
                               "skipped": [pt.id for pt in selected if is_done(p, pt)],
                               "ran": [], "failed": [], "busy": []}
    devices = _devices(cfg.devices) if cfg.executor != "submitit" else []
    if cfg.executor == "submitit":
        _run_jobs(p, todo, cfg, summary)
    elif devices and len(todo) > 1:
        _run_parallel(p, todo, devices, cfg, summary)
    else:
        _run_sequential(p, todo, cfg, summary)
    collect(p)
    summary["report"] = str(write_report(p))
    return summary


def write_report(p: Plan) -> Path:
    """``<sweep>/report.html``: what the sweep answered (one sentence per compared setting,
    the forest plot), then its curves, noise tables and training curves; rebuilt with the
    registry after every run of the sweep command."""
    from rcwork.display.answers import sweep_answers_section
    from rcwork.report import build_report
    from rcwork.sweep.report import section

    return build_report(p.sweep_dir, Path(p.sweep_dir) / REPORT_FILE,
                        sections=[(sweep_answers_section, "."), (section, ".")],
                        title=f"rcwork sweep · {p.spec.name}", notebooks=False)


def run_point_job(sweep_dir: str, point_id: str, keep_models: bool) -> dict[str, Any] | None:
    """One point of a planned sweep as a submitit job (what ``rcwork sweep --sweep_dir DIR
    --point ID`` does): the plan is read back from ``plan.json``, the point's lock and
    ``row.json`` keep two jobs from running it twice."""
    p = Plan.load(Path(sweep_dir))
    point = next(pt for pt in p.points if pt.id == point_id)
    return run_point(p, point, commit=code_commit(), keep_models=keep_models)


def _run_jobs(p: Plan, todo: list[Point], cfg: SweepConfig, summary: dict) -> None:
    """Each pending point a submitit job (one job array on SLURM); waits for all of them.
    A killed sweep resumes like any other: finished points are skipped, a point whose job is
    still running is reported busy (its lock is held), the rest are submitted again."""
    from tqdm.auto import tqdm

    from rcwork.runner import submitit_executor

    if not todo:
        return
    executor = submitit_executor(p.sweep_dir / "submitit", cluster=cfg.submitit_cluster,
                                 parameters=cfg.submitit_parameters)
    with executor.batch():
        jobs = [(pt, executor.submit(run_point_job, str(p.sweep_dir), pt.id, cfg.keep_models))
                for pt in todo]
    bar = tqdm(total=len(jobs), desc=f"sweep {p.spec.name} (submitit)", unit="point",
               disable=not cfg.progress, file=sys.stderr)
    for pt, job in jobs:
        try:
            row = job.result()
        except Exception as e:  # one broken point must not lose the others' runs
            write_text(run_dir(p, pt) / "error.txt", f"{type(e).__name__}: {e}\n"
                       f"job {job.job_id}; logs under {p.sweep_dir / 'submitit'}\n")
            summary["failed"].append(pt.id)
            print(f"[sweep] {pt.id} failed in job {job.job_id}: {type(e).__name__}",
                  file=sys.stderr, flush=True)
        else:
            summary["busy" if row is None else "ran"].append(pt.id)
        bar.update(1)
        collect(p)
    bar.close()


def _run_sequential(p: Plan, todo: list[Point], cfg: SweepConfig, summary: dict) -> None:
    from tqdm.auto import tqdm

    commit = code_commit()
    bar = tqdm(todo, desc=f"sweep {p.spec.name}", unit="point", disable=not cfg.progress,
               file=sys.stderr)
    for pt in bar:
        bar.set_postfix_str(pt.id)
        try:
            row = run_point(p, pt, commit=commit, keep_models=cfg.keep_models)
        except Exception as e:  # one broken point must not lose the others' runs
            write_text(run_dir(p, pt) / "error.txt", traceback.format_exc())
            summary["failed"].append(pt.id)
            print(f"[sweep] {pt.id} failed: {type(e).__name__}: {e} "
                  f"(see {run_dir(p, pt) / 'error.txt'})", file=sys.stderr, flush=True)
            continue
        summary["busy" if row is None else "ran"].append(pt.id)
        collect(p)  # the registry grows point by point


def _run_parallel(p: Plan, todo: list[Point], devices: list[str], cfg: SweepConfig,
                  summary: dict) -> None:
    """One worker thread per device; each runs its points as ``rcwork sweep --point ID``
    subprocesses that see only their device."""
    from tqdm.auto import tqdm

    queue: Queue[Point] = Queue()
    for pt in todo:
        queue.put(pt)
    bar = tqdm(total=len(todo), desc=f"sweep {p.spec.name}", unit="point",
               disable=not cfg.progress, file=sys.stderr)
    lock = threading.Lock()

    def work(device: str) -> None:
        while True:
            try:
                pt = queue.get_nowait()
            except Empty:
                return
            env = {**os.environ, "CUDA_VISIBLE_DEVICES": device}
            cmd = [sys.executable, "-m", "rcwork", "sweep", "--sweep_dir", str(p.sweep_dir),
                   "--point", pt.id, "--devices", "inprocess", "--progress", "false"]
            if cfg.keep_models:
                cmd += ["--keep_models", "true"]
            proc = subprocess.run(cmd, env=env, cwd=project_root())
            with lock:
                summary["ran" if proc.returncode == 0 and is_done(p, pt) else "failed"].append(
                    pt.id)
                bar.update(1)

    threads = [threading.Thread(target=work, args=(d,), daemon=True) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bar.close()


def _devices(spec: str) -> list[str]:
    """GPU ids to run workers on; empty: run in this process."""
    if spec == "inprocess":
        return []
    if spec == "auto":
        import torch

        n = torch.cuda.device_count()
        return [str(i) for i in range(n)] if n > 1 else []
    ids = [d.strip() for d in spec.split(",") if d.strip()]
    if not ids:
        raise ValueError(f"devices: expected auto, inprocess or GPU ids, got {spec!r}")
    return ids


def code_commit() -> dict[str, Any]:
    """The repository's commit, and whether tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(project_root()), *args], capture_output=True,
                              text=True, timeout=30).stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        sha, dirty = "", False
    return {"commit": sha or "unknown", "dirty": dirty}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
