"""The one JSONL reader: every file of records, problems, samples and shards goes through it.

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
from pathlib import Path
from typing import Any, Iterator


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
