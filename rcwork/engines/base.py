"""What every engine offers, whatever runs the model.

An engine turns prompts into :class:`Completion` s.  A prompt is a :class:`Query`: either raw
``text`` (special tokens spelled out; the caller has applied any template) or a chat
``messages`` list (the engine applies the model's chat template, or sends it to a server's
``/chat/completions``), with the stop strings and stop token ids that end its answer.  Requests
carry only text and stops, never a caller's own prompt type, so evaluation, synthesis and RL
rollouts all sit above this layer and none of them below it.

How to decode is a :class:`GenerationSettings`, the one place decoding defaults are written:
every other signature that takes a decoding knob defaults it to None ("the settings' value") or
takes a settings object.  Its ``stop`` strings apply to every query, in addition to each query's
own (evaluation prompts carry per-row stops; a teacher's call shares one set).

Stop semantics are the same on every engine (the OpenAI convention): a completion ends *before*
the first stop string, which is not part of its text; a stop token id ends it too and is not
decoded.  ``n_tokens`` counts the tokens the engine generated for it, up to and including the one
that stopped it; ``finish_reason`` is ``"stop"`` (stop string, stop id, end of sequence) or
``"length"`` (ran into ``max_new_tokens``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any, Iterator, Sequence

ChatMessage = dict[str, str]
Conversation = list[ChatMessage]


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings, and the workbench's only decoding defaults.

    ``temperature == 0`` is greedy (``top_p`` then unused).  ``stop`` strings end every query's
    answer (a list or a single string is accepted and kept as a tuple).  ``ignore_eos`` (as in vLLM) generates
    exactly ``max_new_tokens`` per prompt, ignoring end tokens and stop strings: for throughput
    benchmarks, not for answers.  ``seed`` makes sampled output repeatable (local engines and
    vLLM; HTTP servers decide for themselves).  Frozen and hashable, so equal settings are one
    key when a teacher merges requests (:class:`rcwork.teachers.BatchQueue`).
    """

    temperature: float = 0.0
    top_p: float = 0.95
    max_new_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int = 0
    ignore_eos: bool = False

    def __post_init__(self) -> None:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)
        object.__setattr__(self, "stop", stop)  # one string is one stop, not its characters

    @classmethod
    def given(cls, **values: Any) -> "GenerationSettings":
        """These defaults with every value that is not None.  Callers whose own parameters
        default to None pass them straight through, so no default is written twice."""
        return cls(**{k: v for k, v in values.items() if v is not None})

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


@dataclass
class Completion:
    text: str
    n_tokens: int | None  # None: the server did not say
    finish_reason: str = "stop"  # "stop" (stop string / id / eos) or "length"


@dataclass(frozen=True)
class Query:
    """One prompt: exactly one of ``text`` and ``messages``, plus what ends its answer besides
    the settings' ``stop`` (per-row stops; none by default)."""

    text: str | None = None
    messages: Conversation | None = None
    stop: tuple[str, ...] = ()
    stop_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if (self.text is None) == (self.messages is None):
            raise ValueError("a query has either text or messages, not both or neither")


def truncate_at_stop(text: str, stop: Sequence[str] | None) -> str:
    """``text`` up to (not including) the earliest occurrence of any stop string."""
    cut = len(text)
    for s in stop or ():
        if s:
            i = text.find(s)
            if i != -1:
                cut = min(cut, i)
    return text[:cut]


def validate_conversations(conversations: Sequence[Conversation]) -> None:
    """A clear error for a malformed conversation, before it reaches a model or a server."""
    for i, conv in enumerate(conversations):
        if not conv:
            raise ValueError(f"conversation {i} is empty")
        for j, msg in enumerate(conv):
            if not isinstance(msg, dict) or msg.get("role") not in ("system", "user", "assistant"):
                raise ValueError(f"conversation {i} message {j}: expected a dict with role "
                                 f"system/user/assistant, got {msg!r:.80}")
            if not isinstance(msg.get("content"), str):
                raise ValueError(f"conversation {i} message {j}: content must be a string")


class Engine(ABC):
    """A model behind :meth:`stream`; :meth:`complete` and :meth:`chat` are its two front doors.

    Engines are built by :func:`rcwork.engines.make_engine`; evaluation
    (:class:`rcwork.evaluation.generation.PromptBackend`) and teachers
    (:class:`rcwork.teachers.EngineTeacher`) hold one rather than being one, so an engine knows
    nothing of prompts or conversations-as-records.  ``batch_size`` is how many queries the
    engine hands back together (a local model decodes them together; a teacher merges that many
    workers' requests by default).  ``thread_safe`` says whether several threads may call the
    engine at once (HTTP clients); a local model is driven by one thread at a time, and callers
    with many threads merge their requests first (:class:`rcwork.teachers.BatchQueue`).
    ``describe()`` is what a run's files store about the engine: it must never contain a secret.
    """

    backend: str = ""
    thread_safe: bool = False
    name: str
    batch_size: int
    tokenizer: Any | None = None

    @abstractmethod
    def _stream(self, queries: Sequence[Query], settings: GenerationSettings
                ) -> Iterator[list[tuple[int, Completion]]]:
        """The engine's decoding: each query's ``stop`` already holds the settings' stops."""

    def stream(self, queries: Sequence[Query], settings: GenerationSettings | None = None
               ) -> Iterator[list[tuple[int, Completion]]]:
        """Completions in groups as they finish: ``(index into queries, completion)``."""
        settings = settings or GenerationSettings()
        if settings.stop:
            queries = [replace(q, stop=q.stop + settings.stop) for q in queries]
        return self._stream(list(queries), settings)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.describe().items())
        return f"{type(self).__name__}({fields})"

    def run(self, queries: Sequence[Query], settings: GenerationSettings | None = None
            ) -> list[Completion]:
        """All of :meth:`stream`, in the order of ``queries``."""
        out: list[Completion | None] = [None] * len(queries)
        for group in self.stream(queries, settings):
            for i, completion in group:
                out[i] = completion
        missing = [i for i, c in enumerate(out) if c is None]
        if missing:
            raise RuntimeError(f"{self.name}: no completion for queries {missing[:5]}")
        return out  # type: ignore[return-value]

    def complete(self, texts: Sequence[str], settings: GenerationSettings | None = None
                 ) -> list[Completion]:
        """Raw text prompts (templates already applied) → one completion each."""
        return self.run([Query(text=t) for t in texts], settings)

    def chat(self, conversations: Sequence[Conversation],
             settings: GenerationSettings | None = None) -> list[Completion]:
        """Conversations (``[{"role", "content"}]``) → the assistant's next message each."""
        validate_conversations(conversations)
        return self.run([Query(messages=list(c)) for c in conversations], settings)
