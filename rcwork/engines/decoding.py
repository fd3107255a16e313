"""Batched decoding of a transformers causal LM: per-row stops and continuous batching.

:func:`continuous_batching` is the workbench's one decoding loop.  Up to ``batch_size`` rows share
one left-padded KV cache; a row leaves the batch the step it stops and waiting prompts are
prefilled and merged in as soon as a quarter of the batch is free, so the rows still writing
never wait for — or pay for — finished ones.  Answers range from a dozen tokens to the token
limit (evaluation answers, reflection rounds), and ``model.generate`` on fixed batches spends
most of its steps on a few long rows.  :func:`fixed_batches` groups prompts for the
``model.generate`` path (models whose cache is not a plain growing one).

Both paths keep a batch's padded size, rows × (longest prompt + ``max_new_tokens``), under
``max_batch_tokens`` when it is set: the prefill of many long rows at once is quadratic in
memory (18 rows of ~4k tokens took ~19 GB on CPU).
"""

from __future__ import annotations

import functools
from typing import Any, Iterator, Sequence

from rcwork.engines.base import GenerationSettings


class StopCriteria:
    """Per-row stop: one of the row's stop token ids, or a stop string in the decoded tail.

    Records, for each row, how many new tokens it had when it stopped (``done_at``).  Used by
    :func:`continuous_batching` (:meth:`check_row`) and, as a transformers
    ``StoppingCriteria`` (:func:`stopping_criteria_class`), by ``model.generate``.
    """

    def __init__(self, tokenizer: Any, stops: Sequence[Sequence[str]], prompt_len: int,
                 stop_ids: Sequence[set[int]]):
        import torch

        if len(stop_ids) != len(stops):
            raise ValueError(f"{len(stops)} rows of stop strings but {len(stop_ids)} of stop ids")
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
        if new_ids and int(new_ids[-1]) in self.stop_ids[i]:
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


@functools.lru_cache(maxsize=None)
def stopping_criteria_class() -> type:
    """:class:`StopCriteria` as a transformers ``StoppingCriteria`` (imported only when used)."""
    from transformers import StoppingCriteria

    class StopOnStringsOrIds(StopCriteria, StoppingCriteria):
        pass

    return StopOnStringsOrIds


def plain_kv_cache(model: Any) -> bool:
    """Whether every layer keeps a plain growing KV cache (what continuous batching
    manipulates); sliding-window or recurrent layers go through ``model.generate``."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer for layer in DynamicCache(config=model.config).layers)


def left_padded(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """input_ids and attention mask, every prompt ending at the same column."""
    import torch

    width = max(len(x) for x in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for i, ids in enumerate(rows):
        input_ids[i, width - len(ids):] = torch.tensor(list(ids), dtype=torch.long)
        attention[i, width - len(ids):] = 1
    return input_ids, attention


def _fits(lengths: Sequence[int], max_new_tokens: int, max_batch_tokens: int | None) -> bool:
    return (max_batch_tokens is None or len(lengths) <= 1
            or len(lengths) * (max(lengths) + max_new_tokens) <= max_batch_tokens)


def fixed_batches(lengths: Sequence[int], order: Sequence[int], *, batch_size: int,
                  max_new_tokens: int, max_batch_tokens: int | None = None) -> list[list[int]]:
    """``order`` cut into consecutive batches of at most ``batch_size`` rows within the budget."""
    batches: list[list[int]] = []
    for i in order:
        last = batches[-1] if batches else None
        if (last is not None and len(last) < batch_size
                and _fits([lengths[j] for j in last] + [lengths[i]], max_new_tokens,
                          max_batch_tokens)):
            last.append(i)
        else:
            batches.append([i])
    return batches


def continuous_batching(model: Any, rows: Sequence[Sequence[int]], order: Sequence[int], *,
                        settings: GenerationSettings, criteria: StopCriteria, pad_id: int,
                        batch_size: int, max_batch_tokens: int | None = None,
                        generator: Any = None) -> Iterator[tuple[int, list[int]]]:
    """Decode ``rows`` (prompt token ids) in ``order``; yields ``(row, new token ids)`` as rows
    finish (``criteria.done_at[row]`` says whether and where a row stopped).

    Invariant between steps: every active row has one sampled token (``tokens``) not yet in the
    KV cache; ``attention`` covers exactly the cached columns.  Rows are left-padded to a common
    width; merging pads the narrower side on the left, and columns that no remaining row uses
    are cut off when rows leave.  Sampling uses ``generator`` (seeded by the caller).
    """
    import torch
    from transformers import DynamicCache
    from transformers.generation.logits_process import (LogitsProcessorList,
                                                        TemperatureLogitsWarper, TopPLogitsWarper)

    device = model.device
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

    def admit(free: int) -> list[int]:
        """The next waiting rows that fit beside the active ones (at least one if none)."""
        lengths = [len(rows[i]) for i in active]
        new: list[int] = []
        for i in waiting[:free]:
            if (active or new) and not _fits(lengths + [len(rows[i])], settings.max_new_tokens,
                                             max_batch_tokens):
                break
            new.append(i)
            lengths.append(len(rows[i]))
        return new

    generated: dict[int, list[int]] = {}
    waiting = list(order)
    active: list[int] = []  # batch row -> row index
    cache = attention = tokens = next_pos = None
    admit_when_free = max(1, batch_size // 4)

    while waiting or active:
        free = batch_size - len(active)
        new = admit(free) if waiting and free >= min(admit_when_free, len(waiting)) else []
        if new:
            # Prefill the next prompts as a batch of their own, then merge it in.
            del waiting[:len(new)]
            ids, mask = left_padded([rows[i] for i in new], pad_id)
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
                attention = torch.cat([pad_left(attention, width, 1), pad_left(mask, width, 1)])
                next_pos = torch.cat([next_pos, pos[:, -1:] + 1])
                tokens = torch.cat([tokens, first])
            else:
                cache, attention, next_pos, tokens = new_cache, mask, pos[:, -1:] + 1, first
            for row in new:
                generated[row] = []
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
        for j, row in enumerate(active[offset:], start=offset):
            generated[row].append(int(new_tokens[j - offset]))
            keep.append(not (criteria.check_row(row, generated[row])
                             or len(generated[row]) >= settings.max_new_tokens))
        if all(keep):
            continue
        for j, row in enumerate(active):
            if not keep[j]:
                yield row, generated.pop(row)
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
