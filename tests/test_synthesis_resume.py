"""SIGKILL a real ``rcwork synthesize`` run midway, rerun it, and find every problem exactly once.

The teacher is the tiny random model (real generation, garbage text), so the test is about the
files: records appended and fsync-ed as each problem completes, a torn trailing line repaired on
restart, finished problems skipped, nothing lost and nothing written twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from rcwork.paths import project_root
from rcwork.synthesis import count_task_ids
from tests.helpers import easy_problems, write_problems

pytestmark = pytest.mark.slow


def _cmd(problems: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "rcwork", "synthesize", "--problems", str(problems),
            "--output_dir", str(out), "--teacher-backend", "transformers", "--teacher-model", "tiny",
            "--max-rounds", "2", "--max-new-tokens", "48", "--workers", "2", "--threads", "1",
            "--no-progress"]


def _lines(out: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in out.glob("*/shard-*.jsonl"))


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the run, then whatever it had started (kernels), each by its pid."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(children, timeout=10)


def test_sigkill_midway_then_resume_loses_and_duplicates_nothing(tmp_path):
    problems = easy_problems(14)
    src = write_problems(tmp_path / "problems.jsonl", problems)
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    log = open(tmp_path / "first.log", "w")
    proc = subprocess.Popen(_cmd(src, out), cwd=project_root(), env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while _lines(out) < 3:  # some records written, most problems still to do
            assert proc.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no records after 300 s"
            time.sleep(0.02)
    finally:
        _kill_tree(proc)
        log.close()
    first = count_task_ids(out)
    assert 3 <= sum(first.values()) < len(problems), "the kill came too late to test resume"
    # A torn trailing line, as a kill in the middle of a write leaves it.
    shard = sorted(out.glob("filtered/shard-*.jsonl"))[0]
    with shard.open("ab") as fh:
        fh.write(b'{"messages": [{"role": "user", "content": [{"type": "text", "cont')

    second = subprocess.run(_cmd(src, out), cwd=project_root(), env=env, capture_output=True,
                            text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    counts = count_task_ids(out)
    assert set(counts) == {p.task_id for p in problems}
    assert set(counts.values()) == {1}, "a task id was written twice"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["records"] == len(problems)
    assert summary["skipped_resumed"] == len(first)
    assert summary["processed"] == len(problems) - len(first)
    assert summary["resume_scan"]["torn_lines_cut"] >= 1
    assert "records 14" in second.stdout
