"""The JSON files stages hand each other, read and written here and nowhere else.

=============================  ==========================  =================================
file                           written by                  typed view
=============================  ==========================  =================================
synthesis ``summary.json``     ``run_synthesis``           :class:`SynthesisSummary`
synthesis ``kept/*.jsonl``     the synthesis shard store   ``rcwork.synthesis.store.read_run``
distillation ``metrics.json``  ``distill``                 :class:`DistillMetrics`
evaluation ``results.json``    ``evaluate``                :class:`EvaluationResults`
evaluation ``generation.json`` ``generate``                :func:`read_generation`
reinforce ``metrics.json``     ``reinforce``               :class:`ReinforceMetrics`
=============================  ==========================  =================================

Why one module: the report, the notebooks, the sweep registry and the stages themselves used to
index these files by string keys, each in its own way, and drifted.  Here every field has one
name and one type; a file that lacks a field or holds the wrong type is refused with the file
and the field named (``metrics.json: field steps: expected int, got 'x'``); a key this version
does not know (a newer writer, a user's note) is kept in ``extra`` and written back, so a
read-modify-write round trip loses nothing.  Writes are atomic (temporary file, then rename), so
a crash never leaves half a file for the next stage to read.  The shapes are documented in
``docs/data-format.md``.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rcwork.jsonl import JsonlError, finite, write_atomic

S = TypeVar("S", bound="StageFile")


class StageFileError(JsonlError):
    """A stage file that cannot be used; the message names the file and the field."""


def write_text(path: str | Path, text: str) -> Path:
    """Write through a temporary file and a rename (:func:`rcwork.jsonl.write_atomic`)."""
    return write_atomic(path, text)


def write_json(path: str | Path, data: Any) -> Path:
    """``data`` as indented JSON at ``path``, atomically; paths and other objects as text."""
    return write_text(path, json.dumps(finite(data), indent=1, default=str, ensure_ascii=False,
                                        allow_nan=False))


def read_json(path: str | Path) -> Any:
    """The JSON value in ``path``; a file that does not parse is named with its line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" + (" (a folder)" if path.is_dir() else ""))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise StageFileError(f"not JSON: {e.msg} (column {e.colno})", source=str(path),
                             line=e.lineno) from None
    except UnicodeDecodeError as e:
        raise StageFileError(f"not UTF-8 text at byte {e.start}", source=str(path)) from None


# ---- type checks -------------------------------------------------------------------------------


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field's annotation (containers one level deep)."""
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if origin is dict:
        if not isinstance(value, dict):
            return False
        args = typing.get_args(hint)
        return not args or all(_matches(v, args[1]) for v in value.values())
    if origin is list:
        if not isinstance(value, list):
            return False
        args = typing.get_args(hint)
        return not args or all(_matches(v, args[0]) for v in value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type) and issubclass(hint, StageFile):
        return isinstance(value, (dict, hint))
    return isinstance(value, hint)


@dataclass
class StageFile:
    """A stage file's typed view: its fields, plus ``extra`` for keys this version does not
    know.  Subclasses name their file in ``FILE``."""

    FILE: ClassVar[str] = ""
    extra: dict[str, Any] = field(default_factory=dict, kw_only=True)

    @classmethod
    def from_dict(cls: type[S], obj: Any, source: str = "<memory>") -> S:
        """The typed view of ``obj``; a missing or mistyped field raises, naming it."""
        if not isinstance(obj, dict):
            raise StageFileError(f"expected a JSON object, got {type(obj).__name__}",
                                 source=source)
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        values: dict[str, Any] = {}
        for name, f in known.items():
            if name not in obj:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise StageFileError("missing", source=source, field=name)
                continue
            value = obj[name]
            if not _matches(value, hints[name]):
                raise StageFileError(f"expected {_type_name(hints[name])}, got {value!r:.60}",
                                     source=source, field=name)
            values[name] = cls._convert(name, value, source)
        extra = {k: v for k, v in obj.items() if k not in known and k not in cls._derived(obj)}
        return cls(**values, extra=extra)

    @classmethod
    def _convert(cls, name: str, value: Any, source: str) -> Any:
        """A field's value from its JSON form (subclasses turn nested objects into views)."""
        return value

    @classmethod
    def _derived(cls, obj: dict[str, Any]) -> set[str]:
        """Keys written for readers' convenience and recomputed from the fields on write."""
        return set()

    def to_dict(self) -> dict[str, Any]:
        """The file's JSON object: the fields, then the keys kept in ``extra``."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "extra"}
        return {**out, **self.extra}

    @classmethod
    def path_in(cls, path: str | Path) -> Path:
        """``path`` itself if it names a file, else the stage file inside that folder."""
        path = Path(path)
        return path / cls.FILE if path.is_dir() or not path.suffix else path

    @classmethod
    def read(cls: type[S], path: str | Path) -> S:
        """Read the stage file at ``path`` (the file, or the stage's folder)."""
        path = cls.path_in(path)
        return cls.from_dict(read_json(path), source=str(path))

    @classmethod
    def read_if_exists(cls: type[S], path: str | Path) -> S | None:
        """Like :meth:`read`, or ``None`` when the stage has not written its file."""
        return cls.read(path) if cls.path_in(path).is_file() else None

    def write(self, path: str | Path) -> Path:
        """Write atomically to ``path`` (the file, or the stage's folder); returns the file."""
        return write_json(self.path_in(path), self.to_dict())


def _plain(value: Any) -> Any:
    if isinstance(value, StageFile):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ---- synthesis --------------------------------------------------------------------------------


@dataclass
class SynthesisSummary(StageFile):
    """``summary.json`` of a synthesis run: counts over every record in its shards (the first
    block), and how the last invocation went (the second; ``None`` when only counted)."""

    FILE: ClassVar[str] = "summary.json"
    records: int
    kept: int
    filtered: int
    resolved: int
    filter_reasons: dict[str, int]  # a filtered record may have several reasons
    rounds_histogram: dict[str, int]  # rounds -> records, all records
    rounds_histogram_kept: dict[str, int]
    io_keywords: dict[str, int] = field(default_factory=dict)
    round_status: dict[str, int] = field(default_factory=dict)
    stage2: dict[str, int] = field(default_factory=dict)
    hidden_tests: dict[str, int] = field(default_factory=dict)  # passed / failed / not_run
    final_tests: dict[str, int] = field(default_factory=dict)
    problem_seconds: float = 0.0
    teacher: str = ""
    problems: int | None = None
    skipped_resumed: int | None = None
    processed: int | None = None
    errors: int | None = None
    wall_clock_s: float | None = None
    resume_scan: dict[str, int] | None = None
    teacher_batches: dict[str, float] | None = None


# ---- distillation -----------------------------------------------------------------------------


@dataclass
class DistillMetrics(StageFile):
    """``metrics.json`` of a distillation run: its settings, the logged curves (``step`` and one
    list per term, ``None`` where a step did not log it), held-out losses before and after
    training, and what data it used."""

    FILE: ClassVar[str] = "metrics.json"
    config: dict[str, Any]
    steps: int
    curves: dict[str, Any]
    heldout: dict[str, dict[str, Any] | None]  # "before" / "after": metric -> value
    max_steps: int | None = None
    train_runtime_s: float | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)  # per input file: counts
    instruction_pairs: dict[str, Any] | None = None
    train_records: int | None = None
    heldout_records: int | None = None
    rejected: int | None = None  # records longer than max_len, over all inputs
    reflection_samples: int | None = None
    attention: str | None = None

    @property
    def before(self) -> dict[str, Any]:
        """Held-out metrics of the untrained model (``{}`` when not measured)."""
        return self.heldout.get("before") or {}

    @property
    def after(self) -> dict[str, Any]:
        """Held-out metrics of the trained model (``{}`` when not measured)."""
        return self.heldout.get("after") or {}


# ---- evaluation -------------------------------------------------------------------------------


def _pass_keys(obj: dict[str, Any]) -> set[str]:
    return {k for k in obj if k.startswith("pass@")}


@dataclass
class ProblemResult(StageFile):
    """One problem of ``results.json``: its first sample's verdict (the greedy one in a greedy
    run), how many of its samples passed, and pass@k over them."""

    n: int
    correct: int
    status: str
    detail: str | None = None
    line: int | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    n_tokens: float | None = None
    pass_at_k: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @classmethod
    def from_dict(cls, obj: Any, source: str = "<memory>") -> ProblemResult:
        if isinstance(obj, dict) and "pass_at_k" not in obj:  # the file's flat "pass@k" keys
            obj = {**obj, "pass_at_k": {k: obj[k] for k in _pass_keys(obj)}}
        return super().from_dict(obj, source)

    @classmethod
    def _derived(cls, obj: dict[str, Any]) -> set[str]:
        return _pass_keys(obj)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        return {**{k: v for k, v in out.items() if k != "pass_at_k"}, **self.pass_at_k}


@dataclass
class EvaluationResults(StageFile):
    """``results.json`` of an evaluation: pass@k, verdict counts, tokens, one
    :class:`ProblemResult` per problem, and how the samples were made and scored.  The file
    also repeats each ``pass@k`` at the top level for quick reading (``jq '.["pass@1"]'``)."""

    FILE: ClassVar[str] = "results.json"
    pass_at_k: dict[str, float]
    n_problems: int
    n_samples: int
    status_counts: dict[str, int]
    problems: dict[str, ProblemResult]
    n_problems_benchmark: int | None = None
    complete: bool = True
    tokens: dict[str, float | None] = field(default_factory=dict)
    benchmark: str = ""
    samples: str | None = None
    created: str | None = None
    scoring: dict[str, Any] = field(default_factory=dict)
    skipped_samples: int = 0
    generation: dict[str, Any] | None = None  # generation.json of the run that made the samples
    finish_reasons: dict[str, int] | None = None  # stop / length / unknown
    compared_to: str | None = None
    flips: dict[str, Any] | None = None  # see rcwork.evaluation.scoring.compare_results

    @property
    def pass_at_1(self) -> float | None:
        return self.pass_at_k.get("pass@1")

    @property
    def hit_length(self) -> int | None:
        """Samples that ran into ``max_new_tokens`` (``None`` when not recorded)."""
        return None if self.finish_reasons is None else self.finish_reasons.get("length", 0)

    @classmethod
    def _convert(cls, name: str, value: Any, source: str) -> Any:
        if name == "problems":
            return {t: p if isinstance(p, ProblemResult) else
                    ProblemResult.from_dict(p, f"{source} (problem {t})")
                    for t, p in value.items()}
        return value

    @classmethod
    def _derived(cls, obj: dict[str, Any]) -> set[str]:
        return _pass_keys(obj)

    def to_dict(self) -> dict[str, Any]:
        return {**self.pass_at_k, **super().to_dict()}


def evaluation_runs(folder: str | Path) -> dict[str, EvaluationResults]:
    """Every ``*/results.json`` under ``folder``, by subfolder name, in name order."""
    return {p.parent.name: EvaluationResults.read(p)
            for p in sorted(Path(folder).glob(f"*/{EvaluationResults.FILE}"))}


def read_generation(folder: str | Path) -> dict[str, Any] | None:
    """``generation.json`` of an evaluation folder (settings and timing of the generation that
    made its samples), or ``None``."""
    path = Path(folder) / "generation.json"
    return read_json(path) if path.is_file() else None


def write_generation(folder: str | Path, stats: dict[str, Any]) -> Path:
    return write_json(Path(folder) / "generation.json", stats)


# ---- reinforce --------------------------------------------------------------------------------


@dataclass
class ReinforceMetrics(StageFile):
    """``metrics.json`` of a GRPO run: settings, the warm-up, held-out figures per stage
    (``base``, ``warmed_up``, ``trained``), mean rewards, speed, and the logged curves."""

    FILE: ClassVar[str] = "metrics.json"
    model: str
    train_problems: int
    heldout_problems: list[str]
    settings: dict[str, Any]
    heldout: dict[str, dict[str, Any] | None]
    steps: int
    curves: dict[str, Any]
    benchmark: str = ""
    problems: Any = None
    resumed_from: str | None = None
    warmup: dict[str, Any] | None = None
    training_format_rate: dict[str, float | None] = field(default_factory=dict)
    mean_reward: dict[str, float | None] = field(default_factory=dict)
    tokens_per_completion: float | None = None
    step_time_s: float | None = None
    train_wall_s: float | None = None
    executed_answers: int | None = None


# ---- the pipeline -----------------------------------------------------------------------------


@dataclass
class PipelineRecord(StageFile):
    """``pipeline.json`` of a pipeline run folder: its profile and, per finished stage, its
    status, wall time and executed notebook; a rerun skips the stages marked done."""

    FILE: ClassVar[str] = "pipeline.json"
    profile: str
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
