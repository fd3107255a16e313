"""Training data for distillation: the held-out split, the mixed dataset, length-grouped order.

The dataset holds encoded samples, not tensors: the student's mask depends on the training step,
so it is drawn when the batch is used (:meth:`DistillTrainer.compute_loss`), deterministically
from ``(seed, step, sample_id)``.  Reflection records appear ``k`` times (the paper's up-sampling,
each copy with its own ``sample_id`` and so its own random masks), instruction pairs once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from transformers.trainer_pt_utils import get_length_grouped_indices

from rcwork.encoding import EncodeReport, Encoded, EncodedRecord, encode_many
from rcwork.records import InstructionPair, ReflectionRecord, read_pairs_jsonl, read_records

ABLATIONS = ("none", "all_mask", "no_distill", "no_reflection")


def fit_records(records: Sequence[ReflectionRecord], tokenizer, max_len: int
                ) -> tuple[list[ReflectionRecord], EncodeReport]:
    """The records whose samples fit in ``max_len`` tokens; the others are counted in the
    report, never truncated.  Split after this, so held-out records are ones training could
    have used."""
    _, report = encode_many(records, tokenizer, max_len=max_len)
    rejected = set(report.rejected_indices)
    return [r for i, r in enumerate(records) if i not in rejected], report


def split_heldout(records: Sequence[ReflectionRecord], heldout: float | int, seed: int = 0
                  ) -> tuple[list[ReflectionRecord], list[ReflectionRecord]]:
    """``(train, heldout)``: a seeded shuffle, then ``heldout`` records (an int) or that
    fraction (a float below 1, at least one record when there are two or more)."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    if isinstance(heldout, float) and heldout < 1:
        n = round(len(records) * heldout)
        n = max(n, 1) if heldout > 0 and len(records) > 1 else n
    else:
        n = int(heldout)
    if n >= len(records) and n > 0:
        raise ValueError(f"cannot hold out {n} of {len(records)} records")
    held = sorted(order[:n])
    train = sorted(order[n:])
    return [records[i] for i in train], [records[i] for i in held]


def read_instruction_data(path: str | Path | None) -> list[InstructionPair]:
    return read_pairs_jsonl(path) if path else []


def read_reflection_data(path: str | Path) -> list[ReflectionRecord]:
    return read_records(path)


class DistillDataset(torch.utils.data.Dataset):
    """Reflection teacher samples repeated ``k`` times, then instruction pairs.

    Items are ``{"sample_id": int, "sample": Encoded, "distill": bool}``; ``lengths`` is what
    length-grouping sorts by (a teacher counts twice: the student is at most as long).
    """

    def __init__(self, teachers: Sequence[Encoded], pairs: Sequence[Encoded] = (), k: int = 1):
        if k < 1:
            raise ValueError(f"up-sampling factor k must be >= 1, got {k}")
        self.k = k
        self.entries: list[tuple[Encoded, bool]] = [(t, True) for _ in range(k) for t in teachers]
        self.entries += [(p, False) for p in pairs]
        self.num_reflection = len(teachers) * k
        self.num_pairs = len(pairs)
        if not self.entries:
            raise ValueError("no training data: no reflection records and no instruction pairs")

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i: int) -> dict:
        sample, distill = self.entries[i]
        return {"sample_id": i, "sample": sample, "distill": distill}

    @property
    def lengths(self) -> list[int]:
        return [len(s) * (2 if d else 1) for s, d in self.entries]

    def __repr__(self) -> str:
        return (f"DistillDataset({self.num_reflection} reflection samples (k={self.k}), "
                f"{self.num_pairs} instruction pairs)")


@dataclass
class PreparedData:
    train: DistillDataset
    report: EncodeReport  # what encoding rejected (longer than max_len)


def prepare_dataset(records: Sequence[ReflectionRecord], pairs: Sequence[InstructionPair],
                    tokenizer, *, k: int = 2, max_len: int = 2048, ablation: str = "none"
                    ) -> PreparedData:
    """Encode records and pairs (rejecting, and counting, samples over ``max_len``) and mix
    them; ``ablation="no_reflection"`` keeps the instruction pairs only."""
    if ablation not in ABLATIONS:
        raise ValueError(f"unknown ablation {ablation!r}; expected one of {', '.join(ABLATIONS)}")
    if ablation == "no_reflection":
        if not pairs:
            raise ValueError("ablation no_reflection trains on instruction data only: "
                             "give instruction pairs")
        records = []
    encoded, report = encode_many([*records, *pairs], tokenizer, max_len=max_len)
    teachers = [e.teacher for e in encoded if isinstance(e, EncodedRecord)]
    pair_enc = [e for e in encoded if not isinstance(e, EncodedRecord)]
    return PreparedData(DistillDataset(teachers, pair_enc, k), report)


class LengthGroupedSampler(torch.utils.data.Sampler):
    """Length-grouped order over the *global* batch (all ranks, all accumulation steps), so the
    samples of an optimizer step are the same whatever the number of processes; reseeded per
    epoch from ``seed`` so a resumed run sees the same order."""

    def __init__(self, lengths: Sequence[int], global_batch_size: int, seed: int = 0):
        self.lengths = list(lengths)
        self.global_batch_size = max(1, global_batch_size)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return iter(get_length_grouped_indices(self.lengths, self.global_batch_size, generator=g))


def collate(entries: list[dict]) -> dict:
    """Batches stay lists of encoded samples; masking happens at the step that uses them."""
    return {"samples": entries}
