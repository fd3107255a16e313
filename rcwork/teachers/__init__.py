"""Teachers: the LLMs that write reflection sequences, behind one batched chat protocol.

A teacher answers ``chat(conversations, max_new_tokens=…, temperature=…, stop=…)`` with one
reply per conversation (:class:`Teacher`).  Two kinds exist:

- :class:`EngineTeacher`: an engine from :func:`rcwork.engines.make_engine` — a model in this
  process (``"transformers"``: synthesis workers' concurrent calls are merged by
  :class:`BatchQueue` and decoded with continuous batching), any OpenAI-compatible server
  (``"openai"``; the key is read from an environment variable when requests are sent and never
  kept) or vLLM's offline engine (``"vllm"``) — plus synthesis's conventions;
- :class:`ScriptedTeacher`: fixed replies (tests, replays).

There is no teacher factory: ``EngineTeacher(make_engine(backend, model, **options))`` is the
whole recipe, and :func:`rcwork.synthesis.run.build_teacher` is that recipe for a synthesis
config.
"""

from __future__ import annotations

from rcwork.teachers.base import BatchQueue, Conversation, EngineTeacher, Teacher
from rcwork.teachers.scripted import ScriptedTeacher

__all__ = ["BatchQueue", "Conversation", "EngineTeacher", "ScriptedTeacher", "Teacher"]
