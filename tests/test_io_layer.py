"""One I/O layer: JSON and JSONL files are read and written through ``rcwork.jsonl`` and
``rcwork.stage_files`` only (atomic writes, file:line:field errors), whoever the caller."""

from __future__ import annotations

import ast
import json

import pytest

from rcwork.jsonl import (JsonlAppender, JsonlError, json_line, read_jsonl_values, write_jsonl)
from rcwork.paths import project_root

LAYER = {"rcwork/jsonl.py", "rcwork/stage_files.py"}
# The sandbox's wire protocol is JSON over pipes between processes, not files.
EXEMPT_DIRS = ("rcwork/sandbox/", "rcwork/_static/")


def _is_json_call(node: ast.AST, name: str) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == name and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "json")


def _reads_a_file(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("read_text", "read_bytes", "read", "readlines"))


def _write_mode(call: ast.Call) -> bool:
    """``open(path, "w")`` or ``path.open("a")``: a file opened for writing."""
    first = 0 if isinstance(call.func, ast.Attribute) else 1
    modes = list(call.args[first:first + 1]) + [k.value for k in call.keywords if k.arg == "mode"]
    return any(isinstance(m, ast.Constant) and isinstance(m.value, str)
               and ("w" in m.value or "a" in m.value) for m in modes)


def file_io_outside_the_layer(source: str, where: str) -> list[str]:
    """``json.load``/``json.dump`` on files, ``json.loads`` of a file's text, JSON written with
    ``write_text``, and functions that open a file for writing and ``json.dumps`` into it."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if _is_json_call(node, "load") or _is_json_call(node, "dump"):
            found.append(f"{where}:{node.lineno}: json.{node.func.attr} on a file")
        elif _is_json_call(node, "loads") and node.args and _reads_a_file(node.args[0]):
            found.append(f"{where}:{node.lineno}: json.loads of a file's text")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "write_text" and node.args
              and _is_json_call(node.args[0], "dumps")):
            found.append(f"{where}:{node.lineno}: JSON written with write_text")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            opens = [n for n in ast.walk(node) if isinstance(n, ast.Call) and _write_mode(n)
                     and ((isinstance(n.func, ast.Name) and n.func.id == "open")
                          or (isinstance(n.func, ast.Attribute) and n.func.attr == "open"))]
            dumps = [n for n in ast.walk(node) if _is_json_call(n, "dumps")]
            if opens and dumps:
                found.append(f"{where}:{node.lineno}: {node.name} opens a file for writing "
                             f"and writes json.dumps into it")
    return found


def test_nothing_outside_the_layer_reads_or_writes_json_files():
    root = project_root()
    found = []
    for path in sorted((root / "rcwork").rglob("*.py")):
        rel = str(path.relative_to(root))
        if rel in LAYER or rel.startswith(EXEMPT_DIRS):
            continue
        found += file_io_outside_the_layer(path.read_text(), rel)
    assert not found, "JSON file I/O outside rcwork.jsonl / rcwork.stage_files:\n" + \
        "\n".join(found)


def test_the_check_catches_each_kind():
    assert file_io_outside_the_layer("json.load(open('x'))", "a")
    assert file_io_outside_the_layer("json.loads(p.read_text())", "b")
    assert file_io_outside_the_layer("p.write_text(json.dumps(x))", "c")
    assert file_io_outside_the_layer(
        "def f(p, rows):\n    with open(p, 'w') as fh:\n        fh.write(json.dumps(rows))", "d")
    assert file_io_outside_the_layer(
        "def g(p, row):\n    with p.open('a') as fh:\n        fh.write(json.dumps(row))", "e")
    assert not file_io_outside_the_layer("json.loads(text)\nopen(p).read()", "f")


def test_writes_are_strict_atomic_and_appends_survive_a_torn_line(tmp_path):
    path = tmp_path / "x.jsonl"
    assert write_jsonl(path, [{"a": 1.0}, {"b": float("nan")}, {"p": tmp_path}]) == 3
    assert read_jsonl_values(path) == [{"a": 1.0}, {"b": None}, {"p": str(tmp_path)}]
    assert not list(tmp_path.glob(".*tmp"))  # the temporary file was renamed
    with open(path, "a") as fh:
        fh.write('{"torn": ')  # a kill mid-line
    with pytest.raises(JsonlError, match=r"x\.jsonl:4: .*cut off"):
        read_jsonl_values(path)
    with JsonlAppender(path) as out:
        out.write([{"c": 3}])
    assert read_jsonl_values(path)[-1] == {"c": 3} and len(read_jsonl_values(path)) == 4
    assert json_line({"t": "é"}) == '{"t": "é"}\n'
    assert json.loads(json_line(float("inf"))) is None
