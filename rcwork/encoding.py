"""Encoding records into token ids with per-token annotations (``docs/method.md``).

Every piece of text is tokenized on its own and the ids concatenated, so each token belongs to
exactly one message, one block and one part of the record; masks and labels are then plain
functions of these per-token arrays.

Labels follow the paper: every token trains except user messages and execution blocks (the
environment writes those) and bos.  ``final_labels`` are the distillation targets: the final
answer message and eos.  The *teacher sample* is ``[RI, RS, I, FC]``: the record with its
re-answer instruction replaced by the source instruction I (the bare problem, not RI: RI is the
stage-1 reflection prompt with the problem inside), so that the student, which cannot see RI and
(part of) RS, reads ``[I, FC]`` at the very same positions as the teacher, and ``[I, FC]`` is
exactly what a test-time prompt and answer look like (``docs/method.md``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterable, Sequence

from rcwork.records import Block, InstructionPair, ReflectionRecord
from rcwork.textformat import BLOCK_TOKENS, END_OF_BLOCK, END_OF_MESSAGE, ROLE_TOKENS

if TYPE_CHECKING:  # annotations only: masks and views stay importable without transformers
    from transformers import PreTrainedTokenizerBase

IGNORE = -100

# Parts of a sample, per token.
SPECIAL, INSTRUCTION, REFLECTION, REANSWER, FINAL = range(5)
PART_NAMES = ("special", "instruction", "reflection", "reanswer", "final")
# Block kinds, per token; NONE marks role and end-of-message tokens, bos and eos.
NONE, TEXT, CODE, EXECUTION = range(4)
KIND_NAMES = ("-", "text", "code", "execution")
KIND_IDS = {"text": TEXT, "code": CODE, "execution": EXECUTION}


class SampleTooLong(ValueError):
    def __init__(self, length: int, max_len: int):
        self.length, self.max_len = length, max_len
        super().__init__(f"sample has {length} tokens, more than max_len={max_len}")


@dataclass
class Encoded:
    """One tokenized sample; every list has one entry per token."""

    input_ids: list[int]
    labels: list[int]
    final_labels: list[int]
    message: list[int]  # message index in the sample, -1 for bos/eos
    kind: list[int]  # NONE / TEXT / CODE / EXECUTION
    block: list[int]  # index of the block within the reflection sequence, -1 outside it
    part: list[int]  # SPECIAL / INSTRUCTION / REFLECTION / REANSWER / FINAL

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def has_reflection(self) -> bool:
        return REFLECTION in self.part

    @property
    def num_reflection_blocks(self) -> int:
        return max(self.block) + 1 if self.block else 0


@dataclass
class EncodedRecord:
    """A reflection record as written (with its re-answer instruction) and its teacher sample."""

    sample: Encoded
    teacher: Encoded


class _Builder:
    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tok = tokenizer
        self.cols: dict[str, list[int]] = {k: [] for k in
                                           ("input_ids", "labels", "final_labels", "message",
                                            "kind", "block", "part")}

    def special_id(self, token: str) -> int:
        tid = self.tok.convert_tokens_to_ids(token)
        if tid is None or tid == self.tok.unk_token_id:
            raise KeyError(f"{token} is not in the tokenizer: call rcwork.models."
                           "add_reflection_tokens(model, tokenizer) first")
        return tid

    def push(self, ids: Sequence[int], *, train: bool, final: bool, message: int, kind: int,
             block: int, part: int) -> None:
        c = self.cols
        n = len(ids)
        c["input_ids"] += ids
        c["labels"] += list(ids) if train else [IGNORE] * n
        c["final_labels"] += list(ids) if final else [IGNORE] * n
        c["message"] += [message] * n
        c["kind"] += [kind] * n
        c["block"] += [block] * n
        c["part"] += [part] * n

    def message(self, index: int, role: str, blocks: Iterable[Block], part: int,
                first_block: int | None = None) -> int:
        """Append one message; returns the next reflection block index (if counting blocks)."""
        user = role == "user"
        final = part == FINAL
        common = dict(message=index, part=part, final=final)
        self.push([self.special_id(ROLE_TOKENS[role])], train=not user, kind=NONE, block=-1,
                  **common)
        next_block = first_block
        for b in blocks:
            kind = KIND_IDS[b.kind]
            train = not user and kind != EXECUTION
            bidx = -1 if next_block is None else next_block
            ids = [self.special_id(BLOCK_TOKENS[b.kind])]
            ids += self.tok(b.content, add_special_tokens=False)["input_ids"]
            ids.append(self.special_id(END_OF_BLOCK))
            self.push(ids, train=train, kind=kind, block=bidx, **common)
            if next_block is not None:
                next_block += 1
        self.push([self.special_id(END_OF_MESSAGE)], train=not user, kind=NONE, block=-1,
                  **common)
        return next_block

    def bos(self) -> None:
        if self.tok.bos_token_id is not None:
            self.push([self.tok.bos_token_id], train=False, final=False, message=-1, kind=NONE,
                      block=-1, part=SPECIAL)

    def eos(self) -> None:
        self.push([self.tok.eos_token_id], train=True, final=True, message=-1, kind=NONE,
                  block=-1, part=SPECIAL)

    def build(self, max_len: int | None) -> Encoded:
        enc = Encoded(**self.cols)
        if max_len is not None and len(enc) > max_len:
            raise SampleTooLong(len(enc), max_len)
        return enc


def _encode_four_parts(record: ReflectionRecord, tokenizer: PreTrainedTokenizerBase,
                       max_len: int | None) -> Encoded:
    b = _Builder(tokenizer)
    b.bos()
    b.message(0, "user", [Block("text", record.instruction)], INSTRUCTION)
    next_block = 0
    for i, m in enumerate(record.reflection, 1):
        next_block = b.message(i, m.role, m.blocks, REFLECTION, first_block=next_block)
    n = len(record.reflection) + 1
    b.message(n, "user", [Block("text", record.reanswer_instruction)], REANSWER)
    b.message(n + 1, "assistant", record.final, FINAL)
    b.eos()
    return b.build(max_len)


def encode_record(record: ReflectionRecord, tokenizer: PreTrainedTokenizerBase, *,
                  max_len: int | None = None) -> EncodedRecord:
    """Encode a record and its teacher sample; raises :class:`SampleTooLong` past ``max_len``."""
    sample = _encode_four_parts(record, tokenizer, max_len)
    teacher = _encode_four_parts(replace(record, reanswer_instruction=record.source_instruction),
                                 tokenizer, max_len)
    return EncodedRecord(sample, teacher)


def encode_pair(pair: InstructionPair, tokenizer: PreTrainedTokenizerBase, *,
                max_len: int | None = None) -> Encoded:
    """Plain instruction data, laid out as the ``[I, FC]`` tail of a teacher sample."""
    b = _Builder(tokenizer)
    b.bos()
    b.message(0, "user", [Block("text", pair.instruction)], REANSWER)
    b.message(1, "assistant", pair.response, FINAL)
    b.eos()
    return b.build(max_len)


@dataclass
class EncodeReport:
    """How many items were encoded and which were rejected (never truncated silently)."""

    encoded: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    rejected_indices: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        s = f"encoded {self.encoded}, rejected {self.rejected}"
        return s + "".join(f"\n  {n} x {r}" for r, n in self.reasons.items())


def encode_many(items: Iterable[ReflectionRecord | InstructionPair],
                tokenizer: PreTrainedTokenizerBase, *, max_len: int
                ) -> tuple[list[EncodedRecord | Encoded], EncodeReport]:
    """Encode records and pairs, rejecting (and counting) those longer than ``max_len``."""
    out: list[EncodedRecord | Encoded] = []
    report = EncodeReport()
    for i, item in enumerate(items):
        try:
            enc = (encode_record(item, tokenizer, max_len=max_len)
                   if isinstance(item, ReflectionRecord)
                   else encode_pair(item, tokenizer, max_len=max_len))
        except SampleTooLong:
            report.rejected += 1
            report.reasons[f"longer than max_len={max_len}"] += 1
            report.rejected_indices.append(i)
            continue
        report.encoded += 1
        out.append(enc)
    return out, report
