"""One sample cannot change a neighbour's verdict: canonical solutions scored beside hostile
samples (processes in sessions of their own spinning on the CPU, a fork bomb, children hoarding
memory, SysV segments, and the whole verdict-cheat battery), with 2 workers, pass every time.

The cause this guards against: the scheduler shares CPU between sessions (autogroups), so a
sandbox whose processes each call ``setsid()`` took one share per process and starved the
sandbox beside it (measured: 0.2 s of CPU took 5.3-6.6 s of wall clock next to 60 such
spinners, 0.3-0.4 s with a control group per sandbox). Each sandbox now has its own CPU, pids
and memory control group (``rcwork/sandbox/_cgroups.py``).
"""

from __future__ import annotations

import json

import pytest

from rcwork.evaluation import load_benchmark
from rcwork.evaluation.scoring import score_samples
from rcwork.sandbox import Sandbox

from tests.test_verdict_cheats import CHEATS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Hostile samples, written for any entry point; each runs until the scoring timeout kills it.
HOSTILE = {
    "sessions-spinning": (
        "import os\n"
        "for _ in range(63):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            os.setsid()\n"
        "            while True:\n                pass\n"
        "    except OSError:\n        break\n"
        "def {ep}(*a, **k):\n    while True:\n        pass\n"),
    "fork-bomb": (
        "import os, time\n"
        "def {ep}(*a, **k):\n"
        "    while True:\n"
        "        try:\n            os.fork()\n"
        "        except OSError:\n            time.sleep(0.01)\n"),
    "memory-hoarders": (
        "import os, time\n"
        "for _ in range(8):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            try:\n"
        "                hoard = bytearray(300 * 1024 * 1024)\n"
        "                for i in range(0, len(hoard), 4096):\n                    hoard[i] = 1\n"
        "            except MemoryError:\n                pass\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "    except OSError:\n        break\n"
        "def {ep}(*a, **k):\n    time.sleep(60)\n"),
    "sysv-hoarder": (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.shmat.restype = ctypes.c_void_p\n"
        "for _ in range(4):\n"
        "    segment = libc.shmget(0, 64 * 1024 * 1024, 0o1600)\n"
        "    if segment < 0:\n        break\n"
        "    address = libc.shmat(segment, None, 0)\n"
        "    ctypes.memset(address, 1, 64 * 1024 * 1024)\n"
        "def {ep}(*a, **k):\n    return None\n"),
}
# A control that needs real CPU (about 0.4 s here): starved beside a hostile sandbox with one
# scheduler share per process, it would take ~30 times as long and meet the time limit.
WORK = {"task_id": "neighbour/work", "entry_point": "work",
        "instruction": "Write `work(n)`: the sum of i*i % 7 for i below n.",
        "solution": "def work(n):\n    return sum(i * i % 7 for i in range(n))\n",
        "tests": ["assert work(10) == 19", "assert work(1_500_000) == 2999999", "assert work(3_000_001) == 6000001",
                  "assert work(1_500_001) == 3000003"]}
TIMEOUT_S = 8.0  # hostile samples hold their sandbox this long; a control needs a fraction of it
RUNS = 2
WORK_CONTROLS = 3


def test_canonical_solutions_pass_beside_hostile_samples(tmp_path):
    with Sandbox() as sandbox:
        if "per-sandbox-cgroup" not in sandbox.isolation:  # docs/sandbox.md, known limits
            pytest.skip(f"no per-sandbox control groups here (no writable cgroup hierarchy with a cpu "
                        f"controller): {sandbox.isolation}")
    path = tmp_path / "work.jsonl"
    path.write_text(json.dumps(WORK) + "\n")
    problems = load_benchmark("humaneval", limit=4) + load_benchmark("problems", path)
    others = [HOSTILE[name] for name in HOSTILE if name != "sessions-spinning"] + list(CHEATS.values())
    spinner = HOSTILE["sessions-spinning"]
    samples: list[dict] = []
    for p in problems:
        # [spinner, control, other hostile]: with 2 workers each control starts while the
        # spinner just before it runs on the other worker.
        for copy in range(WORK_CONTROLS if p.entry_point == "work" else 1):
            index = 10 * copy
            samples.append({"task_id": p.task_id, "index": index, "solution": spinner.replace("{ep}", p.entry_point)})
            samples.append({"task_id": p.task_id, "index": index + 1, "solution": p.reference, "control": True})
            other = others[len(samples) % len(others)]
            samples.append({"task_id": p.task_id, "index": index + 2, "solution": other.replace("{ep}", p.entry_point)})
    for _ in range(RUNS):
        results = score_samples(problems, samples, timeout_s=TIMEOUT_S, workers=2)
        controls = [(s["task_id"], r.status, r.detail, r.duration_s) for s, r in zip(samples, results) if s.get("control")]
        assert all(status == "passed" for _, status, _, _ in controls), [c for c in controls if c[1] != "passed"]
        assert not any(r.passed for s, r in zip(samples, results) if not s.get("control"))


HOARDERS = r'''
import os, time
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        hoard = bytearray(200 * 1024 * 1024)
        for i in range(0, len(hoard), 4096):
            hoard[i] = 1
        time.sleep(3)
        os._exit(0)
    children.append(pid)
ends = [os.waitpid(child, 0)[1] for child in children]
print(sum(os.WIFSIGNALED(status) for status in ends))
'''


def test_memory_is_capped_for_the_sandbox_as_a_whole():
    """Six processes of 200 MB each fit the per-process limit (256 MB of address space) but not
    the sandbox's total (2 x 256 + 2 x 64 MB): the out-of-memory killer acts inside the sandbox,
    which ends normally, instead of on whatever else runs on the machine."""
    from rcwork.sandbox import Limits, run_program

    with Sandbox() as sandbox:
        if "per-sandbox-cgroup" not in sandbox.isolation:
            pytest.skip(f"no per-sandbox control groups here: {sandbox.isolation}")
        result = run_program(HOARDERS, sandbox=sandbox, limits=Limits(timeout_s=120, memory_mb=256, workdir_mb=64))
    assert result.status == "passed", (result.status, result.stderr[-500:])
    assert 1 <= int(result.stdout) <= 6, result.stdout
