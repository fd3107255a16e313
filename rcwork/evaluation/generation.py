"""Generating samples through an :mod:`rcwork.engines` engine: local transformers, an
OpenAI-compatible server, or vLLM.

:func:`generate_samples` is the one path every engine goes through: it builds each problem's
prompt, skips the ``(task_id, index)`` pairs already in the sample file, asks the backend for
the rest, post-processes each response into EvalPlus fields
(:func:`rcwork.evaluation.prompts.response_to_sample`) and appends each group of finished
samples to the file as soon as the backend hands it back.  Greedy decoding is ``n=1,
temperature=0``; pass@k sampling is ``n`` samples per problem at ``temperature``/``top_p``.

A :class:`PromptBackend` holds an engine built by :func:`rcwork.engines.make_engine` and adds
evaluation's one convention on top: a prompt becomes a :class:`~rcwork.engines.Query` with its
text (or, for an HTTP server in chat style, its messages), its stop strings and — in the
paper's style — the paper's end tokens as stop ids.  The engines know nothing of prompts, so
the dependency points one way, and the engine (continuous batching on a local model, the API
key read at call time over HTTP, vLLM imported only when asked for) is the same one teachers
use.  :meth:`PromptBackend.resolve_style` turns ``auto`` into the prompt style the model wants.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from rcwork.checkpoints import checkpoint_info
from rcwork.engines.base import Completion, Engine, GenerationSettings, Query
from rcwork.engines.transformers import TransformersEngine
from rcwork.evaluation.data import BenchmarkProblem
from rcwork.evaluation.prompts import (SPECIAL_TOKEN_STYLES, Prompt, build_prompt,
                                       has_paper_tokens, resolve_style, response_to_sample)
from rcwork.evaluation.samples import SampleFileError, SampleWriter, read_samples
from rcwork.textformat import END_OF_BLOCK, END_OF_MESSAGE


@dataclass(frozen=True)
class SamplingSettings(GenerationSettings):
    """The engines' decoding settings plus ``n``, the samples per problem."""

    n: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n < 1:
            raise ValueError("n must be >= 1")
        if self.greedy and self.n > 1:
            raise ValueError("n > 1 samples need temperature > 0 (greedy samples are identical)")


@dataclass
class Request:
    task_id: str
    index: int
    prompt: Prompt


class PromptBackend:
    """An engine that generates evaluation :class:`Request` s.

    ``name`` and ``tokenizer`` are the engine's (an HTTP engine has no tokenizer: prompts are
    built without one).
    """

    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def tokenizer(self) -> Any | None:
        return self.engine.tokenizer

    def __repr__(self) -> str:
        return f"PromptBackend({self.engine!r})"

    def resolve_style(self, prompt_style: str) -> str:
        """The concrete prompt style for this engine's model.

        ``auto`` on a local model takes the style a checkpoint trained here recorded, else the
        tokenizer decides (:func:`~rcwork.evaluation.prompts.resolve_style`).  The paper's
        styles need the paper's tokens: a local model that lacks them gets them now, and only
        then, so a published model is used exactly as published in every other style.
        """
        engine = self.engine
        local = isinstance(engine, TransformersEngine)
        folder = engine.model.name_or_path if local else ""  # where the weights came from
        if prompt_style == "auto" and folder:
            prompt_style = checkpoint_info(folder).get("prompt_style", "auto")
        style = resolve_style(prompt_style, engine.tokenizer)
        if local and style in SPECIAL_TOKEN_STYLES and not has_paper_tokens(engine.tokenizer):
            from rcwork.models import add_reflection_tokens

            add_reflection_tokens(engine.model, engine.tokenizer)
        return style

    def _query(self, prompt: Prompt) -> Query:
        stop_ids: frozenset[int] = frozenset()
        if prompt.style in SPECIAL_TOKEN_STYLES and self.tokenizer is not None:
            vocab = self.tokenizer.get_vocab()  # the answer is one block
            stop_ids = frozenset(vocab[t] for t in (END_OF_BLOCK, END_OF_MESSAGE) if t in vocab)
        if prompt.text is None:
            return Query(messages=prompt.messages, stop=tuple(prompt.stop))
        return Query(text=prompt.text, stop=tuple(prompt.stop), stop_ids=stop_ids)

    def generate(self, requests: Sequence[Request], settings: GenerationSettings
                 ) -> Iterator[list[tuple[Request, Completion]]]:
        """Completions of ``requests`` in groups as the engine finishes them."""
        queries = [self._query(r.prompt) for r in requests]
        for group in self.engine.stream(queries, settings):
            yield [(requests[i], c) for i, c in group]


# ---------------------------------------------------------------------------- the driver

def _check_resumable(path: Path, model: str, style: str) -> dict[str, set[int]]:
    have: dict[str, set[int]] = {}
    if not path.exists():
        return have
    for s in read_samples(path, torn_tail="ignore"):  # the writer repairs a torn tail
        for key, want in (("model", model), ("prompt_style", style)):
            if key in s and s[key] != want:
                raise SampleFileError(
                    f"written with {key}={s[key]!r}, this run has {want!r}; use another "
                    "samples file", source=str(path), line=s["_line"], field=key)
        have.setdefault(s["task_id"], set()).add(int(s["index"]))
    return have


def generate_samples(problems: Sequence[BenchmarkProblem], backend: PromptBackend,
                     samples_path: str | Path, *, prompt_style: str,
                     settings: SamplingSettings | None = None, model_name: str = "",
                     progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Generate the missing samples of ``problems`` into ``samples_path`` (appending).

    Returns the run's statistics: samples generated and already present, wall time, tokens
    generated and tokens per second.
    """
    samples_path = Path(samples_path)
    settings = settings or SamplingSettings()
    model_name = model_name or backend.name
    have = _check_resumable(samples_path, model_name, prompt_style)
    requests: list[Request] = []
    by_id = {p.task_id: p for p in problems}
    present = 0
    for p in problems:
        prompt = build_prompt(p, prompt_style, backend.tokenizer)
        for i in range(settings.n):
            if i in have.get(p.task_id, ()):
                present += 1
            else:
                requests.append(Request(p.task_id, i, prompt))
    t0 = time.perf_counter()
    tokens, done = 0, 0
    with SampleWriter(samples_path) as writer:
        for batch in backend.generate(requests, settings):
            lines = []
            for req, comp in batch:
                fields = response_to_sample(by_id[req.task_id], req.prompt, comp.text)
                lines.append({"task_id": req.task_id, **fields, "index": req.index,
                              "n_tokens": comp.n_tokens, "finish_reason": comp.finish_reason,
                              "prompt_style": prompt_style, "model": model_name,
                              "raw": comp.text})
                tokens += comp.n_tokens or 0
            writer.write(lines)
            done += len(batch)
            if progress is not None:
                progress(done, len(requests))
    wall = time.perf_counter() - t0
    return {"model": model_name, "prompt_style": prompt_style, "n": settings.n,
            "temperature": settings.temperature, "top_p": settings.top_p,
            "max_new_tokens": settings.max_new_tokens, "seed": settings.seed,
            "generated": len(requests), "already_present": present,
            "wall_s": round(wall, 2), "new_tokens": tokens,
            "tokens_per_s": round(tokens / wall, 2) if wall > 0 and tokens else None}


def print_progress(done: int, total: int) -> None:
    print(f"generated {done}/{total}", file=sys.stderr, flush=True)
