"""A teacher that runs a transformers model in this process, batched across worker threads."""

from __future__ import annotations

import threading
from typing import Any, Sequence

from rcwork.teachers.base import BatchQueue, Conversation, truncate_at_stop


class TransformersTeacher:
    """A causal LM with a chat template: left padding, batched ``generate``, stop strings.

    ``model`` is ``"embedded"`` (SmolLM2-135M-Instruct, shipped with the workbench),
    ``"tiny"`` (random weights: garbage text, but every code path runs), a local folder or a hub
    id; or pass an already loaded ``(model, tokenizer)`` pair.  Concurrent ``chat`` calls from
    synthesis workers are merged into one ``generate`` by a :class:`BatchQueue`.

    ``num_threads`` sets torch's intra-op threads; on a small shared CPU, a deliberate low number
    is much faster than torch's default under load (measured: about 10x on 2 cores).

    ``max_batch_tokens`` bounds one ``generate`` call's padded size (rows × (longest prompt +
    max_new_tokens)): a batch over it is split into shorter-first sub-batches.  Reflection
    conversations grow every round, and the prefill of many long rows at once is quadratic in
    memory (a batch of 18 rows of ~4k tokens took ~19 GB on CPU).
    """

    def __init__(self, model: Any = "embedded", tokenizer: Any = None, *, name: str | None = None,
                 device: str | None = None, dtype: Any = None, num_threads: int | None = None,
                 max_batch_size: int = 8, max_batch_tokens: int = 8192,
                 batch_wait_s: float = 0.25, seed: int = 0):
        import torch

        if num_threads:
            torch.set_num_threads(int(num_threads))
        if isinstance(model, str):
            from rcwork.models import EMBEDDED_NAME, load_model

            model_id = model
            model, tokenizer = load_model(model_id, reflection_tokens=False,
                                          dtype=dtype or torch.float32, device=device)
            default_name = (f"{EMBEDDED_NAME} (embedded)" if model_id == "embedded" else model_id)
        else:
            if tokenizer is None:
                raise ValueError("pass a tokenizer with a loaded model")
            default_name = getattr(model.config, "_name_or_path", "") or type(model).__name__
        self.model, self.tokenizer = model.eval(), tokenizer
        self.name = name or default_name
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError(f"{self.name}: the tokenizer has no chat template")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.seed = seed
        self.max_batch_tokens = int(max_batch_tokens)
        self._queue = BatchQueue(self._generate_batch, max_batch_size=max_batch_size,
                                 wait_s=batch_wait_s)
        self._lock = threading.Lock()  # belt and braces: generate is only ever run by one thread

    @property
    def batch_stats(self):
        return self._queue.stats

    def describe(self) -> dict[str, Any]:
        return {"backend": "transformers", "name": self.name,
                "max_batch_size": self._queue.max_batch_size}

    def __repr__(self) -> str:
        return f"TransformersTeacher(name={self.name!r})"

    def chat(self, conversations: Sequence[Conversation], *, max_new_tokens: int = 512,
             temperature: float = 0.0, stop: Sequence[str] | None = None) -> list[str]:
        return self._queue.chat(conversations, max_new_tokens=max_new_tokens,
                                temperature=temperature, stop=stop)

    def _generate_batch(self, conversations: list[Conversation], key: tuple) -> list[str]:
        max_new_tokens = key[0]
        tok = self.tokenizer
        prompts = [tok.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
                   for c in conversations]
        lengths = [len(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: lengths[i])
        out: list[str] = [""] * len(prompts)
        chunk: list[int] = []
        for i in order:  # shortest first, so rows of similar length share padding
            rows = len(chunk) + 1
            if chunk and rows * (lengths[i] + max_new_tokens) > self.max_batch_tokens:
                for j, text in zip(chunk, self._generate([prompts[j] for j in chunk], key)):
                    out[j] = text
                chunk = []
            chunk.append(i)
        for j, text in zip(chunk, self._generate([prompts[j] for j in chunk], key)):
            out[j] = text
        return out

    def _generate(self, prompts: list[str], key: tuple) -> list[str]:
        import torch

        max_new_tokens, temperature, stop = key
        tok = self.tokenizer
        side = tok.padding_side
        tok.padding_side = "left"  # generation continues every row from its last real token
        try:
            enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tok.padding_side = side
        device = next(self.model.parameters()).device
        enc = {k: v.to(device) for k, v in enc.items()}
        gen: dict[str, Any] = dict(max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id)
        if temperature and temperature > 0:
            gen.update(do_sample=True, temperature=temperature, top_p=1.0, top_k=0)
        else:
            gen.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            gen.update(stop_strings=list(stop), tokenizer=tok)
        with self._lock, torch.inference_mode():
            if gen["do_sample"]:
                torch.manual_seed(self.seed)
                self.seed += 1
            out = self.model.generate(**enc, **gen)
        new = out[:, enc["input_ids"].shape[1]:]
        texts = tok.batch_decode(new, skip_special_tokens=True)
        return [truncate_at_stop(t, stop) for t in texts]
