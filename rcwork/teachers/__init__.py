"""Teachers: the LLMs that write reflection sequences, behind one batched chat protocol.

A teacher is an :mod:`rcwork.engines` engine plus synthesis's conventions
(:class:`~rcwork.teachers.base.EngineTeacher`).  ``make_teacher(backend, model, **kw)`` builds
one by name:

- ``"transformers"``: a model in this process (``"embedded"``, ``"tiny"``, a folder or a hub
  id); synthesis workers' concurrent calls are merged and decoded with continuous batching;
- ``"openai"``: any OpenAI-compatible server (vLLM, a hosted API, ``transformers serve``); the
  key is read from an environment variable when requests are sent and never kept;
- ``"vllm"``: vLLM's offline engine, when vLLM is installed;
- ``"scripted"``: :class:`ScriptedTeacher`, fixed replies (tests, replays).
"""

from __future__ import annotations

from typing import Any

from rcwork.engines import make_engine
from rcwork.teachers.base import BatchQueue, Conversation, EngineTeacher, Teacher
from rcwork.teachers.scripted import ScriptedTeacher

BACKENDS = ("transformers", "openai", "vllm", "scripted")

# Cross-thread batching per backend: (max_batch_size, batch_wait_s) defaults.
_BATCHING = {"transformers": (8, 0.25), "vllm": (64, 0.1), "openai": (8, 0.0)}


def make_teacher(backend: str, model: Any, *, max_batch_size: int | None = None,
                 batch_wait_s: float | None = None, seed: int = 0, **kw: Any) -> Teacher:
    """A teacher by backend name.  ``max_batch_size`` / ``batch_wait_s`` shape the merged
    batches of a local engine (and are its decoding batch size); other ``kw`` go to the engine
    (e.g. ``num_threads``, ``max_batch_tokens``, ``base_url``, ``api_key_env``,
    ``max_concurrency``, ``name``)."""
    if backend == "scripted":
        return ScriptedTeacher(model, **kw)
    if backend not in _BATCHING:
        raise ValueError(f"unknown teacher backend {backend!r}; expected one of "
                         f"{', '.join(BACKENDS)}")
    size, wait = _BATCHING[backend]
    size = size if max_batch_size is None else max_batch_size
    if backend == "transformers":
        # A reflection conversation grows every round: bound a batch's padded size.
        kw = {"batch_size": size, "max_batch_tokens": 8192, **kw}
    elif backend == "vllm":
        kw = {"seed": seed, **kw}
    engine = make_engine(backend, model, **kw)
    return EngineTeacher(engine, max_batch_size=size,
                         batch_wait_s=wait if batch_wait_s is None else batch_wait_s, seed=seed)


__all__ = ["BACKENDS", "BatchQueue", "Conversation", "EngineTeacher", "ScriptedTeacher",
           "Teacher", "make_teacher"]
