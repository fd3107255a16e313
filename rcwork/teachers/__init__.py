"""Teachers: the LLMs that write reflection sequences, behind one batched chat protocol.

``make_teacher(backend, model, **kw)`` builds one by name:

- ``"transformers"``: :class:`TransformersTeacher`, a model in this process (``"embedded"``,
  ``"tiny"``, a folder or a hub id), batched across synthesis workers;
- ``"openai"``: :class:`OpenAITeacher`, any OpenAI-compatible server (vLLM, a hosted API,
  ``transformers serve``); the key comes from an environment variable and is never logged;
- ``"vllm"``: :class:`VLLMTeacher`, vLLM's offline engine, when vLLM is installed;
- ``"scripted"``: :class:`ScriptedTeacher`, fixed replies (tests, replays).
"""

from __future__ import annotations

from typing import Any

from rcwork.teachers.base import (BatchQueue, ChatMessage, Conversation, Teacher,
                                  truncate_at_stop)
from rcwork.teachers.http import OpenAITeacher
from rcwork.teachers.scripted import ScriptedTeacher

BACKENDS = ("transformers", "openai", "vllm", "scripted")


def __getattr__(name: str):
    # The heavy backends import torch / vllm only when asked for.
    if name == "TransformersTeacher":
        from rcwork.teachers.local import TransformersTeacher
        return TransformersTeacher
    if name == "VLLMTeacher":
        from rcwork.teachers.offline_vllm import VLLMTeacher
        return VLLMTeacher
    raise AttributeError(name)


def make_teacher(backend: str, model: Any, **kw: Any) -> Teacher:
    """A teacher by backend name; ``kw`` go to its constructor (e.g. ``base_url``,
    ``api_key_env``, ``num_threads``, ``max_batch_size``)."""
    if backend == "transformers":
        from rcwork.teachers.local import TransformersTeacher
        return TransformersTeacher(model, **kw)
    if backend == "openai":
        return OpenAITeacher(model, **kw)
    if backend == "vllm":
        from rcwork.teachers.offline_vllm import VLLMTeacher
        return VLLMTeacher(model, **kw)
    if backend == "scripted":
        return ScriptedTeacher(model, **kw)
    raise ValueError(f"unknown teacher backend {backend!r}; expected one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "BatchQueue", "ChatMessage", "Conversation", "OpenAITeacher",
           "ScriptedTeacher", "Teacher", "TransformersTeacher", "VLLMTeacher", "make_teacher",
           "truncate_at_stop"]
