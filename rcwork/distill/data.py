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
from typing import Any, Sequence

import torch
from transformers.trainer_pt_utils import get_length_grouped_indices

from rcwork.encoding import Encoded, EncodedRecord, encode_many
from rcwork.records import (InstructionPair, ReadReport, ReflectionRecord, read_pairs_jsonl,
                            read_records)

ABLATIONS = ("none", "all_mask", "no_distill", "no_reflection")


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
class TrainingData:
    """What distillation trains and measures on, and how each input file was used.

    ``sources`` has one entry per reflection file or folder: records read, rejected as longer
    than ``max_len`` (never truncated), used for training and held out.  Held-out records come
    from the first source only, so that runs which add synthesized records to the seed set are
    measured on the same held-out records.
    """

    train: DistillDataset
    train_records: list[ReflectionRecord]
    heldout: list[ReflectionRecord]
    sources: list[dict[str, Any]]
    pairs: dict[str, Any]

    @property
    def rejected(self) -> int:
        return sum(s["too_long"] for s in self.sources) + self.pairs["too_long"]

    def summary(self) -> dict[str, Any]:
        """The counts ``metrics.json`` records."""
        return {"sources": self.sources, "instruction_pairs": self.pairs,
                "train_records": len(self.train_records), "heldout_records": len(self.heldout),
                "rejected": self.rejected, "reflection_samples": self.train.num_reflection}

    def __str__(self) -> str:
        lines = [f"{s['path']}: read {s['read']}, too long {s['too_long']}, training "
                 f"{s['train']}, held out {s['heldout']}"
                 + (f", skipped {s['skipped']} bad line(s)" if s.get("skipped") else "")
                 + (f", {s['duplicates']} duplicate(s)" if s.get("duplicates") else "")
                 for s in self.sources]
        if self.pairs["read"]:
            lines.append(f"{self.pairs['path']}: {self.pairs['read']} instruction pairs, too "
                         f"long {self.pairs['too_long']}")
        return "\n".join(lines + [repr(self.train)])


def load_training_data(sources: Sequence[str | Path], tokenizer, *, max_len: int,
                       heldout: float | int, k: int, seed: int = 0, ablation: str = "none",
                       instruction_data: str | Path | None = None, errors: str = "raise"
                       ) -> TrainingData:
    """:func:`build_training_data` over files: each source is a records file or folder.
    ``errors="skip"`` skips bad lines; what was skipped, and repeated, is counted per source."""
    read: list[tuple[str, list[ReflectionRecord]]] = []
    reports: list[ReadReport] = []
    for s in sources:
        report = ReadReport()
        read.append((str(s), read_records(s, errors=errors, report=report)))
        reports.append(report)
    pair_report = ReadReport()
    pairs = (read_pairs_jsonl(instruction_data, errors=errors, report=pair_report)
             if instruction_data else [])
    data = build_training_data(read, pairs, tokenizer, max_len=max_len, heldout=heldout, k=k,
                               seed=seed, ablation=ablation,
                               pairs_name=str(instruction_data or ""))
    for counts, report in zip(data.sources, reports):
        counts.update(skipped=report.skipped, duplicates=report.duplicates,
                      skip_reasons=dict(report.reasons))
    data.pairs.update(skipped=pair_report.skipped, skip_reasons=dict(pair_report.reasons))
    return data


def build_training_data(sources: Sequence[tuple[str, Sequence[ReflectionRecord]]],
                        pairs: Sequence[InstructionPair], tokenizer, *, max_len: int,
                        heldout: float | int = 0, k: int = 2, seed: int = 0,
                        ablation: str = "none", pairs_name: str = "") -> TrainingData:
    """Encode each record once (rejecting, and counting, those over ``max_len``), hold out
    records of the first source, and mix the rest, up-sampled ``k`` times, with the
    instruction pairs (``ablation="no_reflection"``: the pairs only)."""
    if ablation not in ABLATIONS:
        raise ValueError(f"unknown ablation {ablation!r}; expected one of {', '.join(ABLATIONS)}")
    if isinstance(heldout, float) and heldout >= 1:
        heldout = int(heldout)
    counts: list[dict[str, Any]] = []
    train_enc: list[EncodedRecord] = []
    train_records: list[ReflectionRecord] = []
    held: list[ReflectionRecord] = []
    for n, (name, records) in enumerate(sources):
        encoded, report = encode_many(records, tokenizer, max_len=max_len)
        rejected = set(report.rejected_indices)
        fitting = [r for i, r in enumerate(records) if i not in rejected]
        by_record = dict(zip(map(id, fitting), encoded))
        if n == 0:
            train, held = split_heldout(fitting, heldout, seed=seed) if fitting else ([], [])
        else:
            train = list(fitting)
        counts.append({"path": name, "read": len(records), "too_long": report.rejected,
                       "train": len(train), "heldout": len(held) if n == 0 else 0})
        train_records += train
        train_enc += [by_record[id(r)] for r in train]
    pair_enc, pair_report = encode_many(pairs, tokenizer, max_len=max_len)
    pair_counts = {"path": pairs_name, "read": len(pairs), "too_long": pair_report.rejected,
                   "train": len(pair_enc)}
    if ablation == "no_reflection":
        if not pair_enc:
            raise ValueError("ablation no_reflection trains on instruction data only: "
                             "give instruction pairs")
        train_enc, train_records = [], []
        for c in counts:
            c["train"] = 0
    dataset = DistillDataset([e.teacher for e in train_enc], pair_enc, k)
    return TrainingData(dataset, train_records, held, counts, pair_counts)


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
