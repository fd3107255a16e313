"""A teacher that replays fixed responses: deterministic runs of the synthesis machinery.

It is a real :class:`~rcwork.teachers.base.Teacher` (synthesis cannot tell it from a model), so
tests of file handling, resume and filters run in seconds, and a set of recorded responses can
be re-executed against another executor.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

from rcwork.engines.base import Conversation, truncate_at_stop, validate_conversations

Script = Callable[[Conversation], str]


class ScriptedTeacher:
    """``respond(conversation) -> str`` decides each reply, or a list of replies is used in
    turn (cycling).  ``delay_s`` simulates generation time.  Replies are cut at ``stop`` as an
    engine's would be; ``max_new_tokens`` and ``temperature`` are accepted and have nothing to
    act on."""

    def __init__(self, respond: Script | Sequence[str], *, name: str = "scripted",
                 delay_s: float = 0.0):
        if callable(respond):
            self._respond = respond
        else:
            replies = list(respond)
            if not replies:
                raise ValueError("no replies")
            lock, state = threading.Lock(), {"i": 0}

            def cycle(_: Conversation) -> str:
                with lock:
                    i = state["i"]
                    state["i"] += 1
                return replies[i % len(replies)]

            self._respond = cycle
        self.name = name
        self.delay_s = delay_s
        self.calls = 0

    def describe(self) -> dict[str, Any]:
        return {"backend": "scripted", "name": self.name}

    def chat(self, conversations: Sequence[Conversation], *, max_new_tokens: int | None = None,
             temperature: float | None = None, stop: Sequence[str] | None = None
             ) -> list[str]:
        validate_conversations(conversations)
        self.calls += len(conversations)
        if self.delay_s:
            time.sleep(self.delay_s)
        return [truncate_at_stop(self._respond(c), stop) for c in conversations]
