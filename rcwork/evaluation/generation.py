"""Generating samples: local transformers (batched), an OpenAI-compatible server, or vLLM.

:func:`generate_samples` is the one path every backend goes through: it builds each problem's
prompt, skips the ``(task_id, index)`` pairs already in the sample file, asks the backend for
the rest, post-processes each response into EvalPlus fields
(:func:`rcwork.evaluation.prompts.response_to_sample`) and appends each group of finished
samples to the file as soon as the backend hands it back.  Greedy decoding is ``n=1,
temperature=0``; pass@k sampling is ``n`` samples per problem at ``temperature``/``top_p``.

Backends (self-contained here; the teacher protocol in ``rcwork.synthesis`` is a separate
concern):

* :class:`TransformersBackend` — batched decoding with left padding and continuous batching
  (a row leaves the batch the step it stops and a waiting prompt takes its place), prompts
  sorted longest first, per-row stop strings (the prompt style's), eos and the paper's end
  tokens as stop tokens; ``n_tokens`` counts each row's own tokens up to and including its
  stop.  ``use_generate=True`` runs ``model.generate`` on fixed batches instead.
* :class:`OpenAIBackend` — any OpenAI-compatible endpoint (vLLM, a hosted API, ``transformers
  serve``): chat style goes to ``/chat/completions`` with the server's template, the raw styles
  to ``/completions``.  One request per sample (some servers ignore ``n``), a few in flight.  The
  key is read from an environment variable and never stored or printed.
* :class:`VLLMBackend` — vLLM's offline engine when it is installed (GPU machines).
"""

from __future__ import annotations

import functools
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from rcwork.evaluation.benchmarks import BenchmarkProblem
from rcwork.checkpoints import checkpoint_info
from rcwork.evaluation.prompts import (Prompt, build_prompt, has_paper_tokens, resolve_style,
                                       response_to_sample)
from rcwork.evaluation.samples import SampleFileError, SampleWriter, read_samples
from rcwork.textformat import END_OF_BLOCK, END_OF_MESSAGE


@dataclass
class SamplingSettings:
    """Decoding settings.  ``temperature == 0`` is greedy (``top_p`` then unused).

    ``ignore_eos`` (as in vLLM) generates exactly ``max_new_tokens`` per sample, ignoring end
    tokens and stop strings: for throughput benchmarks, not for evaluation.
    """

    n: int = 1
    temperature: float = 0.0
    top_p: float = 0.95
    max_new_tokens: int = 512
    seed: int = 0
    ignore_eos: bool = False

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

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


@dataclass
class Completion:
    text: str
    n_tokens: int | None
    finish_reason: str = "stop"  # "stop" (stop string / eos) or "length"


class Backend(Protocol):
    name: str
    tokenizer: Any | None

    def generate(self, requests: Sequence[Request], settings: SamplingSettings
                 ) -> Iterator[list[tuple[Request, Completion]]]: ...


# ---------------------------------------------------------------------------- transformers

@functools.lru_cache(maxsize=None)
def _stop_criteria_class() -> type:
    """_StopCriteria as a transformers StoppingCriteria (imported only when generating)."""
    from transformers import StoppingCriteria

    class StopOnStringsOrIds(_StopCriteria, StoppingCriteria):
        pass

    return StopOnStringsOrIds


class _StopCriteria:
    """Per-row stop: eos (or another stop token id) or a stop string in the decoded tail.

    Records, for each row, how many new tokens it had when it stopped.  Used by the decoding
    loop (:meth:`check_row`) and, as a transformers ``StoppingCriteria``, by ``model.generate``.
    """

    def __init__(self, tokenizer: Any, stops: list[list[str]], prompt_len: int,
                 stop_ids: set[int]):
        import torch

        self.tokenizer, self.stops, self.prompt_len = tokenizer, stops, prompt_len
        self.stop_ids = stop_ids
        longest = max((len(s) for row in stops for s in row), default=0)
        self.window = max(4, longest + 4)  # tokens: each decodes to at least one character
        self.done_at: list[int | None] = [None] * len(stops)
        self._torch = torch

    def check_row(self, i: int, new_ids: Sequence[int]) -> bool:
        """Whether row ``i``, having generated ``new_ids``, is done (recorded the first time)."""
        if self.done_at[i] is not None:
            return True
        if new_ids and int(new_ids[-1]) in self.stop_ids:
            self.done_at[i] = len(new_ids)
        elif self.stops[i] and new_ids:
            tail = self.tokenizer.decode(list(new_ids[-self.window:]), skip_special_tokens=False)
            if any(s in tail for s in self.stops[i]):
                self.done_at[i] = len(new_ids)
        return self.done_at[i] is not None

    def __call__(self, input_ids: Any, scores: Any = None, **kwargs: Any) -> Any:
        done = [self.check_row(i, row[self.prompt_len:].tolist())
                for i, row in enumerate(input_ids)]
        return self._torch.tensor(done, dtype=self._torch.bool, device=input_ids.device)


class TransformersBackend:
    """Batched local generation with a transformers causal LM.

    Requests are sorted longest prompt first and decoded by a loop of our own with
    **continuous batching**: up to ``batch_size`` rows share one left-padded KV cache; a row
    leaves the batch the step it stops (``DynamicCache.batch_select_indices``) and waiting
    prompts are prefilled and merged in as soon as a quarter of the batch is free, so the rows
    still writing never wait for — or pay for — finished ones.  On evaluation prompts, whose
    answers range from a dozen tokens to the token limit, ``model.generate`` on fixed batches
    spends most of its steps on a few long rows.  ``use_generate=True`` uses ``model.generate``
    on fixed batches instead (same stop rules); greedy outputs of the two paths are identical
    (tested).  Finished rows are handed back in groups of ``batch_size`` as they finish.
    """

    def __init__(self, model: Any, tokenizer: Any, *, batch_size: int = 16, name: str = "",
                 use_generate: bool = False):
        self.model, self.tokenizer = model, tokenizer
        self.batch_size = batch_size
        self.use_generate = use_generate
        self.name = name or getattr(model.config, "_name_or_path", "") or "model"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

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
        if style == "paper" and not has_paper_tokens(tokenizer):
            add_reflection_tokens(model, tokenizer)
        return cls(model, tokenizer, batch_size=batch_size, name=name), style

    def _stop_ids(self, prompt: Prompt) -> set[int]:
        ids: set[int] = set()
        for cand in (self.tokenizer.eos_token_id, self.model.generation_config.eos_token_id):
            if isinstance(cand, int):
                ids.add(cand)
            elif isinstance(cand, (list, tuple)):
                ids.update(int(c) for c in cand)
        if prompt.style == "paper":
            vocab = self.tokenizer.get_vocab()
            ids.update(vocab[t] for t in (END_OF_BLOCK, END_OF_MESSAGE) if t in vocab)
        return ids

    def _plain_kv_cache(self) -> bool:
        """Whether every layer keeps a plain growing KV cache (what continuous batching
        manipulates); sliding-window or recurrent layers go through ``model.generate``."""
        from transformers import DynamicCache
        from transformers.cache_utils import DynamicLayer

        return all(type(layer) is DynamicLayer
                   for layer in DynamicCache(config=self.model.config).layers)

    def _left_padded(self, rows: list[list[int]]) -> tuple[Any, Any]:
        """input_ids and attention mask, every prompt ending at the same column."""
        import torch

        width = max(len(x) for x in rows)
        input_ids = torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for i, ids in enumerate(rows):
            input_ids[i, width - len(ids):] = torch.tensor(ids)
            attention[i, width - len(ids):] = 1
        return input_ids, attention

    def _completion(self, new_ids: Sequence[int], done_at: int | None, stop_ids: set[int]
                    ) -> Completion:
        n = done_at if done_at is not None else len(new_ids)
        ids = [int(t) for t in new_ids[:n]]
        if ids and ids[-1] in stop_ids:
            ids = ids[:-1]  # the eos / end token itself is not part of the answer
        return Completion(text=self.tokenizer.decode(ids, skip_special_tokens=False),
                          n_tokens=n, finish_reason="stop" if done_at is not None else "length")

    def generate(self, requests: Sequence[Request], settings: SamplingSettings
                 ) -> Iterator[list[tuple[Request, Completion]]]:
        import torch

        if not requests:
            return
        encoded: dict[str, list[int]] = {}
        for r in requests:
            if r.prompt.text is None:
                raise ValueError("the transformers backend needs prompt text (give it the "
                                 "tokenizer when building prompts)")
            if r.prompt.text not in encoded:  # prompts carry their own bos / template tokens
                encoded[r.prompt.text] = self.tokenizer(
                    r.prompt.text, add_special_tokens=False)["input_ids"]
        order = sorted(range(len(requests)), key=lambda i: -len(encoded[requests[i].prompt.text]))
        rows = [encoded[r.prompt.text] for r in requests]
        stop_ids: set[int] = set()
        if not settings.ignore_eos:
            for r in requests:
                stop_ids |= self._stop_ids(r.prompt)
        stops = [[] if settings.ignore_eos else r.prompt.stop for r in requests]
        generator = None
        if not settings.greedy:
            torch.manual_seed(settings.seed)  # model.generate samples from the global RNG
            generator = torch.Generator(device=self.model.device).manual_seed(settings.seed)
        with torch.inference_mode():
            if self.use_generate or not self._plain_kv_cache():
                for start in range(0, len(order), self.batch_size):
                    idx = order[start:start + self.batch_size]
                    input_ids, attention = self._left_padded([rows[i] for i in idx])
                    criteria = _stop_criteria_class()(self.tokenizer, [stops[i] for i in idx],
                                                      input_ids.shape[1], stop_ids)
                    new_rows = self._generate_hf(input_ids, attention, settings, criteria,
                                                 stop_ids)
                    yield [(requests[i], self._completion(new_rows[j], criteria.done_at[j],
                                                          stop_ids))
                           for j, i in enumerate(idx)]
            else:
                criteria = _stop_criteria_class()(self.tokenizer, stops, 0, stop_ids)
                pending: list[tuple[Request, Completion]] = []
                for i, new_ids in self._decode(rows, order, settings, criteria, generator):
                    pending.append((requests[i], self._completion(new_ids, criteria.done_at[i],
                                                                  stop_ids)))
                    if len(pending) >= self.batch_size:
                        yield pending
                        pending = []
                if pending:
                    yield pending

    def _generate_hf(self, input_ids: Any, attention: Any, settings: SamplingSettings,
                     criteria: _StopCriteria, stop_ids: set[int]) -> list[list[int]]:
        """``model.generate`` on one batch; finished rows are padded until the last one ends."""
        kwargs: dict[str, Any] = dict(max_new_tokens=settings.max_new_tokens,
                                      pad_token_id=self.tokenizer.pad_token_id,
                                      eos_token_id=sorted(stop_ids) or None,
                                      stopping_criteria=[criteria])
        if settings.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=settings.temperature,
                          top_p=settings.top_p, top_k=None)
        if settings.ignore_eos:
            kwargs["min_new_tokens"] = settings.max_new_tokens
        device = self.model.device
        out = self.model.generate(input_ids=input_ids.to(device),
                                  attention_mask=attention.to(device), **kwargs)
        return out[:, input_ids.shape[1]:].cpu().tolist()

    def _decode(self, rows: list[list[int]], order: list[int], settings: SamplingSettings,
                criteria: _StopCriteria, generator: Any) -> Iterator[tuple[int, list[int]]]:
        """Continuous batching: yields ``(request index, new token ids)`` as rows finish.

        Invariant between steps: every active row has one sampled token (``tokens``) not yet
        in the KV cache; ``attention`` covers exactly the cached columns.  Rows are left-padded
        to a common width; merging pads the narrower side on the left, and columns that no
        remaining row uses are cut off when rows leave.
        """
        import torch
        from transformers import DynamicCache
        from transformers.generation.logits_process import (LogitsProcessorList,
                                                            TemperatureLogitsWarper,
                                                            TopPLogitsWarper)

        model, device = self.model, self.model.device
        warpers = None
        if not settings.greedy:
            warpers = LogitsProcessorList([TemperatureLogitsWarper(settings.temperature)])
            if settings.top_p < 1.0:
                warpers.append(TopPLogitsWarper(settings.top_p))

        def sample(logits: Any) -> Any:
            logits = logits.float()
            if warpers is None:
                return logits.argmax(-1)
            probs = torch.softmax(warpers(None, logits), dim=-1)
            return torch.multinomial(probs, 1, generator=generator).squeeze(1)

        def pad_left(t: Any, width: int, dim: int) -> Any:
            extra = width - t.shape[dim]
            if extra == 0:
                return t
            shape = list(t.shape)
            shape[dim] = extra
            return torch.cat([t.new_zeros(shape), t], dim=dim)

        def layers_of(cache: Any) -> list[tuple[Any, Any]]:
            return [(layer.keys, layer.values) for layer in cache.layers]

        generated: dict[int, list[int]] = {}
        waiting = list(order)  # longest prompts first
        active: list[int] = []  # batch row -> request index
        cache = attention = tokens = next_pos = None
        admit_when_free = max(1, self.batch_size // 4)

        while waiting or active:
            free = self.batch_size - len(active)
            if waiting and free >= min(admit_when_free, len(waiting)):
                # Prefill the next prompts as a batch of their own, then merge it in.
                new = waiting[:free]
                del waiting[:free]
                ids, mask = self._left_padded([rows[i] for i in new])
                ids, mask = ids.to(device), mask.to(device)
                pos = (mask.cumsum(-1) - 1).clamp(min=0)  # a row's positions count its tokens
                new_cache = DynamicCache(config=model.config)
                out = model(input_ids=ids, attention_mask=mask, position_ids=pos,
                            past_key_values=new_cache, use_cache=True, logits_to_keep=1)
                first = sample(out.logits[:, -1, :])
                if active:
                    width = max(mask.shape[1], attention.shape[1])
                    cache = DynamicCache(ddp_cache_data=[
                        (torch.cat([pad_left(k, width, 2), pad_left(nk, width, 2)]),
                         torch.cat([pad_left(v, width, 2), pad_left(nv, width, 2)]))
                        for (k, v), (nk, nv) in zip(layers_of(cache), layers_of(new_cache))],
                        config=model.config)
                    attention = torch.cat([pad_left(attention, width, 1),
                                           pad_left(mask, width, 1)])
                    next_pos = torch.cat([next_pos, pos[:, -1:] + 1])
                    tokens = torch.cat([tokens, first])
                else:
                    cache, attention, next_pos, tokens = new_cache, mask, pos[:, -1:] + 1, first
                for req in new:
                    generated[req] = []
                keep = [True] * len(active)
                active = active + new
                new_tokens = first
                offset = len(keep)
            else:
                # One step for every active row: feed its pending token, sample the next.
                attention = torch.cat([attention, attention.new_ones((len(active), 1))], dim=1)
                out = model(input_ids=tokens[:, None], attention_mask=attention,
                            position_ids=next_pos, past_key_values=cache, use_cache=True)
                next_pos = next_pos + 1
                tokens = new_tokens = sample(out.logits[:, -1, :])
                keep, offset = [], 0
            for j, req in enumerate(active[offset:], start=offset):
                generated[req].append(int(new_tokens[j - offset]))
                keep.append(not (criteria.check_row(req, generated[req])
                                 or len(generated[req]) >= settings.max_new_tokens))
            if all(keep):
                continue
            for j, req in enumerate(active):
                if not keep[j]:
                    yield req, generated.pop(req)
            idx = [j for j, k in enumerate(keep) if k]
            active = [active[j] for j in idx]
            if not active:
                cache = attention = tokens = next_pos = None
                continue
            # Drop finished rows, and the leading columns none of the remaining rows uses.
            index = torch.tensor(idx, device=device)
            attention = attention[index]
            lead = int((attention.sum(0) > 0).nonzero()[0])
            attention, tokens, next_pos = attention[:, lead:], tokens[index], next_pos[index]
            cache = DynamicCache(ddp_cache_data=[(k[index, :, lead:], v[index, :, lead:])
                                                 for k, v in layers_of(cache)],
                                 config=model.config)


# ---------------------------------------------------------------------------- OpenAI-compatible

class OpenAIBackend:
    """An OpenAI-compatible HTTP server.  ``api_key_env`` names the variable holding the key
    (local servers take any key; ``EMPTY`` is sent when it is unset)."""

    tokenizer = None

    def __init__(self, model: str, *, base_url: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 4,
                 batch_size: int = 16, timeout_s: float = 600.0,
                 extra_body: dict[str, Any] | None = None):
        from openai import OpenAI

        self.name = model
        self.base_url = base_url
        self.concurrency, self.batch_size = concurrency, batch_size
        self.extra_body = extra_body
        self._client = OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "EMPTY",
                              timeout=timeout_s, max_retries=2)

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIBackend(model={self.name!r}, base_url={self.base_url!r})"

    def _one(self, req: Request, settings: SamplingSettings) -> Completion:
        common: dict[str, Any] = dict(model=self.name, max_tokens=settings.max_new_tokens,
                                      temperature=max(settings.temperature, 0.0))
        if not settings.greedy:
            common["top_p"] = settings.top_p
        if req.prompt.stop:
            common["stop"] = req.prompt.stop[:4]  # the API takes at most 4; the rest cut later
        if self.extra_body:
            common["extra_body"] = self.extra_body
        if req.prompt.text is None:
            r = self._client.chat.completions.create(messages=req.prompt.messages, **common)
            text = r.choices[0].message.content or ""
        else:
            r = self._client.completions.create(prompt=req.prompt.text, **common)
            text = r.choices[0].text or ""
        usage = getattr(r, "usage", None)
        n_tokens = getattr(usage, "completion_tokens", None) if usage else None
        finish = r.choices[0].finish_reason or "stop"
        return Completion(text=text, n_tokens=n_tokens,
                          finish_reason="length" if finish == "length" else "stop")

    def generate(self, requests: Sequence[Request], settings: SamplingSettings
                 ) -> Iterator[list[tuple[Request, Completion]]]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for start in range(0, len(requests), self.batch_size):
                chunk = list(requests[start:start + self.batch_size])
                outs = list(pool.map(lambda r: self._one(r, settings), chunk))
                yield list(zip(chunk, outs))


# ---------------------------------------------------------------------------- vLLM

class VLLMBackend:
    """vLLM's offline engine (``pip install vllm`` on a GPU machine)."""

    def __init__(self, model: str, *, chunk_size: int = 512, **engine_kwargs: Any):
        try:
            from vllm import LLM, SamplingParams
        except ImportError as e:
            raise RuntimeError("the vllm backend needs vLLM installed (pip install vllm; "
                               "GPU machines)") from e
        self._sampling_params = SamplingParams
        self.llm = LLM(model=model, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.name, self.chunk_size = model, chunk_size

    def generate(self, requests: Sequence[Request], settings: SamplingSettings
                 ) -> Iterator[list[tuple[Request, Completion]]]:
        for start in range(0, len(requests), self.chunk_size):
            chunk = list(requests[start:start + self.chunk_size])
            params = [self._sampling_params(
                n=1, temperature=max(settings.temperature, 0.0),
                top_p=1.0 if settings.greedy else settings.top_p,
                max_tokens=settings.max_new_tokens, ignore_eos=settings.ignore_eos,
                stop=None if settings.ignore_eos else (r.prompt.stop or None),
                seed=None if settings.greedy else settings.seed + start + i,
                skip_special_tokens=False, spaces_between_special_tokens=False)
                for i, r in enumerate(chunk)]
            # Token ids, not text: the prompts already hold their bos / template tokens.
            inputs = [{"prompt_token_ids": self.tokenizer(r.prompt.text,
                                                          add_special_tokens=False)["input_ids"]}
                      for r in chunk]
            outs = self.llm.generate(inputs, params, use_tqdm=False)
            batch = []
            for r, o in zip(chunk, outs):
                c = o.outputs[0]
                batch.append((r, Completion(text=c.text, n_tokens=len(c.token_ids),
                                            finish_reason="length" if c.finish_reason == "length"
                                            else "stop")))
            yield batch


def make_backend(kind: str, model: str, *, prompt_style: str = "auto", batch_size: int = 16,
                 base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 concurrency: int = 4, extra_body: dict[str, Any] | None = None,
                 device: str | None = None, dtype: str | None = None
                 ) -> tuple[Backend, str]:
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


def generate_samples(problems: Sequence[BenchmarkProblem], backend: Backend,
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
