"""Sweep specifications: named curves over distillation settings, planned into unique points.

A spec (TOML or YAML; ``configs/sweeps/*.toml``) holds

* ``base``: overrides of :class:`rcwork.distill.trainer.DistillConfig` shared by every point;
* ``curves``: named grids, each a table of axes (a field name and its values), e.g. an
  ``upsample`` curve over ``upsample_k`` and an ``order`` curve over ``order``.  A curve's points
  are the product of its axes; every other field keeps its ``base`` value, so two curves meet at
  the base point;
* ``seeds`` (optional): every point once per seed;
* ``evaluate`` (optional): overrides of :class:`rcwork.evaluation.stage.EvaluateConfig`, with
  ``enabled = false`` (the default when the table is absent) to skip evaluation;
* ``instruction_pairs`` (optional): write rcwork's problems as instruction pairs into the sweep
  (:mod:`rcwork.instruction_pairs`); ``mix = true`` trains every point on them, else only
  ``ablation = "no_reflection"`` points, which need them.

A point is identified by a hash of its overrides, so a point two curves share is one point
(run once, listed under both curves) and a finished point stays valid when a spec grows.
Axis values are lists, or strings: ``"1..5"`` (an integer range) or ``"EAC,ECA"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALIASES = {"k": "upsample_k"}
# How an axis shows in a point's readable id (the hash makes the id unique).
ABBREVIATIONS = {"upsample_k": "k", "order": "", "strategy": "", "ablation": "", "seed": "s",
                 "learning_rate": "lr", "max_steps": "steps"}
AXIS_ORDER = ("upsample_k", "order", "strategy", "ablation", "seed")
TOP_KEYS = {"name", "base", "curves", "seeds", "evaluate", "instruction_pairs", "executor",
            "description"}
PAIRS_FILE = "instruction_pairs.jsonl"


class SpecError(ValueError):
    """A bad spec; the message names the file and the field."""


@dataclass
class Point:
    """One distillation (and evaluation) run of the sweep."""

    id: str
    curves: list[str]
    params: dict[str, Any]  # the swept axes' values
    distill: dict[str, Any]  # DistillConfig overrides (output_dir is the run folder's)
    evaluate: dict[str, Any] | None  # EvaluateConfig overrides, None: not evaluated


@dataclass
class Spec:
    name: str
    base: dict[str, Any]
    curves: dict[str, dict[str, list[Any]]]
    seeds: list[int] = field(default_factory=list)
    evaluate: dict[str, Any] | None = None
    instruction_pairs: dict[str, Any] | None = None
    executor: str = "notebook"
    source: str = "<flags>"

    @property
    def axes(self) -> list[str]:
        """Every swept field (all curves, and the seed when several), in a stable order."""
        names = {a for c in self.curves.values() for a in c}
        if len(self.seeds) > 1:
            names.add("seed")
        return sorted(names, key=lambda a: (AXIS_ORDER.index(a) if a in AXIS_ORDER
                                            else len(AXIS_ORDER), a))


def parse_scalar(text: str) -> Any:
    """``"2"`` → 2, ``"1e-4"`` → 1e-4, ``"true"`` → True, anything else stays a string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_values(value: Any, *, where: str) -> list[Any]:
    """An axis' values: a list, ``"a..b"`` (integers, inclusive) or ``"x,y,z"``."""
    if isinstance(value, list):
        values = value
    elif isinstance(value, str) and ".." in value:
        lo, _, hi = value.partition("..")
        try:
            values = list(range(int(lo), int(hi) + 1))
        except ValueError:
            raise SpecError(f"{where}: {value!r} is not an integer range like 1..5") from None
    elif isinstance(value, str):
        values = [parse_scalar(v.strip()) for v in value.split(",") if v.strip()]
    else:
        values = [value]
    if not values:
        raise SpecError(f"{where}: no values")
    if len(set(map(json.dumps, values))) != len(values):
        raise SpecError(f"{where}: repeated values in {values}")
    return values


def parse_assignment(text: str, *, where: str) -> tuple[str, str]:
    """``"key=value"`` from a flag."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SpecError(f"{where}: expected key=value, got {text!r}")
    return ALIASES.get(key.strip(), key.strip()), value.strip()


def read_spec_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no sweep spec {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        if path.suffix in (".yaml", ".yml"):
            import yaml  # a papermill dependency

            data = yaml.safe_load(text)
            if not isinstance(data, dict):
                raise SpecError(f"{path}: expected a mapping at the top level")
            return data
    except (tomllib.TOMLDecodeError, ImportError) as e:
        raise SpecError(f"{path}: {e}") from None
    except Exception as e:  # yaml.YAMLError, whose module loads lazily
        if type(e).__module__.startswith("yaml"):
            raise SpecError(f"{path}: {e}") from None
        raise
    raise SpecError(f"{path}: a sweep spec is .toml, .yaml or .yml")


def spec_from_dict(data: dict[str, Any], *, source: str = "<flags>") -> Spec:
    """Validate the spec's shape; field values are checked when points are planned."""
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise SpecError(f"{source}: unknown key(s) {', '.join(unknown)}; expected "
                        f"{', '.join(sorted(TOP_KEYS))}")

    def table(key: str) -> dict[str, Any]:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            raise SpecError(f"{source}: {key} must be a table, got {type(value).__name__}")
        return dict(value)

    base = {ALIASES.get(k, k): v for k, v in table("base").items()}
    curves: dict[str, dict[str, list[Any]]] = {}
    for name, axes in table("curves").items():
        if not isinstance(axes, dict) or not axes:
            raise SpecError(f"{source}: curves.{name} must be a non-empty table of axes")
        curves[name] = {ALIASES.get(a, a): parse_values(v, where=f"{source}: curves.{name}.{a}")
                        for a, v in axes.items()}
    if not curves:
        raise SpecError(f"{source}: no curves (give [curves.NAME] tables or --axes)")
    seeds = data.get("seeds", [])
    seeds = parse_values(seeds, where=f"{source}: seeds") if seeds != [] else []
    if not all(isinstance(s, int) for s in seeds):
        raise SpecError(f"{source}: seeds must be integers, got {seeds}")
    evaluate = table("evaluate")
    enabled = evaluate.pop("enabled", bool(evaluate))
    pairs = table("instruction_pairs") if "instruction_pairs" in data else None  # {}: defaults
    if pairs is not None:
        extra = sorted(set(pairs) - {"problems", "exclude", "mix"})
        if extra:
            raise SpecError(f"{source}: instruction_pairs has unknown key(s) {', '.join(extra)}; "
                            "expected problems, exclude, mix")
    executor = data.get("executor", "notebook")
    if executor not in ("notebook", "inline"):
        raise SpecError(f"{source}: executor must be notebook or inline, got {executor!r}")
    name = str(data.get("name") or Path(source).stem)
    return Spec(name, base, curves, list(seeds), evaluate if enabled else None, pairs, executor,
                source)


def point_id(params: dict[str, Any], distill: dict[str, Any], evaluate: dict[str, Any] | None,
             axes: list[str]) -> str:
    """Readable axis values, then a hash of everything that defines the run."""
    digest = hashlib.sha1(json.dumps({"distill": distill, "evaluate": evaluate},
                                     sort_keys=True, default=str).encode()).hexdigest()[:8]
    parts = [f"{ABBREVIATIONS.get(a, a)}{params[a]}" for a in axes if a in params]
    readable = "-".join(parts).replace("/", "_").replace(" ", "")
    return f"{readable}-{digest}" if readable else digest


def axis_defaults(axes: list[str]) -> dict[str, Any]:
    """DistillConfig's default of each axis (an unknown axis is left to :func:`validate`)."""
    from rcwork.distill.trainer import DistillConfig

    found = {f.name: f for f in dataclasses.fields(DistillConfig)}
    out = {}
    for a in axes:
        f = found.get(a)
        if f is not None and f.default is not dataclasses.MISSING:
            out[a] = f.default
        elif f is not None and f.default_factory is not dataclasses.MISSING:
            out[a] = f.default_factory()
    return out


def plan(spec: Spec, *, pairs_path: str | None = None) -> list[Point]:
    """The spec's unique points, in curve order; each knows every curve it belongs to.

    ``pairs_path``: where the sweep wrote the instruction pairs (when the spec asks for them).
    """
    axes = spec.axes
    # Every swept field is written out (its DistillConfig default where base does not set it),
    # so the base point reached through two curves hashes the same.
    defaults = {**axis_defaults(axes), **spec.base}
    points: dict[str, Point] = {}
    seeds = spec.seeds or [None]
    for curve, grid in spec.curves.items():
        names = list(grid)
        for values in itertools.product(*(grid[n] for n in names)):
            for seed in seeds:
                params = dict(zip(names, values))
                if seed is not None:
                    params["seed"] = seed
                distill = {**defaults, **params}
                needs_pairs = distill.get("ablation") == "no_reflection"
                if spec.instruction_pairs is not None and pairs_path and (
                        spec.instruction_pairs.get("mix", False) or needs_pairs):
                    distill["instruction_data"] = pairs_path
                if needs_pairs and not distill.get("instruction_data"):
                    raise SpecError(f"{spec.source}: curves.{curve}: ablation no_reflection "
                                    "trains on instruction data only; add an "
                                    "[instruction_pairs] table or base.instruction_data")
                pid = point_id(distill, distill, spec.evaluate, axes)
                if pid in points:
                    if curve not in points[pid].curves:
                        points[pid].curves.append(curve)
                    continue
                points[pid] = Point(pid, [curve], {a: distill[a] for a in axes if a in distill},
                                    distill,
                                    dict(spec.evaluate) if spec.evaluate is not None else None)
    return list(points.values())


def validate(points: list[Point], spec: Spec) -> None:
    """Build each point's configs once, so a typo fails before anything runs, naming the point."""
    from rcwork.distill.trainer import DistillConfig
    from rcwork.evaluation.stage import EvaluateConfig
    from rcwork.stages import from_overrides

    for p in points:
        try:
            from_overrides(DistillConfig, {**p.distill, "output_dir": "unused",
                                           "report_to": p.distill.get("report_to", "none")})
            if p.evaluate is not None:
                from_overrides(EvaluateConfig, {**p.evaluate, "out_dir": "unused"})
        except (TypeError, ValueError) as e:
            raise SpecError(f"{spec.source}: point {p.id} (curves {', '.join(p.curves)}): {e}"
                            ) from None
