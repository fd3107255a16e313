"""A real ``transformers serve`` on loopback with the embedded model, used as an OpenAI-compatible
teacher: chat through it, keep the key out of every log, and synthesize records through it.

Quirks of `transformers serve` measured here: requests name the served folder's path as the model; ``/health`` is the
readiness probe (``GET /v1/models`` fails without a hub cache); one thread for torch.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rcwork.engines import make_engine
from rcwork.teachers import EngineTeacher
from tests.helpers import easy_problems

pytestmark = pytest.mark.slow

SECRET = "sk-rcwork-test-secret-7f3a9c"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``(base_url, model_name)`` of a ``transformers serve`` started for this module."""
    from rcwork.models import embedded_model_path

    exe = Path(sys.executable).with_name("transformers")
    folder = str(embedded_model_path())
    port = _free_port()
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(exe), "serve", folder, "--host", "127.0.0.1", "--port",
                                 str(port), "--device", "cpu"], stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not _healthy(f"http://127.0.0.1:{port}/health"):
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited with {proc.returncode}:\n"
                            f"{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve not healthy after 240 s:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1", folder
    finally:
        # The server runs in its own session: stop it and anything it started, by its id.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(15)
        except ProcessLookupError:
            pass


def test_chat_through_transformers_serve_keeps_the_key_out_of_logs(served, monkeypatch,
                                                                     caplog, capfd):
    base_url, model = served
    monkeypatch.setenv("RCWORK_SERVE_KEY", SECRET)
    caplog.set_level(logging.DEBUG)  # openai and httpx log requests at DEBUG
    teacher = EngineTeacher(make_engine("openai", model, base_url=base_url,
                                        api_key_env="RCWORK_SERVE_KEY"))
    conv = [{"role": "user", "content": "Write a Python function `double(x)` that returns 2 * x, "
                                        "in a ```python block."}]
    out = teacher.chat([conv, conv], max_new_tokens=48, stop=["\n```\n"])
    assert len(out) == 2 and all(o.strip() for o in out)
    assert out[0] == out[1]  # greedy
    assert all("\n```\n" not in o for o in out)  # the server keeps the stop string; we cut it
    captured = capfd.readouterr()
    for text in (caplog.text, captured.out, captured.err, repr(teacher), str(teacher.describe())):
        assert SECRET not in text
    assert "chat/completions" in caplog.text  # the logs were really captured


def test_synthesize_through_transformers_serve(served, tmp_path):
    from rcwork.synthesis import SynthesisConfig, read_run, synthesize

    base_url, model = served
    problems = easy_problems()[:2]
    teacher = EngineTeacher(make_engine("openai", model, base_url=base_url,
                                        name="smollm2-served"))
    cfg = SynthesisConfig(max_rounds=2, max_new_tokens=128, workers=2,
                          filter_single_round=False, progress=False)
    summary = synthesize(problems, teacher, tmp_path / "run", cfg)
    assert summary.records == 2 and summary.errors == 0
    records = read_run(tmp_path / "run", "kept") + read_run(tmp_path / "run", "filtered")
    assert sorted(r.metadata.extra["task_id"] for r in records) == sorted(
        p.task_id for p in problems)
    for r in records:
        assert r.metadata.teacher == "smollm2-served"
        assert 1 <= r.metadata.rounds <= 2
    kinds = [b.kind for r in records for b in r.reflection_blocks]
    # The 135M model does write Python blocks for these problems; each one ran in a kernel.
    assert "code" in kinds and "execution" in kinds
    for r in records:
        blocks = r.reflection_blocks
        for i, b in enumerate(blocks):
            if b.kind == "code":
                assert blocks[i + 1].kind == "execution"
