"""Reflection records: the unit of data that synthesis writes and distillation reads.

A record is the paper's four parts, ``[reflection instruction, reflection sequence, re-answer
instruction, final answer]``, plus the *source instruction* I: the bare problem, which the
teacher sample puts in the re-answer slot (``[RI, RS, I, FC]``) and which a model sees at test
time.  RI is what the teacher saw in stage 1 (the reflection prompt with the problem inside), so
RI and I differ; ``docs/data-format.md`` says how I travels in the public shape.  The reflection sequence is a list of messages, each an ordered list
of blocks of kind ``code`` (C), ``execution`` (E) or ``text`` (A, analysis).  The public
ReflectionSeq datasets store the same thing as ``messages: [{role, content: [{type, content}]}]``;
``to_messages``/``from_messages`` convert losslessly so that files from either side can be read.

Bad input never passes silently: every reader raises :class:`RecordError` naming the file, the
line and the field, or (``errors="skip"``) skips the line and counts the reason in a
:class:`ReadReport`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from rcwork.jsonl import JsonlError, check_file, iter_json_lines, json_line
from rcwork.jsonl import write_jsonl as write_jsonl_values

BLOCK_KINDS = ("text", "code", "execution")
ROLES = ("user", "assistant")
BlockKind = Literal["text", "code", "execution"]
Role = Literal["user", "assistant"]


# A record that cannot be read: the message names where (file, line) and what (field).
RecordError = JsonlError


@dataclass
class Block:
    kind: BlockKind
    content: str


@dataclass
class Message:
    role: Role
    blocks: list[Block]

    def text(self) -> str:
        return "".join(b.content for b in self.blocks)


@dataclass
class Metadata:
    """Where a record came from.  ``extra`` keeps any other keys so reading stays lossless."""

    source: str = ""
    teacher: str = ""
    rounds: int = 0
    resolved: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReflectionRecord:
    """``instruction`` is RI (the stage-1 prompt as the teacher saw it); ``source_instruction``
    is I (the bare problem, the test-time prompt)."""

    instruction: str
    reflection: list[Message]
    reanswer_instruction: str
    final: list[Block]
    metadata: Metadata = field(default_factory=Metadata)
    source_instruction: str = field(kw_only=True)

    @property
    def reflection_blocks(self) -> list[Block]:
        return [b for m in self.reflection for b in m.blocks]

    def final_code(self) -> str:
        """The code of the final answer (all its code blocks, joined)."""
        return "\n\n".join(b.content for b in self.final if b.kind == "code")


@dataclass
class InstructionPair:
    """Plain instruction data (trained with NTP only when mixed with reflection data)."""

    instruction: str
    response: list[Block]
    metadata: Metadata = field(default_factory=Metadata)


# ---------------------------------------------------------------- public ``messages`` shape


def _block_to_json(b: Block) -> dict[str, str]:
    return {"type": b.kind, "content": b.content}


# The metadata key that carries I when it is not the re-answer message's text.
SOURCE_INSTRUCTION_KEY = "source_instruction"


def to_messages(record: ReflectionRecord) -> dict[str, Any]:
    """The public ReflectionSeq shape (plus a ``metadata`` key, which readers may ignore).

    I is written to ``metadata.source_instruction`` unless it equals the re-answer message
    (the public datasets' convention, where the second user turn holds the problem), so a file
    in either convention round-trips unchanged.
    """
    messages = [{"role": "user", "content": [{"type": "text", "content": record.instruction}]}]
    messages += [{"role": m.role, "content": [_block_to_json(b) for b in m.blocks]}
                 for m in record.reflection]
    messages.append({"role": "user",
                     "content": [{"type": "text", "content": record.reanswer_instruction}]})
    messages.append({"role": "assistant", "content": [_block_to_json(b) for b in record.final]})
    meta = asdict(record.metadata)
    extra = meta.pop("extra")
    if record.source_instruction != record.reanswer_instruction:
        extra = {**extra, SOURCE_INSTRUCTION_KEY: record.source_instruction}
    return {"messages": messages, "metadata": {**meta, **extra}}


class _Ctx:
    """Carries file/line for error messages while parsing one JSON object."""

    def __init__(self, source: str, line: int | None):
        self.source, self.line = source, line

    def fail(self, field: str, reason: str) -> RecordError:
        return RecordError(reason, source=self.source, line=self.line, field=field)

    def expect(self, value: Any, typ: type | tuple[type, ...], field: str) -> Any:
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            names = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
            raise self.fail(field, f"expected {names}, got {type(value).__name__}")
        return value


def _parse_block(obj: Any, ctx: _Ctx, path: str, type_key: str) -> Block:
    ctx.expect(obj, dict, path)
    if type_key not in obj:
        raise ctx.fail(f"{path}.{type_key}", "missing")
    kind = ctx.expect(obj[type_key], str, f"{path}.{type_key}")
    if kind not in BLOCK_KINDS:
        raise ctx.fail(f"{path}.{type_key}",
                       f"unknown block kind {kind!r} (expected one of {', '.join(BLOCK_KINDS)})")
    if "content" not in obj:
        raise ctx.fail(f"{path}.content", "missing")
    return Block(kind, ctx.expect(obj["content"], str, f"{path}.content"))


def _parse_message(obj: Any, ctx: _Ctx, path: str) -> Message:
    ctx.expect(obj, dict, path)
    role = ctx.expect(obj.get("role"), str, f"{path}.role")
    if role not in ROLES:
        raise ctx.fail(f"{path}.role", f"unknown role {role!r} (expected user or assistant)")
    content = obj.get("content")
    if isinstance(content, str):  # plain chat messages: one text block
        return Message(role, [Block("text", content)])
    ctx.expect(content, list, f"{path}.content")
    return Message(role, [_parse_block(b, ctx, f"{path}.content[{i}]", "type")
                          for i, b in enumerate(content)])


def _single_text(msg: Message, ctx: _Ctx, path: str, what: str) -> str:
    if msg.role != "user":
        raise ctx.fail(f"{path}.role", f"the {what} must be a user message, got {msg.role!r}")
    if len(msg.blocks) != 1 or msg.blocks[0].kind != "text":
        raise ctx.fail(f"{path}.content", f"the {what} must be a single text block")
    text = msg.blocks[0].content
    if not text.strip():
        raise ctx.fail(f"{path}.content[0].content", f"empty {what}")
    return text


def _parse_metadata(obj: Any, ctx: _Ctx) -> Metadata:
    if obj is None:
        return Metadata()
    ctx.expect(obj, dict, "metadata")
    extra = {k: v for k, v in obj.items()
             if k not in ("source", "teacher", "rounds", "resolved", SOURCE_INSTRUCTION_KEY)}
    return Metadata(
        source=ctx.expect(obj.get("source", ""), str, "metadata.source"),
        teacher=ctx.expect(obj.get("teacher", ""), str, "metadata.teacher"),
        rounds=ctx.expect(obj.get("rounds", 0), int, "metadata.rounds"),
        resolved=ctx.expect(obj.get("resolved", False), bool, "metadata.resolved"),
        extra=extra,
    )


def from_messages(obj: Any, *, source: str = "<memory>", line: int | None = None
                  ) -> ReflectionRecord:
    """Parse the public ``messages`` shape: user instruction (RI), reflection messages, user
    re-answer instruction, assistant final answer.  The source instruction I is
    ``metadata.source_instruction`` when present, else the re-answer message's text."""
    ctx = _Ctx(source, line)
    ctx.expect(obj, dict, "<record>")
    if "messages" not in obj:
        raise ctx.fail("messages", "missing")
    raw = ctx.expect(obj["messages"], list, "messages")
    msgs = [_parse_message(m, ctx, f"messages[{i}]") for i, m in enumerate(raw)]
    if len(msgs) < 3:
        raise ctx.fail("messages", f"need at least instruction, re-answer instruction and final "
                                   f"answer messages, got {len(msgs)}")
    instruction = _single_text(msgs[0], ctx, "messages[0]", "instruction")
    last = len(msgs) - 1
    final = msgs[last]
    if final.role != "assistant":
        raise ctx.fail(f"messages[{last}].role", "missing final answer: the last message must "
                                                 "be the assistant's final answer")
    if not any(b.content.strip() for b in final.blocks):
        raise ctx.fail(f"messages[{last}].content", "missing final answer: it is empty")
    if any(b.kind == "execution" for b in final.blocks):
        raise ctx.fail(f"messages[{last}].content", "the final answer cannot hold an execution block")
    reanswer = _single_text(msgs[last - 1], ctx, f"messages[{last - 1}]", "re-answer instruction")
    meta = obj.get("metadata")
    source = reanswer
    if isinstance(meta, dict) and SOURCE_INSTRUCTION_KEY in meta:
        source = ctx.expect(meta[SOURCE_INSTRUCTION_KEY], str,
                            f"metadata.{SOURCE_INSTRUCTION_KEY}")
        if not source.strip():
            raise ctx.fail(f"metadata.{SOURCE_INSTRUCTION_KEY}", "empty source instruction")
    return ReflectionRecord(instruction, msgs[1:last - 1], reanswer, final.blocks,
                            _parse_metadata(meta, ctx), source_instruction=source)


def pair_from_json(obj: Any, *, source: str = "<memory>", line: int | None = None
                   ) -> InstructionPair:
    """Instruction data: ``{"instruction": str, "response": str}`` or a two-message
    ``messages`` list (user, assistant)."""
    ctx = _Ctx(source, line)
    ctx.expect(obj, dict, "<record>")
    if "messages" in obj:
        raw = ctx.expect(obj["messages"], list, "messages")
        msgs = [_parse_message(m, ctx, f"messages[{i}]") for i, m in enumerate(raw)]
        if len(msgs) != 2 or msgs[1].role != "assistant":
            raise ctx.fail("messages", "instruction data needs exactly [user, assistant]")
        instruction = _single_text(msgs[0], ctx, "messages[0]", "instruction")
        response = msgs[1].blocks
    else:
        instruction = ctx.expect(obj.get("instruction"), str, "instruction")
        response = [Block("text", ctx.expect(obj.get("response"), str, "response"))]
    if not instruction.strip():
        raise ctx.fail("instruction", "empty instruction")
    if not any(b.content.strip() for b in response):
        raise ctx.fail("response", "empty response")
    return InstructionPair(instruction, response, _parse_metadata(obj.get("metadata"), ctx))


# ---------------------------------------------------------------- files


@dataclass
class ReadReport:
    """What a reader kept and what it skipped (``errors="skip"``), by reason."""

    read: int = 0
    skipped: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    duplicates: int = 0  # records equal to an earlier one (kept, but counted and reported)

    def add_skip(self, err: RecordError) -> None:
        self.skipped += 1
        self.reasons[f"{err.field}: {err.reason}"] += 1
        if len(self.examples) < 5:
            self.examples.append(str(err))

    def __str__(self) -> str:
        lines = [f"read {self.read} record(s), skipped {self.skipped}"
                 + (f", {self.duplicates} duplicate(s) of earlier records" if self.duplicates
                    else "")]
        lines += [f"  {n} x {reason}" for reason, n in self.reasons.most_common()]
        return "\n".join(lines)


def iter_jsonl(path: str | Path, parse=from_messages, *, errors: str = "raise",
               report: ReadReport | None = None) -> Iterator[Any]:
    """Yield parsed records from a JSONL file, one per non-blank line (:mod:`rcwork.jsonl`
    checks the file, the encoding and the JSON); ``errors="skip"`` counts what it skips."""
    if errors not in ("raise", "skip"):
        raise ValueError("errors must be 'raise' or 'skip'")
    report = report if report is not None else ReadReport()
    src = str(path)
    for lineno, obj in iter_json_lines(path):
        try:
            if isinstance(obj, RecordError):
                raise obj
            rec = parse(obj, source=src, line=lineno)
        except RecordError as err:
            if errors == "raise":
                raise
            report.add_skip(err)
            continue
        report.read += 1
        yield rec


def read_jsonl(path: str | Path, *, errors: str = "raise",
               report: ReadReport | None = None) -> list[ReflectionRecord]:
    return list(iter_jsonl(path, from_messages, errors=errors, report=report))


def read_pairs_jsonl(path: str | Path, *, errors: str = "raise",
                     report: ReadReport | None = None) -> list[InstructionPair]:
    return list(iter_jsonl(path, pair_from_json, errors=errors, report=report))


def record_to_json_line(record: ReflectionRecord) -> str:
    """The record as one JSONL line (without its newline), in the public ``messages`` shape."""
    return json_line(to_messages(record))[:-1]


def write_jsonl(records: Iterable[ReflectionRecord], path: str | Path) -> int:
    """Write ``records`` to ``path`` (atomically, :func:`rcwork.jsonl.write_jsonl`)."""
    return write_jsonl_values(path, (to_messages(r) for r in records))


# Parquet and ``datasets`` hold the messages as a nested column and the metadata as a JSON
# string, because metadata ``extra`` keys vary between records and Arrow needs one schema.


def _to_row(rec: ReflectionRecord) -> dict[str, Any]:
    obj = to_messages(rec)
    return {"messages": obj["messages"], "metadata": json.dumps(obj["metadata"])}


def _from_row(row: dict[str, Any], source: str, index: int) -> ReflectionRecord:
    meta = row.get("metadata")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError as e:
            raise RecordError(f"malformed JSON: {e.msg}", source=source, line=index,
                              field="metadata") from None
    return from_messages({"messages": row.get("messages"), "metadata": meta},
                         source=source, line=index)


def to_dataset(records: Iterable[ReflectionRecord]):
    """A ``datasets.Dataset`` with columns ``messages`` and ``metadata`` (JSON)."""
    import datasets

    return datasets.Dataset.from_list([_to_row(r) for r in records])


def from_dataset(ds, *, source: str = "<dataset>") -> list[ReflectionRecord]:
    """Rows are numbered from 1 in error messages, like lines."""
    return [_from_row(row, source, i) for i, row in enumerate(ds, 1)]


def write_parquet(records: Iterable[ReflectionRecord], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    to_dataset(records).to_parquet(str(path))


def read_parquet(path: str | Path) -> list[ReflectionRecord]:
    import datasets

    ds = datasets.Dataset.from_parquet(str(path))
    return from_dataset(ds, source=str(path))


def read_records(path: str | Path, *, errors: str = "raise",
                 report: ReadReport | None = None) -> list[ReflectionRecord]:
    """Read a ``.jsonl`` or ``.parquet`` file, or every such file in a directory (sorted).

    ``report`` (filled in) counts the records read, skipped (``errors="skip"``) and repeated;
    a missing path is an error that names it; an empty folder holds no records.
    """
    path = Path(path)
    report = report if report is not None else ReadReport()
    if path.is_dir():
        files = [p for p in sorted(path.iterdir()) if p.suffix in (".jsonl", ".parquet")]
        out = [r for f in files for r in _read_one(f, errors, report)]
    else:
        out = _read_one(check_file(path), errors, report)
    seen: set[str] = set()
    for rec in out:
        key = record_to_json_line(rec)
        report.duplicates += key in seen
        seen.add(key)
    return out


def _read_one(path: Path, errors: str, report: ReadReport) -> list[ReflectionRecord]:
    if path.suffix == ".parquet":
        recs = read_parquet(path)
        report.read += len(recs)
        return recs
    return read_jsonl(path, errors=errors, report=report)
