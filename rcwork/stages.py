"""One configuration dataclass per stage, profiles that override it, and the ways to fill it.

A default lives in one place, the stage's dataclass.  What differs per setting lives in one
other place, a *profile* file (``configs/profiles/<name>.toml``: ``demo``, ``ci``, ``gpu``, and
ReflexiCoder's ``cpu`` and ``authors``), one table per stage holding overrides of that stage's
fields.  Everything that builds a config goes through :func:`stage_config`:

- a stage's CLI (:func:`parse_cli`): ``--config demo`` or ``--config FILE`` loads the profile's
  table for the stage (or a flat file of fields), and flags given beside it win, as with TRL's
  ``TrlParser --config``;
- a lesson's parameters cell: ``profile = "demo"`` plus a ``config`` dict of overrides;
- the pipeline: the profile named by ``--profile`` plus the run folder's paths.

So a lesson, the CLI and the pipeline build the same config for the same profile (a test
checks it for every stage and profile), and ``git grep`` finds each number once.

A profile may ``include`` others (read first, table by table, then its own tables on top): the
``demo`` profile includes ``cpu`` for its ReflexiCoder stage and shortens it further.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

from rcwork.jsonl import JsonlError
from rcwork.paths import project_path, project_root

T = TypeVar("T")


@dataclass(frozen=True)
class StageDef:
    """A stage: its config dataclass, the function that runs it, and the lesson that teaches it
    (``"module:name"`` strings, imported on use: the trainer's config imports torch).  The two
    looking-only lessons have no function; the sweep has no lesson of its own."""

    config: str
    function: str | None
    notebook: str | None


STAGE_DEFS: dict[str, StageDef] = {
    "synthesize": StageDef("rcwork.synthesis.run:SynthesisConfig",
                           "rcwork.synthesis.run:run_synthesis", "01_synthesize"),
    "inspect": StageDef("rcwork.inspection:InspectConfig", None, "02_inspect"),
    "masks": StageDef("rcwork.inspection:MaskViewConfig", None, "03_mask_visualize"),
    "distill": StageDef("rcwork.distill.trainer:DistillConfig", "rcwork.distill.stage:distill",
                        "04_distill"),
    "evaluate": StageDef("rcwork.evaluation.stage:EvaluateConfig",
                         "rcwork.evaluation.stage:evaluate", "05_evaluate"),
    "sweep": StageDef("rcwork.sweep.config:SweepConfig", "rcwork.sweep.runner:run_sweep", None),
    "reinforce": StageDef("rcwork.reflexi.config:ReinforceConfig",
                          "rcwork.reflexi.train:reinforce", "06_reinforce"),
}


def load_object(ref: str) -> Any:
    """``"module:name"`` → the object."""
    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


class ProfileError(ValueError):
    """A profile that cannot be used: the message names the file and the key."""


def profile_dir() -> Path:
    return project_root() / "configs" / "profiles"


def profile_names() -> list[str]:
    """The profiles shipped in ``configs/profiles/``."""
    return sorted(p.stem for p in profile_dir().glob("*.toml"))


def profile_file(profile: str | Path) -> Path:
    """A profile's file: a name (``"demo"``) or a path to a ``.toml`` file."""
    text = str(profile)
    if text.endswith(".toml") or "/" in text or Path(text).suffix:
        path = project_path(text)
    else:
        path = profile_dir() / f"{text}.toml"
        if not path.exists():
            raise ProfileError(f"unknown profile {text!r}; choose from "
                               f"{', '.join(profile_names())} or give a .toml file")
    if not path.exists():
        raise ProfileError(f"{path}: no such profile file")
    return path


def stage_class(stage: str) -> type:
    if stage not in STAGE_DEFS:
        raise ProfileError(f"unknown stage {stage!r}; stages: {', '.join(STAGE_DEFS)}")
    return load_object(STAGE_DEFS[stage].config)


def _field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path}: not valid TOML: {e}") from None


def read_profile(profile: str | Path, *, _seen: tuple[Path, ...] = ()) -> dict[str, dict[str, Any]]:
    """A profile's overrides per stage, its ``include`` resolved; every key is checked against
    the stage's fields, so a typo is an error naming the file, the table and the key."""
    path = profile_file(profile)
    if path in _seen:
        raise ProfileError(f"{path}: includes itself (through {' -> '.join(map(str, _seen))})")
    data = _read_toml(path)
    merged: dict[str, dict[str, Any]] = {}
    include = data.pop("include", [])
    if isinstance(include, str):
        include = [include]
    for other in include:
        for stage, overrides in read_profile(other, _seen=(*_seen, path)).items():
            merged.setdefault(stage, {}).update(overrides)
    data.pop("description", None)
    for stage, overrides in data.items():
        if stage not in STAGE_DEFS:
            raise ProfileError(f"{path}: [{stage}] is not a stage; stages: "
                               f"{', '.join(STAGE_DEFS)}")
        if not isinstance(overrides, dict):
            raise ProfileError(f"{path}: {stage} must be a table ([{stage}])")
        unknown = sorted(set(overrides) - _field_names(stage_class(stage)))
        if unknown:
            raise ProfileError(f"{path}: [{stage}] {unknown[0]}: not a field of "
                               f"{stage_class(stage).__name__} (`rcwork {stage} --help` lists "
                               f"them)")
        merged.setdefault(stage, {}).update(overrides)
    return merged


def from_overrides(cls: type[T], overrides: dict[str, Any] | None = None, **more: Any) -> T:
    """``cls`` with ``overrides`` (and ``more``) applied; an unknown key is an error that
    lists the fields, not a silently ignored typo."""
    values = {**(overrides or {}), **more}
    names = _field_names(cls)
    unknown = sorted(set(values) - names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; "
                        f"fields: {', '.join(sorted(names))}")
    return cls(**values)


def stage_overrides(stage: str, profile: str | Path | None = None,
                    overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The profile's table for ``stage`` with ``overrides`` on top (what :func:`stage_config`
    builds from; what the pipeline hands a lesson)."""
    base = read_profile(profile).get(stage, {}) if profile else {}
    return {**base, **(overrides or {})}


def stage_config(stage: str, profile: str | Path | None = None,
                 overrides: dict[str, Any] | None = None) -> Any:
    """The config of ``stage``: its dataclass defaults, then ``profile``'s table for it, then
    ``overrides``.  The one way lessons and the pipeline build a stage's config."""
    return from_overrides(stage_class(stage), stage_overrides(stage, profile, overrides))


def _take_config_flag(argv: list[str]) -> tuple[str | None, list[str]]:
    """Take ``--config X`` (or ``--config=X``) out of ``argv``."""
    value, rest, i = None, [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config":
            if i + 1 >= len(argv):
                raise ProfileError("--config needs a profile name or a .toml file")
            value, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--config="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return value, rest


def config_file_overrides(cls: type, stage: str, source: str) -> dict[str, Any]:
    """Overrides from ``--config``: a profile (name or file with stage tables) gives its table
    for ``stage``; a flat ``.toml`` file of fields is taken as it is."""
    path = profile_file(source)
    data = _read_toml(path)
    if "include" in data or any(k in STAGE_DEFS and isinstance(v, dict)
                                for k, v in data.items()):
        return read_profile(path).get(stage, {})
    unknown = sorted(set(data) - _field_names(cls))
    if unknown:
        raise ProfileError(f"{path}: {unknown[0]}: not a field of {cls.__name__}")
    return data


def parse_cli(cls: type[T], argv: list[str], *, prog: str, stage: str,
              description: str | None = None) -> T:
    """``cls`` from command-line flags, one per field (``--learning_rate`` and
    ``--learning-rate`` both work), over the overrides of ``--config PROFILE_OR_FILE``;
    ``--help`` lists every field with its default."""
    from transformers import HfArgumentParser

    source, rest = _take_config_flag(argv)
    parser = HfArgumentParser(cls, prog=prog, description=description)
    parser.add_argument("--config", metavar="PROFILE_OR_FILE",
                        help=f"overrides from a profile ({', '.join(profile_names())}) or a "
                             f".toml file; flags given here win")
    if source is not None:
        parser.set_defaults(**config_file_overrides(cls, stage, source))
    parsed = parser.parse_args_into_dataclasses(args=rest)
    return parsed[0]


def run_cli(prog: str, fn: Callable[[], int]) -> int:
    """Run a stage command; bad input (a bad line, a bad value, a path that cannot be read or
    written) is one ``prog: error: ...`` line and exit status 2, never a traceback."""
    try:
        return fn()
    except (JsonlError, ValueError, OSError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
