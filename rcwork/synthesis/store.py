"""A synthesis run's files: sharded append-only JSONL that survives SIGKILL.

Layout of an output directory::

    run.json              the run's settings (teacher description, prompts, filters): no secrets
    kept/shard-000.jsonl  records that passed the filters, one shard per worker
    filtered/shard-000.jsonl  records that did not; ``metadata.filter_reasons`` says why
    errors.jsonl          problems that raised (teacher or executor failure); retried on resume
    summary.json          counts per filter reason, rounds histogram, timings

Each record is one line written with a single ``os.write`` on an ``O_APPEND`` descriptor and
``fsync``-ed before the next problem starts, so a killed run leaves at most one partial line per
shard.  On start the store repairs every shard: a trailing fragment without its newline is
completed if it is a whole JSON record, cut off otherwise (and counted), and the task ids
already present are skipped.  A lock file stops two live runs from sharing a directory (the
kernel drops ``flock`` locks when a process dies, so a killed run never leaves it stuck).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from rcwork.jsonl import JsonlAppender, JsonlError, iter_json_lines
from rcwork.records import ReflectionRecord, from_messages, record_to_json_line

KEPT, FILTERED = "kept", "filtered"


class RunLocked(RuntimeError):
    pass


@dataclass
class ScanReport:
    """What the shards held when the store was opened."""

    completed: dict[str, str] = field(default_factory=dict)  # task_id -> kept | filtered
    torn_lines_cut: int = 0
    torn_lines_completed: int = 0
    corrupt_lines: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"records_found": len(self.completed), "torn_lines_cut": self.torn_lines_cut,
                "torn_lines_completed": self.torn_lines_completed,
                "corrupt_lines": self.corrupt_lines, "duplicates": self.duplicates}


def _task_id(obj: Any) -> str | None:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    tid = meta.get("task_id") if isinstance(meta, dict) else None
    return tid if isinstance(tid, str) else None


def repair_shard(path: Path) -> str:
    """Make ``path`` end at a line boundary; returns ``"ok"``, ``"completed"`` or ``"cut"``."""
    size = path.stat().st_size
    if size == 0:
        return "ok"
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return "ok"
        # Find the start of the unterminated last line.
        chunk, end = 1 << 16, size
        start = 0
        while end > 0:
            begin = max(0, end - chunk)
            fh.seek(begin)
            buf = fh.read(end - begin)
            i = buf.rfind(b"\n")
            if i != -1:
                start = begin + i + 1
                break
            end = begin
        fh.seek(start)
        tail = fh.read()
        try:
            obj = json.loads(tail.decode("utf-8"))
            whole = _task_id(obj) is not None
        except (UnicodeDecodeError, json.JSONDecodeError):
            whole = False
        if whole:  # only the newline was lost
            fh.seek(size)
            fh.write(b"\n")
            fh.flush()
            os.fsync(fh.fileno())
            return "completed"
        fh.truncate(start)
        fh.flush()
        os.fsync(fh.fileno())
        return "cut"


def iter_shard_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON or None if corrupt)`` for every non-blank line (a torn
    tail or a corrupt line is None: :meth:`ShardStore.open` repairs and counts them)."""
    for lineno, obj in iter_json_lines(path):
        yield lineno, None if isinstance(obj, JsonlError) else obj


class ShardStore:
    def __init__(self, output_dir: str | Path):
        self.root = Path(output_dir)
        self._fds: dict[tuple[str, int], int] = {}
        self._lock_fh = None
        self._errors_lock = threading.Lock()

    # -------------------------------------------------------------- opening and resuming

    def shard_paths(self, kind: str | None = None) -> list[Path]:
        kinds = (KEPT, FILTERED) if kind is None else (kind,)
        return [p for k in kinds for p in sorted((self.root / k).glob("shard-*.jsonl"))]

    def open(self) -> ScanReport:
        """Lock the directory, repair torn shards and report the completed task ids."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / KEPT).mkdir(exist_ok=True)
        (self.root / FILTERED).mkdir(exist_ok=True)
        self._lock_fh = open(self.root / ".lock", "w")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            self._lock_fh = None
            raise RunLocked(f"another synthesis run is writing to {self.root}") from None
        report = ScanReport()
        for path in self.shard_paths():
            state = repair_shard(path)
            report.torn_lines_cut += state == "cut"
            report.torn_lines_completed += state == "completed"
            kind = path.parent.name
            for _, obj in iter_shard_lines(path):
                tid = _task_id(obj) if obj is not None else None
                if tid is None:
                    report.corrupt_lines += 1
                elif tid in report.completed:
                    report.duplicates += 1
                else:
                    report.completed[tid] = kind
        return report

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> "ShardStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------- writing

    def _fd(self, kind: str, shard: int) -> int:
        key = (kind, shard)
        if key not in self._fds:
            path = self.root / kind / f"shard-{shard:03d}.jsonl"
            self._fds[key] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self._fds[key]

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)

    def append(self, record: ReflectionRecord, *, kept: bool, shard: int) -> None:
        """Append one record to its worker's shard; durable when this returns.  Each shard has
        a single writer (its worker), so no lock is needed."""
        line = (record_to_json_line(record) + "\n").encode("utf-8")
        self._write_all(self._fd(KEPT if kept else FILTERED, shard), line)

    def append_error(self, task_id: str, error: str) -> None:
        with self._errors_lock, JsonlAppender(self.root / "errors.jsonl") as out:
            out.write([{"task_id": task_id, "error": error}])


# ---------------------------------------------------------------- reading a run


def read_run(output_dir: str | Path, kind: str = KEPT) -> list[ReflectionRecord]:
    """The records of a run's ``kept`` (default) or ``filtered`` shards, in shard order.  A torn
    trailing line (a run that is still going or was killed) is skipped, not an error."""
    out: list[ReflectionRecord] = []
    for path in ShardStore(output_dir).shard_paths(kind):
        for lineno, obj in iter_shard_lines(path):
            if obj is not None:
                out.append(from_messages(obj, source=str(path), line=lineno))
    return out


def count_task_ids(output_dir: str | Path) -> Counter:
    """How many times each task id occurs across every shard (1 each in a healthy run)."""
    counts: Counter = Counter()
    for path in ShardStore(output_dir).shard_paths():
        for _, obj in iter_shard_lines(path):
            tid = _task_id(obj) if obj is not None else None
            if tid is not None:
                counts[tid] += 1
    return counts
