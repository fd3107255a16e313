"""Generating samples through :mod:`rcwork.engines`: local transformers, an OpenAI-compatible
server, or vLLM.

:func:`generate_samples` is the one path every backend goes through: it builds each problem's
prompt, skips the ``(task_id, index)`` pairs already in the sample file, asks the backend for
the rest, post-processes each response into EvalPlus fields
(:func:`rcwork.evaluation.prompts.response_to_sample`) and appends each group of finished
samples to the file as soon as the backend hands it back.  Greedy decoding is ``n=1,
temperature=0``; pass@k sampling is ``n`` samples per problem at ``temperature``/``top_p``.

A backend is an engine that also takes evaluation :class:`Request` s (:class:`PromptBackend`):
a prompt becomes a :class:`~rcwork.engines.Query` with its text (or, for an HTTP server in chat
style, its messages), its stop strings and — in the paper's style — the paper's end tokens as
stop ids.  The engines know nothing of prompts, so the dependency points one way.

* :class:`TransformersBackend` — continuous batching (:mod:`rcwork.engines.decoding`), prompts
  longest first, eos and the prompt's stops per row; ``use_generate=True`` runs
  ``model.generate`` on fixed batches instead.
* :class:`OpenAIBackend` — chat style to ``/chat/completions`` with the server's template, the
  raw styles to ``/completions``; the key is read from an environment variable and never kept.
* :class:`VLLMBackend` — vLLM's offline engine when it is installed (GPU machines).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from rcwork.checkpoints import checkpoint_info
from rcwork.engines.base import Completion, Engine, GenerationSettings, Query
from rcwork.engines.openai_api import OpenAIEngine
from rcwork.engines.transformers import TransformersEngine
from rcwork.engines.vllm_offline import VLLMEngine
from rcwork.evaluation.benchmarks import BenchmarkProblem
from rcwork.evaluation.prompts import (SPECIAL_TOKEN_STYLES, Prompt, build_prompt,
                                       has_paper_tokens, resolve_style, response_to_sample)
from rcwork.evaluation.samples import SampleFileError, SampleWriter, read_samples
from rcwork.textformat import END_OF_BLOCK, END_OF_MESSAGE


@dataclass
class SamplingSettings(GenerationSettings):
    """The engines' decoding settings plus ``n``, the samples per problem."""

    n: int = 1

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("n must be >= 1")
        if self.greedy and self.n > 1:
            raise ValueError("n > 1 samples need temperature > 0 (greedy samples are identical)")


@dataclass
class Request:
    task_id: str
    index: int
    prompt: Prompt


class PromptBackend(Engine):
    """An engine that generates evaluation :class:`Request` s (mixed in before the engine)."""

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
        for group in self.stream(queries, settings):
            yield [(requests[i], c) for i, c in group]


class TransformersBackend(PromptBackend, TransformersEngine):
    """:class:`~rcwork.engines.transformers.TransformersEngine` taking requests."""

    @classmethod
    def load(cls, name: str, *, prompt_style: str = "auto", batch_size: int = 16,
             dtype: Any = None, device: str | None = None) -> tuple["TransformersBackend", str]:
        """Load ``name`` (``embedded``, ``tiny``, a folder or hub id) with :func:`load_model`;
        returns the backend and the concrete prompt style.  The paper's tokens are added only
        for the paper style, so a published model is used exactly as published otherwise."""
        import torch

        from rcwork.models import add_reflection_tokens, load_model

        model, tokenizer = load_model(name, reflection_tokens=False,
                                      dtype=dtype or torch.float32, device=device)
        if prompt_style == "auto":  # a checkpoint trained here names its own style
            prompt_style = checkpoint_info(name).get("prompt_style", "auto")
        style = resolve_style(prompt_style, tokenizer)
        if style in SPECIAL_TOKEN_STYLES and not has_paper_tokens(tokenizer):
            add_reflection_tokens(model, tokenizer)
        return cls(model, tokenizer, batch_size=batch_size, name=name), style


class OpenAIBackend(PromptBackend, OpenAIEngine):
    """:class:`~rcwork.engines.openai_api.OpenAIEngine` taking requests; ``concurrency``
    requests in flight."""

    def __init__(self, model: str, *, base_url: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 4,
                 batch_size: int = 16, timeout_s: float = 600.0,
                 extra_body: dict[str, Any] | None = None):
        super().__init__(model, base_url, api_key_env=api_key_env, max_concurrency=concurrency,
                         batch_size=batch_size, timeout_s=timeout_s, extra_body=extra_body)


class VLLMBackend(PromptBackend, VLLMEngine):
    """:class:`~rcwork.engines.vllm_offline.VLLMEngine` taking requests."""


def make_backend(kind: str, model: str, *, prompt_style: str = "auto", batch_size: int = 16,
                 base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 concurrency: int = 4, extra_body: dict[str, Any] | None = None,
                 device: str | None = None, dtype: str | None = None
                 ) -> tuple[PromptBackend, str]:
    """A backend by kind (``transformers``, ``openai``, ``vllm``) and the resolved style."""
    if kind == "transformers":
        import torch

        torch_dtype = getattr(torch, dtype) if dtype else None
        return TransformersBackend.load(model, prompt_style=prompt_style, batch_size=batch_size,
                                        dtype=torch_dtype, device=device)
    if kind == "openai":
        backend = OpenAIBackend(model, base_url=base_url, api_key_env=api_key_env,
                                concurrency=concurrency, batch_size=batch_size,
                                extra_body=extra_body)
        return backend, resolve_style(prompt_style, None)
    if kind == "vllm":
        vb = VLLMBackend(model)
        return vb, resolve_style(prompt_style, vb.tokenizer)
    raise ValueError(f"unknown backend {kind!r}; choose transformers, openai or vllm")


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
