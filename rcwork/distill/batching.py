"""Batches for reflection self-distillation: teacher samples, the student's mask, NTP-only pairs.

A :class:`DistillBatch` is plain data: teacher samples with the student's hidden tokens
(:mod:`rcwork.distill.masks`), and instruction pairs that only get NTP loss.
:mod:`rcwork.distill.layout` turns it into the tensors of the model's forward calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from rcwork.distill.masks import DEFAULT_ORDER, check_strategy, hidden_tokens
from rcwork.encoding import (IGNORE, INSTRUCTION, Encoded, EncodedRecord, encode_pair,
                             encode_record)
from rcwork.records import InstructionPair, ReflectionRecord

@dataclass
class DistillItem:
    """One sequence of a batch: a teacher sample with the student's mask, or NTP-only data."""

    sample: Encoded
    hidden: list[bool] | None = None  # None: no student (instruction data, or no distillation)
    sample_id: int = 0

    @property
    def distilled(self) -> bool:
        return self.hidden is not None


@dataclass
class DistillBatch:
    items: list[DistillItem]
    rate: float = 0.0
    strategy: str = "block"
    order: str = DEFAULT_ORDER

    @property
    def ntp_tokens(self) -> int:
        """Next-token targets of the NTP term (teachers and instruction pairs)."""
        return sum(ntp_target_count(it.sample) for it in self.items)

    @property
    def final_tokens(self) -> int:
        """Final-answer targets of the student NTP and KL terms."""
        return sum(final_target_count(it.sample) for it in self.items if it.distilled)


def ntp_target_count(enc: Encoded) -> int:
    return sum(1 for lab in enc.labels[1:] if lab != IGNORE)


def final_target_count(enc: Encoded) -> int:
    return sum(1 for lab in enc.final_labels[1:] if lab != IGNORE)


def item_seed(seed: int, step: int, sample_id: int) -> str:
    """The random strategies' seed for one sample at one step: deterministic, order-free."""
    return f"{seed}/{step}/{sample_id}"


def mask_item(sample: Encoded, *, strategy: str, rate: float, order: str = DEFAULT_ORDER,
              seed: int = 0, step: int = 0, sample_id: int = 0, distill: bool = True
              ) -> DistillItem:
    """A teacher sample with its student mask; an instruction pair (no reflection instruction)
    or ``distill=False`` gives an NTP-only item."""
    if not distill or INSTRUCTION not in sample.part:
        return DistillItem(sample, None, sample_id)
    hidden = hidden_tokens(sample, strategy, rate, order=order,
                           seed=item_seed(seed, step, sample_id))
    return DistillItem(sample, hidden, sample_id)


def make_batch(records: Sequence[ReflectionRecord | EncodedRecord | Encoded],
               tokenizer=None, *, strategy: str = "block", order: str = DEFAULT_ORDER,
               rate: float = 0.0, seed: int = 0, step: int = 0,
               pairs: Sequence[InstructionPair | Encoded] = (), distill: bool = True,
               max_len: int | None = None) -> DistillBatch:
    """Teacher samples of ``records`` with the student's mask at ``rate``, plus NTP-only ``pairs``.

    Records may be :class:`ReflectionRecord` (encoded here with ``tokenizer``), encoded records
    or teacher samples.  The i-th record's random choices are seeded by ``(seed, step, i)``.
    """
    check_strategy(strategy, order)
    items = []
    for i, rec in enumerate(records):
        if isinstance(rec, ReflectionRecord):
            if tokenizer is None:
                raise ValueError("make_batch needs a tokenizer to encode ReflectionRecord objects")
            rec = encode_record(rec, tokenizer, max_len=max_len)
        teacher = rec.teacher if isinstance(rec, EncodedRecord) else rec
        items.append(mask_item(teacher, strategy=strategy, rate=rate, order=order, seed=seed,
                               step=step, sample_id=i, distill=distill))
    for j, pair in enumerate(pairs, len(items)):
        if isinstance(pair, InstructionPair):
            if tokenizer is None:
                raise ValueError("make_batch needs a tokenizer to encode InstructionPair objects")
            pair = encode_pair(pair, tokenizer, max_len=max_len)
        items.append(DistillItem(pair, None, j))
    return DistillBatch(items, rate, strategy, order)


def items_from(samples: Iterable[dict], *, strategy: str, order: str, rate: float, seed: int,
               step: int, distill: bool) -> list[DistillItem]:
    """Items from dataset entries ``{"sample_id", "sample", "distill"}`` (the trainer's path)."""
    return [mask_item(e["sample"], strategy=strategy, rate=rate, order=order, seed=seed,
                      step=step, sample_id=e["sample_id"], distill=distill and e["distill"])
            for e in samples]
