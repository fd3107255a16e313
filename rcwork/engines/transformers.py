"""A transformers causal LM in this process, decoded with continuous batching."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from rcwork.engines.base import Completion, Engine, GenerationSettings, Query, truncate_at_stop
from rcwork.engines.decoding import (continuous_batching, fixed_batches, left_padded,
                                     plain_kv_cache, stopping_criteria_class)


class TransformersEngine(Engine):
    """Batched local generation.

    ``model`` is ``"embedded"`` (SmolLM2-135M-Instruct, shipped with the workbench), ``"tiny"``
    (random weights: garbage text, but every code path runs), a local folder or a hub id; or a
    loaded model, with its ``tokenizer``.  Prompts are sorted longest first and decoded by
    :func:`~rcwork.engines.decoding.continuous_batching` with up to ``batch_size`` rows;
    ``use_generate=True`` runs ``model.generate`` on fixed batches instead (same stop rules;
    greedy outputs of the two paths are identical, tested).  ``max_batch_tokens`` bounds a
    batch's padded size.  Finished completions are handed back in groups of ``batch_size``.

    Every query stops at the model's end-of-sequence ids as well as its own stop ids (unless
    ``ignore_eos``).  Chat queries get the tokenizer's chat template and are decoded without
    special tokens (a message's content); text queries keep them (the paper's format spells its
    block structure in special tokens).

    ``num_threads`` sets torch's intra-op threads; on a small shared CPU a deliberate low number
    is much faster than torch's default under load (measured: about 10x on 2 cores).  ``dtype``
    and ``device`` apply to a model loaded by name; ``dtype`` may be a torch dtype or its name
    (``"bfloat16"``, as a stage config spells it).
    """

    backend = "transformers"

    def __init__(self, model: Any = "embedded", tokenizer: Any = None, *, name: str | None = None,
                 batch_size: int = 16, max_batch_tokens: int | None = None,
                 use_generate: bool = False, device: str | None = None,
                 dtype: str | Any | None = None, num_threads: int | None = None):
        import torch

        if num_threads:
            torch.set_num_threads(int(num_threads))
        if isinstance(model, str):
            from rcwork.models import EMBEDDED_NAME, load_model

            if tokenizer is not None:
                raise ValueError("pass a tokenizer only with a loaded model, not a model name")
            model_id = model
            if isinstance(dtype, str):
                dtype = getattr(torch, dtype)
            model, tokenizer = load_model(model_id, reflection_tokens=False,
                                          dtype=dtype or torch.float32, device=device)
            default_name = f"{EMBEDDED_NAME} (embedded)" if model_id == "embedded" else model_id
        else:
            if tokenizer is None:
                raise ValueError("pass a tokenizer with a loaded model")
            default_name = getattr(model.config, "_name_or_path", "") or "model"
        self.model, self.tokenizer = model, tokenizer
        self.name = name or default_name
        self.batch_size = max(1, int(batch_size))
        self.max_batch_tokens = int(max_batch_tokens) if max_batch_tokens else None
        self.use_generate = use_generate
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name, "batch_size": self.batch_size}

    def eos_ids(self) -> set[int]:
        """The model's own end-of-sequence ids (tokenizer and generation config)."""
        ids: set[int] = set()
        for cand in (self.tokenizer.eos_token_id, self.model.generation_config.eos_token_id):
            if isinstance(cand, int):
                ids.add(cand)
            elif isinstance(cand, (list, tuple)):
                ids.update(int(c) for c in cand)
        return ids

    def _text(self, query: Query) -> str:
        if query.text is not None:
            return query.text
        if getattr(self.tokenizer, "chat_template", None) is None:
            raise ValueError(f"{self.name}: the tokenizer has no chat template; send text")
        return self.tokenizer.apply_chat_template(query.messages, add_generation_prompt=True,
                                                  tokenize=False)

    def _completion(self, query: Query, new_ids: Sequence[int], done_at: int | None,
                    stop_ids: set[int]) -> Completion:
        n = done_at if done_at is not None else len(new_ids)
        ids = [int(t) for t in new_ids[:n]]
        if ids and ids[-1] in stop_ids:
            ids = ids[:-1]  # the eos / end token itself is not part of the answer
        text = self.tokenizer.decode(ids, skip_special_tokens=query.messages is not None)
        return Completion(text=truncate_at_stop(text, query.stop), n_tokens=n,
                          finish_reason="stop" if done_at is not None else "length")

    def _stream(self, queries: Sequence[Query], settings: GenerationSettings
                ) -> Iterator[list[tuple[int, Completion]]]:
        import torch

        if not queries:
            return
        texts = [self._text(q) for q in queries]
        encoded: dict[str, list[int]] = {}
        for t in texts:  # prompts carry their own bos / template tokens
            if t not in encoded:
                encoded[t] = self.tokenizer(t, add_special_tokens=False)["input_ids"]
        rows = [encoded[t] for t in texts]
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
        if settings.ignore_eos:
            stops: list[list[str]] = [[] for _ in queries]
            stop_ids: list[set[int]] = [set() for _ in queries]
        else:
            eos = self.eos_ids()
            stops = [list(q.stop) for q in queries]
            stop_ids = [eos | set(q.stop_ids) for q in queries]
        generator = None
        if not settings.greedy:
            torch.manual_seed(settings.seed)  # model.generate samples from the global RNG
            generator = torch.Generator(device=self.model.device).manual_seed(settings.seed)
        pad_id = self.tokenizer.pad_token_id
        # Decoding runs in eval mode (no dropout); a model lent mid-training (a ReflexiCoder
        # evaluation between steps) is handed back in the mode it came in.
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                if self.use_generate or not plain_kv_cache(self.model):
                    for idx in fixed_batches([len(r) for r in rows], order,
                                             batch_size=self.batch_size,
                                             max_new_tokens=settings.max_new_tokens,
                                             max_batch_tokens=self.max_batch_tokens):
                        input_ids, attention = left_padded([rows[i] for i in idx], pad_id)
                        criteria = stopping_criteria_class()(
                            self.tokenizer, [stops[i] for i in idx], input_ids.shape[1],
                            [stop_ids[i] for i in idx])
                        new_rows = self._generate_hf(input_ids, attention, settings, criteria,
                                                     set().union(*(stop_ids[i] for i in idx)))
                        yield [(i, self._completion(queries[i], new_rows[j], criteria.done_at[j],
                                                    stop_ids[i]))
                               for j, i in enumerate(idx)]
                    return
                criteria = stopping_criteria_class()(self.tokenizer, stops, 0, stop_ids)
                pending: list[tuple[int, Completion]] = []
                for i, new_ids in continuous_batching(
                        self.model, rows, order, settings=settings, criteria=criteria,
                        pad_id=pad_id, batch_size=self.batch_size,
                        max_batch_tokens=self.max_batch_tokens, generator=generator):
                    pending.append((i, self._completion(queries[i], new_ids, criteria.done_at[i],
                                                        stop_ids[i])))
                    if len(pending) >= self.batch_size:
                        yield pending
                        pending = []
                if pending:
                    yield pending
        finally:
            self.model.train(was_training)

    def _generate_hf(self, input_ids: Any, attention: Any, settings: GenerationSettings,
                     criteria: Any, stop_ids: set[int]) -> list[list[int]]:
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
