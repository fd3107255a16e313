"""Bounded capture of what sandboxed code prints.

A program may print gigabytes; the workbench keeps the head and the tail (where the traceback is)
up to a cap and drops the middle, marking the cut. The caller keeps draining: stopping would stall
the writer, and a stalled program changes what is being measured.
"""

from __future__ import annotations

import re
from typing import Generic, TypeVar

TRUNCATION_MARKER = "\n[... output truncated ...]\n"

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

T = TypeVar("T", str, bytes)


def strip_ansi(text: str) -> str:
    """Remove terminal colour and cursor sequences (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)


class Capped(Generic[T]):
    """Keeps at most ``cap`` units (bytes or characters) of a stream: the head, and once the stream
    overflows, its last ``cap // 4`` units (at most 4096) as the tail."""

    def __init__(self, cap: int, empty: T) -> None:
        self.cap = cap
        self.total = 0
        self._tail_cap = min(4096, cap // 4)
        self._head: list[T] = []
        self._head_size = 0
        self._tail: T = empty
        self._empty = empty

    def feed(self, chunk: T) -> None:
        self.total += len(chunk)
        room = self.cap - self._head_size
        if room > 0:
            self._head.append(chunk[:room])
            self._head_size += min(room, len(chunk))
            chunk = chunk[room:]
        if chunk and self._tail_cap:
            self._tail = (self._tail + chunk)[-self._tail_cap:]

    def clear(self) -> None:
        self.__init__(self.cap, self._empty)  # type: ignore[misc]

    @property
    def truncated(self) -> bool:
        return self.total > self.cap

    def parts(self) -> tuple[T, T | None]:
        """(head, tail): the whole stream and None, or the kept head and tail of an overflow."""
        head = self._empty.join(self._head)
        if not self.truncated:
            return head, None
        # Shortly past the cap, part of the stream's tail still sits in the head.
        tail = (head + self._tail)[-self._tail_cap:] if self._tail_cap else self._empty
        return head[: self.cap - self._tail_cap], tail


def render_bytes(buffer: Capped[bytes]) -> str:
    head, tail = buffer.parts()
    text = head.decode("utf-8", errors="replace")
    return text if tail is None else text + TRUNCATION_MARKER + tail.decode("utf-8", errors="replace")


def render_text(buffer: Capped[str]) -> str:
    head, tail = buffer.parts()
    return head if tail is None else head + TRUNCATION_MARKER + tail
