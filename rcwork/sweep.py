"""``rcwork sweep``: a grid of distillation (and evaluation) runs, one run folder per point.

The grid comes from a spec file (:mod:`rcwork.sweep_spec`, ``configs/sweeps/*.toml``) or flags::

    rcwork sweep --spec configs/sweeps/demo.toml
    rcwork sweep --name lr --axes learning_rate=1e-4,3e-4 upsample_k=1..3 --base model=tiny max_steps=4

Each point runs notebook 04 (and 05 when the spec evaluates) with papermill into
``<sweep_dir>/runs/<point id>/``, which then holds the executed notebooks, ``config.json``,
``metrics.json``, ``heldout_records.json`` (per-record held-out NLL before and after, for
bootstrap intervals), ``results.json`` when evaluated, ``timing.json`` and ``row.json`` (the
point's registry row, written last and atomically: its presence means the point finished).
``<sweep_dir>/registry.jsonl`` lists every finished point, one JSON row each
(``pandas.read_json(path, lines=True)`` or ``datasets.load_dataset("json", data_files=path)``).

A sweep resumes: rerun the same command (or ``rcwork sweep --sweep_dir DIR``, which reads the
saved ``plan.json``).  Finished points are skipped; a point that was killed restarts, from its
last Trainer checkpoint when the spec saves some.  A point being run by another process (its
``.lock`` is held) is skipped, so two sweeps on one folder never run a point twice.  On a
machine with several GPUs, points run in parallel, one process per device
(``CUDA_VISIBLE_DEVICES``; submitit's local executor gives every job the same devices, so this
scheduler stays); on CPU, one after another under a progress bar.  Past one machine,
``--executor submitit`` submits each pending point as a job (a SLURM job array on a cluster;
local subprocesses elsewhere, which is what the tests run, kill and resume included): each
point's stages run through :func:`rcwork.runner.run_stage`, as the pipeline's do.
``docs/sweeps.md``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from queue import Empty, Queue
from typing import Any, Iterator

from rcwork.checkpoints import resume_checkpoint
from rcwork.paths import project_path, project_root, resolve_paths
from rcwork.runner import run_stage
from rcwork.stage_files import (DistillMetrics, EvaluationResults, read_json, write_json,
                                write_text)
from rcwork.sweep_spec import (PAIRS_FILE, Point, Spec, SpecError, parse_assignment,
                               parse_scalar, parse_values, plan, read_spec_file, spec_from_dict,
                               validate)
from rcwork.sweep_registry import collect, make_row

PLAN_FILE = "plan.json"
REGISTRY_FILE = "registry.jsonl"


@dataclass
class SweepConfig:
    """``rcwork sweep``'s configuration: a spec and/or flags, where to run, how."""

    spec: str = field(default="", metadata={"help": "sweep spec (.toml, .yaml); see "
                                                    "configs/sweeps/"})
    sweep_dir: str = field(default="", metadata={
        "help": "the sweep's folder (default runs/sweeps/<name>); given alone, resume the plan "
                "saved there"})
    name: str = field(default="", metadata={"help": "the sweep's name (default: the spec's)"})
    axes: list[str] = field(default_factory=list, metadata={
        "help": "axes of a curve named 'grid', e.g. upsample_k=1..5 order=EAC,ECA"})
    base: list[str] = field(default_factory=list, metadata={
        "help": "DistillConfig overrides of every point (after the spec's), e.g. max_steps=8"})
    seeds: list[int] = field(default_factory=list, metadata={
        "help": "run every point once per seed (replaces the spec's seeds)"})
    evaluate: str = field(default="spec", metadata={
        "help": "spec: as the spec says; off: skip evaluation; on: evaluate (the spec's "
                "[evaluate] settings, else EvaluateConfig's defaults)"})
    executor: str = field(default="", metadata={
        "help": "how points run: notebook (papermill: the executed notebooks are kept) or "
                "inline (the stage functions in this process), one point after another; or "
                "submitit: each pending point a job (SLURM on a cluster, else local "
                "subprocesses), its stages run as the spec says; default: the spec's, else "
                "notebook"})
    submitit_cluster: str = field(default="auto", metadata={
        "help": "for --executor submitit: auto (SLURM where available, else local), slurm, "
                "local"})
    submitit_parameters: str = field(default="", metadata={
        "help": "for --executor submitit: submitit's parameters as JSON, e.g. "
                "'{\"slurm_partition\": \"gpu\", \"gpus_per_node\": 1, \"timeout_min\": 240}'"})
    devices: str = field(default="auto", metadata={
        "help": "auto (one worker per visible GPU when there are several, else this process), "
                "inprocess, or GPU ids such as 0,1,2,3"})
    point: list[str] = field(default_factory=list, metadata={
        "help": "run only these points (ids or 0-based indices in the plan), e.g. a SLURM "
                "array task's $SLURM_ARRAY_TASK_ID"})
    keep_models: bool = field(default=False, metadata={
        "help": "keep each point's trained model (a 135M-parameter model is 0.5 GB)"})
    dry_run: bool = field(default=False, metadata={"help": "write plan.json, list the points"})
    progress: bool = field(default=True, metadata={"help": "a progress bar across points"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("spec", "sweep_dir"))
        if self.evaluate not in ("spec", "on", "off"):
            raise ValueError(f"evaluate must be spec, on or off, got {self.evaluate!r}")
        if self.executor not in ("", "notebook", "inline", "submitit"):
            raise ValueError(f"executor must be notebook, inline or submitit, got "
                             f"{self.executor!r}")


@dataclass
class Plan:
    """What a sweep folder runs: the spec as resolved, and its unique points."""

    sweep_dir: Path
    spec: Spec
    points: list[Point]

    def save(self) -> None:
        write_json(self.sweep_dir / PLAN_FILE, {
            "spec": asdict(self.spec), "points": [asdict(p) for p in self.points]})

    @classmethod
    def load(cls, sweep_dir: Path) -> "Plan":
        path = sweep_dir / PLAN_FILE
        if not path.exists():
            raise FileNotFoundError(f"{path}: no saved plan; give --spec or --axes")
        data = read_json(path)
        return cls(sweep_dir, Spec(**data["spec"]), [Point(**p) for p in data["points"]])


# ---- planning ------------------------------------------------------------------------------


def make_plan(cfg: SweepConfig) -> Plan:
    """The spec (file, then flags) resolved into points; saved as ``plan.json``."""
    if not cfg.spec and not cfg.axes:
        if not cfg.sweep_dir:
            raise SpecError("give --spec, --axes, or the --sweep_dir of a planned sweep")
        return Plan.load(Path(cfg.sweep_dir).resolve())
    data: dict[str, Any] = read_spec_file(cfg.spec) if cfg.spec else {}
    source = cfg.spec or "<flags>"
    if cfg.axes:
        grid = dict(parse_assignment(a, where="--axes") for a in cfg.axes)
        data.setdefault("curves", {})["grid"] = grid
    if cfg.base:
        base = dict(data.get("base") or {})
        for item in cfg.base:
            key, value = parse_assignment(item, where="--base")
            base[key] = parse_values(value, where=f"--base {key}") if "," in value \
                else parse_scalar(value)
        data["base"] = base
    if cfg.seeds:
        data["seeds"] = list(cfg.seeds)
    if cfg.name:
        data["name"] = cfg.name
    if cfg.executor in ("notebook", "inline"):  # how a point's stages run
        data["executor"] = cfg.executor
    if cfg.evaluate == "off":
        data.pop("evaluate", None)
    elif cfg.evaluate == "on":
        data["evaluate"] = {**(data.get("evaluate") or {}), "enabled": True}
    spec = spec_from_dict(data, source=source)
    sweep_dir = Path(cfg.sweep_dir or project_path(Path("runs") / "sweeps" / spec.name)).resolve()
    pairs = str(sweep_dir / PAIRS_FILE) if spec.instruction_pairs is not None else None
    points = plan(spec, pairs_path=pairs)
    validate(points, spec)
    out = Plan(sweep_dir, spec, points)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    out.save()
    return out


def write_instruction_pairs(p: Plan) -> None:
    """The spec's instruction pairs, written once into the sweep folder."""
    if p.spec.instruction_pairs is None or (p.sweep_dir / PAIRS_FILE).exists():
        return
    from rcwork.instruction_pairs import write_problem_pairs
    from rcwork.paths import PROBLEMS, SEED_RECORDS

    opts = p.spec.instruction_pairs
    tmp = p.sweep_dir / (PAIRS_FILE + ".tmp")
    summary = write_problem_pairs(tmp, opts.get("problems", PROBLEMS),
                                  opts.get("exclude", [SEED_RECORDS]))
    os.replace(tmp, p.sweep_dir / PAIRS_FILE)
    summary["path"] = str(p.sweep_dir / PAIRS_FILE)
    write_json(p.sweep_dir / "instruction_pairs.json", summary)


# ---- running one point ---------------------------------------------------------------------


def run_dir(p: Plan, point: Point) -> Path:
    return p.sweep_dir / "runs" / point.id


def is_done(p: Plan, point: Point) -> bool:
    return (run_dir(p, point) / "row.json").exists()


@contextlib.contextmanager
def _locked(path: Path, *, block: bool = True) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path``; yields False when ``block`` is off and another
    process holds it.  The kernel drops it when the holder dies, even by SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    from rcwork.sweep_heldout import baseline_nlls, record_nlls

    held = {"before": baseline_nlls(p.sweep_dir, overrides),
            "after": record_nlls(str(distill_dir / "model"), overrides)}
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


# ---- the sweep -----------------------------------------------------------------------------


def run_sweep(cfg: SweepConfig) -> dict[str, Any]:
    """Plan, then run every unfinished point; returns a summary (ran, skipped, failed)."""
    p = make_plan(cfg)
    selected = _select(p, cfg.point)
    if cfg.dry_run:
        for i, pt in enumerate(p.points):
            state = "done" if is_done(p, pt) else "todo"
            print(f"{i:3d} {state} {pt.id}  curves={','.join(pt.curves)}  {pt.params}")
        return {"sweep_dir": str(p.sweep_dir), "points": len(p.points), "ran": [],
                "skipped": [], "failed": []}
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
    return summary


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


def _select(p: Plan, wanted: list[str]) -> list[Point]:
    if not wanted:
        return list(p.points)
    by_id = {pt.id: pt for pt in p.points}
    out = []
    for w in wanted:
        if w in by_id:
            out.append(by_id[w])
        elif w.isdigit() and int(w) < len(p.points):
            out.append(p.points[int(w)])
        else:
            raise SpecError(f"--point {w!r}: not a point id or an index below {len(p.points)} "
                            f"of {p.sweep_dir / PLAN_FILE}")
    return out


# ---- small helpers -------------------------------------------------------------------------


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




def main(argv: list[str]) -> int:
    from rcwork.stages import parse_cli, run_cli

    def run() -> int:
        cfg = parse_cli(SweepConfig, argv, prog="rcwork sweep", stage="sweep",
                        description=__doc__)
        return _report(run_sweep(cfg))

    return run_cli("rcwork sweep", run)


def _report(summary: dict[str, Any]) -> int:
    print(f"[sweep] {summary['sweep_dir']}: {summary['points']} points; ran "
          f"{len(summary['ran'])}, already done {len(summary['skipped'])}, failed "
          f"{len(summary['failed'])}" + (f" ({', '.join(summary['failed'])})"
                                        if summary['failed'] else ""), flush=True)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
