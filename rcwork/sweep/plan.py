"""A sweep folder's plan: the spec as resolved into points (``plan.json``), the run folder of
each point, whether it finished (``row.json``), and the locks that keep two processes from
running one point or writing the registry at once."""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from rcwork.paths import project_path
from rcwork.stage_files import read_json, write_json
from rcwork.sweep.config import SweepConfig
from rcwork.sweep.spec import (HELDOUT_DEFAULTS, PAIRS_FILE, PROBLEMS_HELDOUT, Point, Spec, SpecError, parse_assignment,
                               parse_scalar, parse_values, plan, read_spec_file, spec_from_dict,
                               validate)

PLAN_FILE = "plan.json"


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
        spec = Spec(**data["spec"])
        spec.heldout = {**HELDOUT_DEFAULTS, **spec.heldout}  # a plan saved by an older rcwork
        return cls(sweep_dir, spec, [Point(**p) for p in data["points"]])


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
    """The spec's instruction pairs and the held-out problems, written once into the sweep
    folder: the pairs when the spec has an ``[instruction_pairs]`` table, the held-out share
    (``heldout_pairs.jsonl``) when it has one or measures the ``problems`` held-out set."""
    from rcwork.sweep.heldout import HELDOUT_PAIRS_FILE

    opts = p.spec.instruction_pairs
    wanted = opts is not None or "problems" in p.spec.heldout["sets"]
    if not wanted or (p.sweep_dir / HELDOUT_PAIRS_FILE).exists():
        return
    from rcwork.instruction_pairs import write_problem_pairs
    from rcwork.paths import PROBLEMS, SEED_RECORDS

    opts = opts or {}
    tmp = p.sweep_dir / (PAIRS_FILE + ".tmp")
    held_tmp = p.sweep_dir / (HELDOUT_PAIRS_FILE + ".tmp")
    summary = write_problem_pairs(tmp, opts.get("problems", PROBLEMS),
                                  opts.get("exclude", [SEED_RECORDS]),
                                  heldout=opts.get("heldout", PROBLEMS_HELDOUT),
                                  heldout_path=held_tmp)
    os.replace(tmp, p.sweep_dir / PAIRS_FILE)
    summary["path"] = str(p.sweep_dir / PAIRS_FILE)
    summary["heldout_path"] = str(p.sweep_dir / HELDOUT_PAIRS_FILE)
    write_json(p.sweep_dir / "instruction_pairs.json", summary)
    os.replace(held_tmp, p.sweep_dir / HELDOUT_PAIRS_FILE)  # last: both files are complete


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
