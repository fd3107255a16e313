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
  ``ablation = "no_reflection"`` points, which need them; ``heldout`` (default 0.5) is the
  share of the problems kept out of training and measured instead;
* ``heldout`` (optional): which held-out NLL sets every point is measured on
  (:mod:`rcwork.sweep.heldout`: ``sets``, default records, problems and humaneval;
  ``problems_stride`` / ``humaneval_stride``, every n-th unit of a set; ``batch_size``).

A point is identified by a hash of its overrides, so a point two curves share is one point
(run once, listed under both curves) and a finished point stays valid when a spec grows.
Axis values are lists, or strings: ``"1..5"`` (an integer range) or ``"EAC,ECA"``.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import hashlib
import itertools
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALIASES = {"k": "upsample_k"}
# How an axis shows in a point's readable id (the hash makes the id unique).
ABBREVIATIONS = {"upsample_k": "k", "order": "", "strategy": "", "ablation": "", "seed": "s",
                 "learning_rate": "lr", "max_steps": "steps"}
AXIS_ORDER = ("upsample_k", "order", "strategy", "ablation", "seed")
TOP_KEYS = {"name", "base", "curves", "seeds", "evaluate", "instruction_pairs", "executor",
            "description", "heldout"}
PAIRS_KEYS = {"problems", "exclude", "mix", "heldout"}
HELDOUT_SETS = ("records", "problems", "humaneval")
HELDOUT_DEFAULTS = {"sets": list(HELDOUT_SETS), "problems_stride": 1, "humaneval_stride": 1,
                    "batch_size": 8}
PROBLEMS_HELDOUT = 0.5  # the default share of rcwork's problems kept out of training
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
    heldout: dict[str, Any] = field(default_factory=lambda: dict(HELDOUT_DEFAULTS))

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
    except tomllib.TOMLDecodeError as e:
        at = re.search(r"\(at line (\d+), column \d+\)", str(e))
        raise SpecError(f"{path}:{at.group(1) if at else '?'}: field <toml>: {e}") from None
    except ImportError as e:
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
        close = difflib.get_close_matches(unknown[0], sorted(TOP_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SpecError(f"{locate(source, '', unknown[0])}: field {unknown[0]}: unknown key(s) "
                        f"{', '.join(unknown)}{hint}; expected {', '.join(sorted(TOP_KEYS))}")

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
        extra = sorted(set(pairs) - PAIRS_KEYS)
        if extra:
            raise SpecError(f"{locate(source, 'instruction_pairs', extra[0])}: field "
                            f"instruction_pairs.{extra[0]}: unknown key(s) {', '.join(extra)}; "
                            f"expected {', '.join(sorted(PAIRS_KEYS))}")
        share = pairs.get("heldout", PROBLEMS_HELDOUT)
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share < 1:
            raise SpecError(f"{locate(source, 'instruction_pairs', 'heldout')}: field "
                            f"instruction_pairs.heldout: a share in [0, 1), got {share!r}")
    heldout = {**HELDOUT_DEFAULTS, **table("heldout")}
    extra = sorted(set(heldout) - set(HELDOUT_DEFAULTS))
    if extra:
        raise SpecError(f"{locate(source, 'heldout', extra[0])}: field heldout.{extra[0]}: "
                        f"unknown key(s) {', '.join(extra)}; expected "
                        f"{', '.join(sorted(HELDOUT_DEFAULTS))}")
    bad = [x for x in heldout["sets"] if x not in HELDOUT_SETS] \
        if isinstance(heldout["sets"], list) else [heldout["sets"]]
    if bad or "records" not in heldout["sets"]:
        raise SpecError(f"{locate(source, 'heldout', 'sets')}: field heldout.sets: a list of "
                        f"{', '.join(HELDOUT_SETS)} holding records (the sweep's primary NLL), "
                        f"got {heldout['sets']!r}")
    for key in ("problems_stride", "humaneval_stride", "batch_size"):
        if not isinstance(heldout[key], int) or isinstance(heldout[key], bool) or heldout[key] < 1:
            raise SpecError(f"{locate(source, 'heldout', key)}: field heldout.{key}: a positive "
                            f"integer, got {heldout[key]!r}")
    executor = data.get("executor", "notebook")
    if executor not in ("notebook", "inline"):
        raise SpecError(f"{source}: executor must be notebook or inline, got {executor!r}")
    name = str(data.get("name") or Path(source).stem)
    return Spec(name, base, curves, list(seeds), evaluate if enabled else None, pairs, executor,
                source, heldout)


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


def locate(source: str, table: str, key: str) -> str:
    """``source:LINE`` where ``key`` is set in ``[table]`` of a TOML/YAML spec file (``table``
    "" for the top level), else ``source``: so a message points at the line to fix."""
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return source
    current = ""
    key_re = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=:]""")
    for number, line in enumerate(lines, 1):
        header = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            current = header.group(1).strip().replace('"', "").replace("'", "")
            continue
        if current == table and key_re.match(line):
            return f"{source}:{number}"
    return source


def _type_problem(value: Any, hint: Any) -> str | None:
    """Why ``value`` does not fit the type ``hint`` (None: it fits, or the hint is too rich to
    check here and the config's own checks decide)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        problems = [_type_problem(value, a) for a in args]
        return None if any(p is None for p in problems) else next(p for p in problems if p)
    if hint is type(None):
        return None if value is None else "expected nothing (null)"
    if origin is typing.Literal:
        return None if value in args else f"expected one of {', '.join(map(repr, args))}"
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return f"expected a list, got {value!r}"
        for item in value:
            problem = _type_problem(item, args[0]) if args and args[0] is not Ellipsis else None
            if problem:
                return problem
        return None
    if origin is dict or hint is dict:
        return None if isinstance(value, dict) else f"expected a table, got {value!r}"
    if hint is bool:
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else f"expected an integer, got {value!r}"
    if hint is float:
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else f"expected a number, got {value!r}"
    if hint is str:
        return None if isinstance(value, str) else f"expected a string, got {value!r}"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return None if isinstance(value, (str, hint)) else f"expected a string, got {value!r}"
    return None


def check_fields(cls: type, values: dict[str, Any], *, source: str, table: str) -> None:
    """Each key of ``values`` names a field of ``cls`` and its value fits the field's type;
    else a SpecError naming the file, the line and the field (``max_steps = "two"`` must not
    wait until the point runs)."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in values.items():
        where = f"{locate(source, table, key)}: field {table + '.' if table else ''}{key}"
        if key not in names:
            close = difflib.get_close_matches(key, sorted(names), n=3)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            raise SpecError(f"{where}: {cls.__name__} has no field {key!r}{hint}")
        problem = _type_problem(value, hints[key]) if key in hints else None
        if problem:
            raise SpecError(f"{where}: {problem}")


def validate(points: list[Point], spec: Spec) -> None:
    """Check every key and value the spec sets against the configs' fields (naming the file,
    line and field), then build each point's configs once, so a bad value fails before anything
    runs, naming the point."""
    from rcwork.distill.trainer import DistillConfig
    from rcwork.evaluation.stage import EvaluateConfig
    from rcwork.stages import from_overrides

    check_fields(DistillConfig, spec.base, source=spec.source, table="base")
    for curve, grid in spec.curves.items():
        for axis, values in grid.items():
            for value in values:
                check_fields(DistillConfig, {axis: value}, source=spec.source, table=f"curves.{curve}")
    if spec.evaluate is not None:
        check_fields(EvaluateConfig, spec.evaluate, source=spec.source, table="evaluate")
    for p in points:
        try:
            from_overrides(DistillConfig, {**p.distill, "output_dir": "unused",
                                           "report_to": p.distill.get("report_to", "none")})
            if p.evaluate is not None:
                from_overrides(EvaluateConfig, {**p.evaluate, "out_dir": "unused"})
        except (TypeError, ValueError) as e:
            raise SpecError(f"{spec.source}: point {p.id} (curves {', '.join(p.curves)}): {e}"
                            ) from None
