"""Pins the text format and the loss labels of docs/method.md on a hand-checked record.

The tiny tokenizer is byte level, so every content character is one token and the expected
sequence below can be written out and checked by eye.
"""

import pytest

from rcwork.display.records import dump
from rcwork.encoding import (FINAL, IGNORE, INSTRUCTION, REANSWER, REFLECTION, SampleTooLong,
                             encode_many, encode_pair, encode_record)
from rcwork.records import Block, InstructionPair, Message, ReflectionRecord

# RI = "Pq": a reflection prompt "P" around the problem "q"; I = "q", the bare problem.
RECORD = ReflectionRecord(
    instruction="Pq",
    reflection=[Message("assistant", [Block("text", "A"), Block("code", "c"),
                                      Block("execution", "E")])],
    reanswer_instruction="R",
    final=[Block("code", "F")],
    source_instruction="q",
)

# (token, trained by NTP, distillation target) for the TEACHER sample [RI, RS, I, FC]:
# user messages and execution blocks are ignored, bos is ignored, eos trains; the distillation
# targets are the final answer message and eos.
TEACHER = [
    ("<|im_start|>", 0, 0),
    ("<|user|>", 0, 0), ("<|text|>", 0, 0), ("P", 0, 0), ("q", 0, 0), ("<|endofblock|>", 0, 0),
    ("<|endofmessage|>", 0, 0),
    ("<|assistant|>", 1, 0),
    ("<|text|>", 1, 0), ("A", 1, 0), ("<|endofblock|>", 1, 0),
    ("<|code|>", 1, 0), ("c", 1, 0), ("<|endofblock|>", 1, 0),
    ("<|execution|>", 0, 0), ("E", 0, 0), ("<|endofblock|>", 0, 0),
    ("<|endofmessage|>", 1, 0),
    ("<|user|>", 0, 0), ("<|text|>", 0, 0), ("q", 0, 0), ("<|endofblock|>", 0, 0),
    ("<|endofmessage|>", 0, 0),
    ("<|assistant|>", 1, 1), ("<|code|>", 1, 1), ("F", 1, 1), ("<|endofblock|>", 1, 1),
    ("<|endofmessage|>", 1, 1),
    ("<|im_end|>", 1, 1),
]


def test_teacher_sample_labels_pinned(tiny):
    _, tok = tiny
    enc = encode_record(RECORD, tok).teacher
    tokens = tok.convert_ids_to_tokens(enc.input_ids)
    assert tokens == [t for t, _, _ in TEACHER]
    for i, (t, trained, distilled) in enumerate(TEACHER):
        assert (enc.labels[i] != IGNORE) == bool(trained), (i, t)
        assert (enc.final_labels[i] != IGNORE) == bool(distilled), (i, t)
        if trained:
            assert enc.labels[i] == enc.input_ids[i]
    # parts: RI, RS, I (in place of the re-answer instruction), FC
    assert enc.part[1:7] == [INSTRUCTION] * 6
    assert enc.part[7:18] == [REFLECTION] * 11
    assert enc.part[18:23] == [REANSWER] * 5
    assert enc.part[23:28] == [FINAL] * 5
    assert enc.block[8:17] == [0] * 3 + [1] * 3 + [2] * 3
    assert enc.message[1] == 0 and enc.message[7] == 1 and enc.message[23] == 3


def test_record_sample_keeps_reanswer_instruction(tiny):
    _, tok = tiny
    both = encode_record(RECORD, tok)
    assert tok.decode(both.sample.input_ids) == (
        "<|im_start|><|user|><|text|>Pq<|endofblock|><|endofmessage|>"
        "<|assistant|><|text|>A<|endofblock|><|code|>c<|endofblock|>"
        "<|execution|>E<|endofblock|><|endofmessage|>"
        "<|user|><|text|>R<|endofblock|><|endofmessage|>"
        "<|assistant|><|code|>F<|endofblock|><|endofmessage|><|im_end|>")
    # [I, FC] sits at the very same positions in the teacher as [RA, FC] in the record,
    # shifted only by the length difference of RA and I (both one character here).
    assert len(both.teacher) == len(both.sample)


def test_pair_is_ntp_on_answer_only(tiny):
    _, tok = tiny
    enc = encode_pair(InstructionPair("Q", [Block("text", "ok")]), tok)
    assert not enc.has_reflection
    trained = [t for t, lab in zip(tok.convert_ids_to_tokens(enc.input_ids), enc.labels)
               if lab != IGNORE]
    assert trained == ["<|assistant|>", "<|text|>", "o", "k", "<|endofblock|>",
                       "<|endofmessage|>", "<|im_end|>"]


def test_too_long_is_rejected_and_counted(tiny):
    _, tok = tiny
    n = len(encode_record(RECORD, tok).teacher)
    with pytest.raises(SampleTooLong):
        encode_record(RECORD, tok, max_len=n - 1)
    out, report = encode_many([RECORD, InstructionPair("Q", [Block("text", "x" * 500)]), RECORD],
                              tok, max_len=n)
    assert len(out) == 2 and report.encoded == 2 and report.rejected == 1
    assert report.rejected_indices == [1]
    assert "rejected 1" in str(report)


def test_dump_is_readable(tiny):
    _, tok = tiny
    text = dump(encode_record(RECORD, tok).teacher, tok)
    lines = text.splitlines()
    assert len(lines) == len(TEACHER) + 1
    assert "'<|execution|>'" in lines[15] and lines[15].endswith(". .")
    assert "final" in lines[25] and lines[25].endswith("T D")


def test_missing_special_tokens_is_a_clear_error():
    from rcwork.models import tiny_tokenizer

    with pytest.raises(KeyError, match="add_reflection_tokens"):
        encode_record(RECORD, tiny_tokenizer())
