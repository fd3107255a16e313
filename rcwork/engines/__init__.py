"""Engines: one implementation per way of running a model, behind one small interface.

Synthesis teachers, evaluation and (next) RL rollouts all generate through this package, and
:func:`make_engine` is the one place an engine is built: a teacher
(:class:`rcwork.teachers.EngineTeacher`) and an evaluation backend
(:class:`rcwork.evaluation.generation.PromptBackend`) are handed an engine and add only their
own conventions, so a model is loaded, batched and stopped the same way whoever asks.  Each
engine takes :class:`Query` s — raw text or a chat conversation, with the stop strings and stop
token ids that end its answer — and :class:`GenerationSettings` (the workbench's only decoding
defaults), and returns :class:`Completion` s (text, ``n_tokens``, ``finish_reason``) through
:meth:`Engine.complete` / :meth:`Engine.chat` (all at once) or :meth:`Engine.stream` (in groups
as they finish).  ``make_engine(backend, model, **options)`` imports the backend's module (and
torch, openai or vllm) only then:

- ``"transformers"``: :class:`~rcwork.engines.transformers.TransformersEngine`, a model in this
  process (by name, or a loaded model with ``tokenizer=``), decoded with continuous batching
  (:mod:`rcwork.engines.decoding`);
- ``"openai"``: :class:`~rcwork.engines.openai_api.OpenAIEngine`, any OpenAI-compatible server;
  the API key is read from an environment variable at call time and never kept;
- ``"vllm"``: :class:`~rcwork.engines.vllm_offline.VLLMEngine`, vLLM's offline engine.
"""

from __future__ import annotations

import importlib
from typing import Any

from rcwork.engines.base import (ChatMessage, Completion, Conversation, Engine,
                                 GenerationSettings, Query, truncate_at_stop,
                                 validate_conversations)

ENGINES = {"transformers": ("rcwork.engines.transformers", "TransformersEngine"),
           "openai": ("rcwork.engines.openai_api", "OpenAIEngine"),
           "vllm": ("rcwork.engines.vllm_offline", "VLLMEngine")}


def make_engine(backend: str, model: Any, **options: Any) -> Engine:
    """The engine ``backend`` names, built on ``model`` with its constructor's ``options``
    (an option another backend takes is an error here, not silently dropped)."""
    if backend not in ENGINES:
        raise ValueError(f"unknown engine backend {backend!r}; expected one of "
                         f"{', '.join(ENGINES)}")
    module, cls = ENGINES[backend]
    return getattr(importlib.import_module(module), cls)(model, **options)


__all__ = ["ChatMessage", "Completion", "Conversation", "ENGINES", "Engine", "GenerationSettings",
           "Query", "make_engine", "truncate_at_stop", "validate_conversations"]
