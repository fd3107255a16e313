"""The configs of the two lessons that look without training: 02 (inspect) and 03 (masks).

They have no CLI of their own, but their settings are stage settings all the same: the profile
files override them (``[inspect]``, ``[masks]``) and the lessons build them through
:func:`rcwork.stages.stage_config`, so the seed-records path and the tokenizer are declared once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rcwork.paths import SEED_RECORDS, resolve_paths


@dataclass
class InspectConfig:
    """Lesson 02: which record file to read and whose tokenizer measures it."""

    records: str = field(default=SEED_RECORDS, metadata={
        "help": "reflection records (.jsonl/.parquet, or what 01_synthesize kept)"})
    model: str = field(default="embedded", metadata={
        "help": "whose tokenizer gives the token view and the lengths"})
    show_static: int = field(default=2, metadata={
        "help": "records drawn as static HTML too (headless runs and reports)"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("records",))


@dataclass
class MaskViewConfig:
    """Lesson 03: the record, the tokenizer and the seed of the random strategies."""

    records: str = field(default=SEED_RECORDS, metadata={"help": "reflection records"})
    model: str = field(default="embedded", metadata={"help": "whose tokenizer splits the text"})
    record_index: int = field(default=-1, metadata={
        "help": "the record to show; -1: the shortest with at least two rounds"})
    seed: int = field(default=0, metadata={"help": "seed of the random mask strategies"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("records",))
