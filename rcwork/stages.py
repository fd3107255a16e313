"""One configuration dataclass per stage, and the two ways to fill it.

A stage's CLI (``parse_cli``: flags = fields, through ``HfArgumentParser``), its notebook's
``config`` parameter and the pipeline's profiles (``from_overrides``: a dict of field values)
are all overrides of the same dataclass, so a default is declared once, on the dataclass.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, Callable, TypeVar

from rcwork.jsonl import JsonlError

T = TypeVar("T")


def from_overrides(cls: type[T], overrides: dict[str, Any] | None = None, **more: Any) -> T:
    """``cls`` with ``overrides`` (and ``more``) applied; an unknown key is an error that
    lists the fields, not a silently ignored typo."""
    values = {**(overrides or {}), **more}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; "
                        f"fields: {', '.join(sorted(names))}")
    return cls(**values)


def parse_cli(cls: type[T], argv: list[str], *, prog: str, description: str | None = None) -> T:
    """``cls`` from command-line flags, one per field (``--learning_rate`` and
    ``--learning-rate`` both work); ``--help`` lists every field with its default."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser(cls, prog=prog, description=description)
    (cfg,) = parser.parse_args_into_dataclasses(args=argv)
    return cfg


def run_cli(prog: str, fn: Callable[[], int]) -> int:
    """Run a stage command; bad input (a bad line, a bad value, a path that cannot be read or
    written) is one ``prog: error: ...`` line and exit status 2, never a traceback."""
    try:
        return fn()
    except (JsonlError, ValueError, OSError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
