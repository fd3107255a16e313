"""The teacher protocol: what synthesis needs from a model, and the one engine-backed teacher.

A teacher takes a batch of conversations (OpenAI/TRL-style ``[{"role", "content"}]`` lists) and
returns one reply per conversation.  :class:`EngineTeacher` holds an :mod:`rcwork.engines`
engine (built by :func:`rcwork.engines.make_engine`) and adds synthesis's conventions: replies
are plain strings cut before the first stop string (the engines' semantics), sampling is seeded
and the seed advances every call (so retries differ), and a local engine's concurrent calls from
synthesis workers are merged into one batch (:class:`BatchQueue`), which the engine decodes with
continuous batching.  It holds the engine rather than being one, so the one engine a caller
built (and its loaded model) can serve a teacher and an evaluation alike.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable, Protocol, Sequence, runtime_checkable

from rcwork.engines.base import (Conversation, Engine, GenerationSettings,
                                 validate_conversations)


@runtime_checkable
class Teacher(Protocol):
    """What synthesis needs from a model.

    ``name`` goes into each record's ``metadata.teacher``; ``describe()`` is what a run's config
    file stores: it must never contain a secret.  A decoding argument left as None takes
    :class:`~rcwork.engines.GenerationSettings`' value (its defaults are written there only).
    """

    name: str

    def chat(self, conversations: Sequence[Conversation], *, max_new_tokens: int | None = None,
             temperature: float | None = None, stop: Sequence[str] | None = None
             ) -> list[str]: ...

    def describe(self) -> dict[str, Any]: ...


# ---------------------------------------------------------------- batching across threads


@dataclass
class _Request:
    conversations: list[Conversation]
    key: Hashable
    result: list[str] | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class BatchStats:
    calls: int = 0
    conversations: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def mean_batch(self) -> float:
        return self.conversations / self.calls if self.calls else 0.0


class BatchQueue:
    """Merges concurrent calls from worker threads into one batched generate call.

    There is no background thread: a caller that finds the model idle becomes the *leader*,
    waits up to ``wait_s`` for other threads' requests with the same generation settings
    (``key``), runs one batch of at most ``max_batch_size`` conversations, hands out the results
    and wakes the others; one of them leads the next batch.  Only the leader touches the model,
    so a model that is not thread-safe is shared safely.
    """

    def __init__(self, generate: Callable[[list[Conversation], Any], list[str]], *,
                 max_batch_size: int = 8, wait_s: float = 0.25):
        self._generate = generate
        self.max_batch_size = max(1, int(max_batch_size))
        self.wait_s = wait_s
        self._cv = threading.Condition()
        self._pending: list[_Request] = []
        self._busy = False
        self.stats = BatchStats()

    def _pending_size(self, key: Hashable) -> int:
        return sum(len(r.conversations) for r in self._pending if r.key == key)

    def submit(self, conversations: list[Conversation], key: Hashable) -> list[str]:
        if not conversations:
            return []
        # A request larger than one batch is split so that each piece fits.
        if len(conversations) > self.max_batch_size:
            out: list[str] = []
            for i in range(0, len(conversations), self.max_batch_size):
                out += self.submit(conversations[i:i + self.max_batch_size], key)
            return out
        req = _Request(list(conversations), key)
        with self._cv:
            self._pending.append(req)
            self._cv.notify_all()
            while not req.done:
                if self._busy:
                    self._cv.wait()
                    continue
                self._busy = True
                lead_key = self._pending[0].key  # oldest request first: no starvation
                deadline = time.monotonic() + self.wait_s
                while self._pending_size(lead_key) < self.max_batch_size:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cv.wait(left)
                batch: list[_Request] = []
                size = 0
                for r in list(self._pending):
                    if r.key == lead_key and size + len(r.conversations) <= self.max_batch_size:
                        batch.append(r)
                        size += len(r.conversations)
                        self._pending.remove(r)
                self._cv.release()
                try:
                    flat = [c for r in batch for c in r.conversations]
                    try:
                        texts = self._generate(flat, lead_key)
                        error = None
                    except BaseException as e:  # handed to every caller in the batch
                        texts, error = None, e
                finally:
                    self._cv.acquire()
                i = 0
                for r in batch:
                    n = len(r.conversations)
                    if error is None:
                        r.result = texts[i:i + n]
                    r.error = error
                    r.done = True
                    i += n
                self.stats.calls += 1
                self.stats.conversations += size
                self.stats.batch_sizes.append(size)
                self._busy = False
                self._cv.notify_all()
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result


class EngineTeacher:
    """A teacher on an engine (see the module docstring).

    An engine that is not thread-safe (a local model) gets its workers' requests merged into
    batches of at most ``max_batch_size`` conversations (None: the engine's own ``batch_size``,
    what it decodes at once), the first caller waiting up to ``batch_wait_s`` for company; a
    thread-safe one (an HTTP server) is called directly by every worker and batches on the
    server.  ``top_p`` is 1: the teacher samples from the whole distribution at ``temperature``.
    """

    def __init__(self, engine: Engine, *, max_batch_size: int | None = None,
                 batch_wait_s: float = 0.25, seed: int = 0):
        self.engine = engine
        self.name = engine.name
        self.seed = seed
        size = engine.batch_size if max_batch_size is None else max_batch_size
        self._queue = None if engine.thread_safe else BatchQueue(
            self._generate, max_batch_size=size, wait_s=batch_wait_s)

    @property
    def batch_stats(self) -> BatchStats | None:
        return self._queue.stats if self._queue is not None else None

    def describe(self) -> dict[str, Any]:
        described = self.engine.describe()
        if self._queue is not None:
            described["max_batch_size"] = self._queue.max_batch_size
        return described

    def __repr__(self) -> str:
        return f"EngineTeacher({self.engine!r})"

    def chat(self, conversations: Sequence[Conversation], *, max_new_tokens: int | None = None,
             temperature: float | None = None, stop: Sequence[str] | None = None
             ) -> list[str]:
        validate_conversations(conversations)
        settings = GenerationSettings.given(max_new_tokens=max_new_tokens,
                                            temperature=temperature, stop=stop, top_p=1.0)
        if self._queue is None:
            return self._generate(list(conversations), settings)
        return self._queue.submit(list(conversations), settings)

    def _generate(self, conversations: list[Conversation], settings: GenerationSettings
                  ) -> list[str]:
        seeded = replace(settings, seed=self.seed)
        if not settings.greedy:
            self.seed += 1  # the next call samples afresh
        return [c.text for c in self.engine.chat(conversations, seeded)]
