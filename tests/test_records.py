import json

import pytest

from rcwork.records import (Block, InstructionPair, Metadata, ReadReport, RecordError,
                            from_dataset, from_messages, read_jsonl,
                            read_pairs_jsonl, read_parquet, read_records, to_dataset,
                            to_messages, write_jsonl, write_parquet)
from tests.helpers import make_record


def test_messages_round_trip_is_identity():
    rec = make_record()
    obj = to_messages(rec)
    assert [m["role"] for m in obj["messages"]] == ["user", "assistant", "user", "assistant"]
    assert obj["messages"][1]["content"][2] == {"type": "execution", "content": "AssertionError"}
    assert from_messages(json.loads(json.dumps(obj))) == rec


def test_jsonl_parquet_dataset_round_trips(tmp_path):
    recs = [make_record(i) for i in range(3)]
    write_jsonl(recs, tmp_path / "r.jsonl")
    assert read_jsonl(tmp_path / "r.jsonl") == recs
    write_parquet(recs, tmp_path / "r.parquet")
    assert read_parquet(tmp_path / "r.parquet") == recs
    assert from_dataset(to_dataset(recs)) == recs
    assert read_records(tmp_path) == recs + recs  # directory: jsonl then parquet, sorted


def test_public_shape_without_metadata_and_string_content():
    obj = {"messages": [
        {"role": "user", "content": "Do X."},
        {"role": "assistant", "content": [{"type": "code", "content": "x = 1"},
                                          {"type": "execution", "content": ""}]},
        {"role": "user", "content": [{"type": "text", "content": "Again."}]},
        {"role": "assistant", "content": [{"type": "code", "content": "x = 1"}]},
    ]}
    rec = from_messages(obj)
    assert rec.instruction == "Do X." and rec.metadata == Metadata()
    assert rec.final_code() == "x = 1"
    # The public datasets' convention: the second user turn carries the source instruction.
    assert rec.source_instruction == "Again."


def test_source_instruction_travels_in_metadata_and_round_trips():
    rec = make_record()
    obj = to_messages(rec)
    assert obj["messages"][0]["content"][0]["content"] == rec.instruction  # RI
    assert obj["messages"][2]["content"][0]["content"] == rec.reanswer_instruction
    assert obj["metadata"]["source_instruction"] == rec.source_instruction  # I
    back = from_messages(json.loads(json.dumps(obj)))
    assert back == rec and "source_instruction" not in back.metadata.extra
    assert to_messages(back) == obj
    # A record whose I is its second user turn writes no extra key: the public file is
    # unchanged by a read and a write.
    public = to_messages(make_record())
    del public["metadata"]["source_instruction"]
    public["messages"][2]["content"][0]["content"] = make_record().source_instruction
    assert to_messages(from_messages(public)) == public


def test_source_instruction_errors_name_the_field():
    obj = to_messages(make_record())
    obj["metadata"]["source_instruction"] = 3
    with pytest.raises(RecordError, match=r"field metadata.source_instruction: expected str"):
        from_messages(obj)
    obj["metadata"]["source_instruction"] = " "
    with pytest.raises(RecordError, match=r"metadata.source_instruction: empty"):
        from_messages(obj)


GOOD = json.dumps(to_messages(make_record()))


def _bad_cases():
    base = to_messages(make_record())

    def mutate(fn):
        obj = json.loads(json.dumps(base))
        fn(obj)
        return json.dumps(obj)

    return {
        "malformed": ("{not json", "<json>", "malformed JSON"),
        "unknown_kind": (mutate(lambda o: o["messages"][1]["content"][0].update(type="image")),
                         "messages[1].content[0].type", "unknown block kind 'image'"),
        "missing_final": (mutate(lambda o: o["messages"].pop()), "messages[2].role",
                          "missing final answer"),
        "empty_final": (mutate(lambda o: o["messages"][-1].update(content=[])),
                        "messages[3].content", "missing final answer"),
        "empty_instruction": (mutate(lambda o: o["messages"][0]["content"][0].update(content="  ")),
                              "messages[0].content[0].content", "empty instruction"),
        "wrong_type_content": (mutate(lambda o: o["messages"][1]["content"][1].update(content=3)),
                               "messages[1].content[1].content", "expected str, got int"),
        "wrong_type_rounds": (mutate(lambda o: o["metadata"].update(rounds="2")),
                              "metadata.rounds", "expected int, got str"),
        "wrong_type_messages": (json.dumps({"messages": {"role": "user"}}), "messages",
                                "expected list, got dict"),
        "unknown_role": (mutate(lambda o: o["messages"][1].update(role="system")),
                         "messages[1].role", "unknown role"),
    }


@pytest.mark.parametrize("case", sorted(_bad_cases()))
def test_bad_input_names_file_line_and_field(tmp_path, case):
    bad, field, reason = _bad_cases()[case]
    path = tmp_path / "data.jsonl"
    path.write_text(GOOD + "\n\n" + GOOD + "\n" + bad + "\n" + GOOD + "\n")
    with pytest.raises(RecordError) as info:
        read_jsonl(path)
    err = info.value
    assert (err.source, err.line, err.field) == (str(path), 4, field)
    assert reason in err.reason
    assert f"{path}:4: field {field}:" in str(err)


def test_skip_mode_counts_and_reports_reasons(tmp_path):
    cases = _bad_cases()
    lines = [GOOD] + [cases[c][0] for c in sorted(cases)] + [GOOD]
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = ReadReport()
    recs = read_jsonl(path, errors="skip", report=report)
    assert len(recs) == 2 and report.read == 2
    assert report.skipped == len(cases)
    assert sum(report.reasons.values()) == len(cases)
    assert any("unknown block kind" in r for r in report.reasons)
    assert f"skipped {len(cases)}" in str(report)


def test_instruction_pairs(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"instruction": "Say hi", "response": "hi"}) + "\n"
                    + json.dumps({"messages": [{"role": "user", "content": "Q"},
                                               {"role": "assistant", "content": "A"}]}) + "\n"
                    + json.dumps({"instruction": "", "response": "x"}) + "\n")
    with pytest.raises(RecordError, match=r"pairs.jsonl:3: field instruction: empty"):
        read_pairs_jsonl(path)
    report = ReadReport()
    pairs = read_pairs_jsonl(path, errors="skip", report=report)
    assert pairs[0] == InstructionPair("Say hi", [Block("text", "hi")])
    assert pairs[1].instruction == "Q" and report.skipped == 1
