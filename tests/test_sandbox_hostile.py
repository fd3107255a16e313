"""Hostile programs, each run through BOTH executors (a scoring program and a kernel cell).

After every case: the workbench and the sandbox server are alive, the status says what happened,
the call returned within its limit plus a generous margin (a shared 2-core box), files outside the
work dir are unchanged and no new ones appeared, and no process of the sandbox is left (a kernel
keeps exactly its own kernel process). A kernel must then still run cells.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from rcwork.sandbox import TRUNCATION_MARKER, KernelSession, Limits, Sandbox, run_program

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TIMEOUT_S = 3.0
INTERRUPT_GRACE_S = 3.0
MARGIN_S = 25.0
LIMITS = Limits(timeout_s=TIMEOUT_S)


@dataclass
class Outcome:
    status: str
    text: str
    wall_s: float
    limit_s: float = TIMEOUT_S


class ProgramExecutor:
    name = "program"
    ok = "passed"

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def run(self, code: str, timeout_s: float = TIMEOUT_S) -> Outcome:
        start = time.monotonic()
        result = run_program(code, limits=replace(LIMITS, timeout_s=timeout_s),
                             sandbox=self.sandbox)
        return Outcome(result.status, result.stdout + result.stderr, time.monotonic() - start,
                       timeout_s)

    def allowed_processes(self) -> set[int]:
        return set()  # a finished program leaves nothing

    def close(self) -> None:
        pass


class KernelExecutor:
    name = "kernel"
    ok = "ok"

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = KernelSession(LIMITS, sandbox=sandbox, interrupt_grace_s=INTERRUPT_GRACE_S)

    def run(self, code: str, timeout_s: float = TIMEOUT_S) -> Outcome:
        start = time.monotonic()
        result = self.session.execute(code, timeout_s=timeout_s)
        return Outcome(result.status, result.text, time.monotonic() - start, timeout_s)

    def allowed_processes(self) -> set[int]:
        """The live kernel and its pid-1 parent, found by the kernel's private uid (white-box)."""
        kernel = self.session._kernel
        if kernel is None:
            return set()
        mine = {pid for pid in _tree(self.sandbox.pid) if _uid(pid) == kernel.uid}
        assert len(mine) == 1, "the kernel's uid runs exactly one process: the kernel"
        return mine | {_ppid(pid) for pid in mine}

    def close(self) -> None:
        self.session.close()


def _isolated_sandbox() -> Sandbox:
    """A sandbox with everything in force, or no hostile code runs at all: without a pid namespace
    and a private uid, ``os.kill(-1, 9)`` or a fork bomb would hit the whole machine."""
    sandbox = Sandbox()
    if not {"pid-namespace", "private-uid", "read-only-filesystem"} <= set(sandbox.isolation):
        sandbox.close()
        pytest.fail(f"refusing to run hostile code with only {sandbox.isolation}")
    return sandbox


@pytest.fixture(scope="module")
def executors() -> Iterator[dict]:
    """One sandbox per executor, so that each sandbox's process tree is the executor's alone."""
    with _isolated_sandbox() as for_programs, _isolated_sandbox() as for_kernels:
        made = {"program": ProgramExecutor(for_programs), "kernel": KernelExecutor(for_kernels)}
        yield made
        for executor in made.values():
            executor.close()


@pytest.fixture(params=["program", "kernel"])
def executor(request: pytest.FixtureRequest, executors: dict) -> ProgramExecutor | KernelExecutor:
    return executors[request.param]


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[list[Path]]:
    """Sentinel files outside the work dir: one where the sandbox can see it (read-only), one in
    the host's /tmp (hidden behind the sandbox's private /tmp). Checked unchanged afterwards."""
    visible = Path(tempfile.mkdtemp(prefix="rcwork-sentinel-", dir="/var/tmp"))
    dirs = [visible, tmp_path]
    for directory in dirs:
        directory.chmod(0o755)
        (directory / "sentinel.txt").write_text("precious")
        (directory / "sentinel.txt").chmod(0o644)
    before = {d: (sorted(os.listdir(d)), (d / "sentinel.txt").stat().st_mtime_ns) for d in dirs}
    try:
        yield dirs
        after = {d: (sorted(os.listdir(d)), (d / "sentinel.txt").stat().st_mtime_ns) for d in dirs}
        assert after == before
        assert all((d / "sentinel.txt").read_text() == "precious" for d in dirs)
    finally:
        shutil.rmtree(visible)


def _check_aftermath(executor: ProgramExecutor | KernelExecutor, outcome: Outcome, outside: list[Path]) -> None:
    sandbox = executor.sandbox
    assert outcome.wall_s < outcome.limit_s + INTERRUPT_GRACE_S + MARGIN_S
    assert sandbox._proc is not None and sandbox._proc.poll() is None, "the sandbox server died"
    assert _tree(sandbox.pid) <= executor.allowed_processes(), "a process of the sandbox survived"
    if isinstance(executor, KernelExecutor):
        assert executor.run("6 * 7").text == "42\n", "the session is no longer usable"


@dataclass(frozen=True)
class Case:
    code: str
    program: frozenset[str]
    kernel: frozenset[str]
    timeout_s: float = TIMEOUT_S


def _case(code: str, program: set[str], kernel: set[str], timeout_s: float = TIMEOUT_S) -> Case:
    return Case(code, frozenset(program), frozenset(kernel), timeout_s)


CASES = {
    "infinite_loop": _case("while True:\n    pass", {"timeout"}, {"timeout"}),
    "ignores_interrupts": _case(
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass",
        {"timeout"}, {"timeout"}),
    "fork_bomb": _case(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        {"timeout"}, {"timeout", "error"}),
    # The memory cap, not the clock, must stop it: a loaded machine can take seconds to fill
    # 1 GiB, so the wall-clock limit is set far above that.
    "memory_bomb": _case("hoard = []\nwhile True:\n    hoard.append(bytearray(10 ** 7))",
                         {"error", "killed"}, {"error", "dead"}, timeout_s=30.0),
    "deep_recursion": _case(
        "import sys\nsys.setrecursionlimit(10 ** 5)\ndef down(n):\n    return down(n + 1)\ndown(0)",
        {"error", "killed"}, {"error", "dead", "timeout"}),
    "segfault": _case("import ctypes\nctypes.string_at(0)", {"killed"}, {"dead"}),
    "kill_own_group": _case("import os\nos.killpg(os.getpgid(0), 9)", {"killed"}, {"dead"}),
    # kill(-1) spares the caller and pid 1: nothing else is visible to it, so nothing to kill.
    "kill_everything_it_can": _case("import os\nos.kill(-1, 9)", {"error"}, {"error"}),
    "print_gigabytes": _case("import sys\nchunk = 'x' * (1 << 20)\nwhile True:\n    sys.stdout.write(chunk)",
                             {"timeout"}, {"timeout"}),
    "input": _case("input()", {"error"}, {"error"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile(name: str, executor: ProgramExecutor | KernelExecutor,
                 outside: list[Path]) -> None:
    case = CASES[name]
    outcome = executor.run(case.code, case.timeout_s)
    assert outcome.status in getattr(case, executor.name), outcome.text[-2000:]
    if name == "memory_bomb" and outcome.status == "error":
        assert "MemoryError" in outcome.text
    if name == "kill_everything_it_can":
        assert "ProcessLookupError" in outcome.text
    if name == "print_gigabytes":
        assert TRUNCATION_MARKER in outcome.text
        assert len(outcome.text) <= 2 * (LIMITS.max_output_bytes + len(TRUNCATION_MARKER))
    _check_aftermath(executor, outcome, outside)


def test_kill_the_parent_and_the_workbench(executor: ProgramExecutor | KernelExecutor,
        outside: list[Path]) -> None:
    code = f"""
import os
for target in (os.getppid(), {os.getpid()}, {os.getppid()}, {executor.sandbox.pid}, 1):
    try:
        os.kill(target, 9)
        print("KILLED", target)
    except OSError as err:
        print("refused", type(err).__name__)
print("alive")
"""
    outcome = executor.run(code)
    assert outcome.status == executor.ok, outcome.text
    assert "KILLED" not in outcome.text and "alive" in outcome.text
    _check_aftermath(executor, outcome, outside)


def test_files_outside_the_work_dir_survive(executor: ProgramExecutor | KernelExecutor,
        outside: list[Path]) -> None:
    marker = uuid.uuid4().hex
    escapes = [os.path.join(d, f"escape-{marker}") for d in
               (*map(str, outside), "/var/tmp", "/work", os.getcwd(), "/etc", "/root", "/dev/shm")]
    code = f"""
import os, shutil
for directory in {[str(d) for d in outside]!r}:
    path = os.path.join(directory, "sentinel.txt")
    try:
        print("read", open(path).read())
    except OSError as err:
        print("unreadable", type(err).__name__)
    for attempt in (lambda: os.remove(path), lambda: open(path, "w").write("overwritten"),
                    lambda: os.chmod(path, 0o777), lambda: shutil.rmtree(directory)):
        try:
            attempt()
            print("ESCAPED")
        except OSError as err:
            print("refused", type(err).__name__)
for path in {escapes!r}:
    try:
        open(path, "w").write("escaped")
        print("made", path)
    except OSError as err:
        print("refused", type(err).__name__)
"""
    outcome = executor.run(code)
    assert outcome.status == executor.ok, outcome.text
    # Host directories are not even visible: the sandbox's root holds only what a program needs.
    assert outcome.text.count("unreadable FileNotFoundError") == len(outside), outcome.text
    assert "ESCAPED" not in outcome.text
    assert not [path for path in escapes if os.path.exists(path)]
    _check_aftermath(executor, outcome, outside)


def test_no_socket_reaches_a_loopback_server(executor: ProgramExecutor | KernelExecutor,
        outside: list[Path]) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[tuple] = []
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[1])
            except socket.timeout:
                continue

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    code = f"""
import socket
for host in ("127.0.0.1", "localhost", "::1"):
    try:
        socket.create_connection((host, {port}), timeout=2)
        print("CONNECTED", host)
    except OSError as err:
        print("blocked", type(err).__name__)
"""
    try:
        outcome = executor.run(code)
        # Control: the server was listening all along, reachable from outside the sandbox.
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        deadline = time.monotonic() + 10
        while not accepted and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        acceptor.join()
        server.close()
    assert outcome.status == executor.ok, outcome.text
    assert "CONNECTED" not in outcome.text and outcome.text.count("blocked") == 3
    assert len(accepted) == 1, "only the control connection may arrive"
    _check_aftermath(executor, outcome, outside)


def test_stdin_reads_end_of_file(executor: ProgramExecutor | KernelExecutor,
        outside: list[Path]) -> None:
    outcome = executor.run("import sys\nprint('got', repr(sys.stdin.read()))")
    assert outcome.status == executor.ok and "got ''" in outcome.text
    _check_aftermath(executor, outcome, outside)


def test_daemons_do_not_outlive_the_call(executor: ProgramExecutor | KernelExecutor,
        outside: list[Path]) -> None:
    marker = f"rcwork-daemon-{uuid.uuid4().hex}"
    code = f"""
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", {marker!r}])
    os._exit(0)
def running():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if {marker!r} in open(f"/proc/{{pid}}/cmdline").read():
                return True
        except OSError:
            pass
deadline = time.time() + 20
while not running() and time.time() < deadline:
    time.sleep(0.05)
print("daemon up" if running() else "daemon never started")
"""
    outcome = executor.run(code)
    assert outcome.status == executor.ok and "daemon up" in outcome.text, outcome.text
    assert not _processes_with(marker)
    _check_aftermath(executor, outcome, outside)


@pytest.mark.parametrize("kind", ["program", "kernel"])
def test_secrets_in_the_environment_stay_out(kind: str, monkeypatch: pytest.MonkeyPatch,
                                             outside: list[Path]) -> None:
    secrets = {"FAKE_API_KEY": "fake-" + uuid.uuid4().hex, "OPENAI_API_KEY": "sk-" + uuid.uuid4().hex,
               "HF_TOKEN": "hf_" + uuid.uuid4().hex}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    code = f"""
import os
print(sorted(os.environ))
for path in ("/proc/self/environ", "/proc/1/environ", "/proc/{os.getpid()}/environ"):
    try:
        print(open(path, "rb").read())
    except OSError as err:
        print("unreadable", type(err).__name__)
"""
    with _isolated_sandbox() as fresh:  # server and sandbox both started with the secrets set
        executor = ProgramExecutor(fresh) if kind == "program" else KernelExecutor(fresh)
        try:
            outcome = executor.run(code)
            assert outcome.status == executor.ok, outcome.text
            assert "PATH" in outcome.text  # the environment was printed at all
            for key, value in secrets.items():
                assert key not in outcome.text and value not in outcome.text
            _check_aftermath(executor, outcome, outside)
        finally:
            executor.close()


# ---- process inspection -------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _ppid(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else -1


def _uid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(next(line for line in f if line.startswith("Uid:")).split()[1])
    except OSError:
        return -1


def _tree(root: int | None) -> set[int]:
    """Live (not zombie) descendants of ``root``."""
    children: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        fields = _stat(int(name))
        if fields and fields[0] not in "ZX":
            children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _processes_with(marker: str) -> list[int]:
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(name))
        except OSError:
            continue
    return found
