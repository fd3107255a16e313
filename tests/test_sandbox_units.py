"""Pure-Python parts of rcwork.sandbox: limits, the environment allow-list, bounded capture."""

from __future__ import annotations

import resource

import pytest

from rcwork.sandbox.limits import Limits, rlimit_table, scrubbed_env
from rcwork.sandbox.output import TRUNCATION_MARKER, Capped, render_bytes, render_text, strip_ansi


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        Limits(timeout_s=0)
    with pytest.raises(ValueError):
        Limits(memory_mb=-1)


def test_program_cpu_limit_derives_from_timeout_unless_given() -> None:
    assert Limits(timeout_s=2.5).program_cpu_s() == 4
    assert Limits(timeout_s=2.5, cpu_s=1.0).program_cpu_s() == 1.0


def test_rlimit_table_covers_memory_processes_files_core_and_cpu() -> None:
    table = {res: (soft, hard) for res, soft, hard in rlimit_table(Limits(memory_mb=512, max_file_mb=8), cpu_s=3)}
    assert table[resource.RLIMIT_AS] == (512 << 20, 512 << 20)
    assert table[resource.RLIMIT_NPROC] == (64, 64)
    assert table[resource.RLIMIT_FSIZE] == (8 << 20, 8 << 20)
    assert table[resource.RLIMIT_CORE] == (0, 0)
    assert table[resource.RLIMIT_CPU] == (3, 4)  # hard a second later: SIGXCPU, then SIGKILL
    assert resource.RLIMIT_CPU not in {res for res, _, _ in rlimit_table(Limits(), cpu_s=None)}


def test_scrubbed_env_is_an_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-1", "HF_TOKEN": "hf-2", "FAKE_API_KEY": "k-3", "AWS_SECRET_ACCESS_KEY": "a-4",
        "MY_PASSWORD": "p-5", "GITHUB_TOKEN": "g-6", "SOME_UNRELATED_SETTING": "u-7", "LC_SECRET_TOKEN": "l-8",
    }
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    env = scrubbed_env("/work", python_bin="/venv/bin")
    assert not set(secrets) & set(env)
    assert not set(secrets.values()) & set(env.values())
    assert env["LC_ALL"] == "C.UTF-8"
    assert env["HOME"] == env["TMPDIR"] == "/work"
    assert env["OMP_NUM_THREADS"] == "1"
    assert env["PATH"].startswith("/venv/bin:")


def test_scrubbed_env_refuses_secret_looking_extras() -> None:
    assert scrubbed_env("/w", python_bin="/b", extra={"PYTHONHASHSEED": "0"})["PYTHONHASHSEED"] == "0"
    with pytest.raises(ValueError):
        scrubbed_env("/w", python_bin="/b", extra={"HF_TOKEN": "x"})


def test_capped_keeps_everything_under_the_cap() -> None:
    buffer = Capped(100, b"")
    for chunk in (b"hello ", b"world"):
        buffer.feed(chunk)
    assert not buffer.truncated
    assert render_bytes(buffer) == "hello world"


def test_capped_keeps_head_and_tail_and_marks_the_cut() -> None:
    buffer = Capped(1000, "")
    for i in range(10_000):
        buffer.feed(f"line {i}\n")
    text = render_text(buffer)
    assert buffer.truncated and TRUNCATION_MARKER in text
    assert text.startswith("line 0\n")
    assert text.endswith("line 9999\n")
    assert len(text) <= 1000 + len(TRUNCATION_MARKER)


def test_capped_tail_is_exact_just_past_the_cap() -> None:
    stream = "".join(chr(ord("a") + i % 26) for i in range(1010))
    buffer = Capped(1000, "")
    buffer.feed(stream)
    head, tail = buffer.parts()
    assert tail is not None and stream.startswith(head) and stream.endswith(tail)
    assert len(head) + len(tail) == 1000


def test_capped_clear_starts_over() -> None:
    buffer = Capped(10, "")
    buffer.feed("x" * 50)
    buffer.clear()
    buffer.feed("y")
    assert render_text(buffer) == "y"


def test_strip_ansi_removes_colour_and_keeps_text() -> None:
    coloured = "\x1b[0;31mZeroDivisionError\x1b[0m: \x1b[1;32mdivision\x1b[39;49;00m by zero\x1b]0;title\x07"
    assert strip_ansi(coloured) == "ZeroDivisionError: division by zero"
