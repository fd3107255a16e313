"""The scoring executor: verdicts, captured output, fidelity to ``python -I``, batches, fallback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from rcwork.sandbox import TRUNCATION_MARKER, Limits, Sandbox, SandboxError, run_program, run_programs
from rcwork.sandbox.sandbox import _usable_by_others

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def test_full_isolation_is_in_force_here(sandbox: Sandbox) -> None:
    # This project's machines run as root with util-linux: everything must be on.
    for feature in ("pid-namespace", "network-namespace", "ipc-namespace", "minimal-root",
                    "read-only-filesystem", "private-tmp", "hidden-home", "no-user-namespaces",
                    "private-uid", "rlimits", "scrubbed-env"):
        assert feature in sandbox.isolation


def test_passed_captures_stdout(sandbox: Sandbox) -> None:
    result = run_program("print('hello'); print(6 * 7)", sandbox=sandbox)
    assert (result.status, result.returncode, result.stdout, result.stderr) == ("passed", 0, "hello\n42\n", "")
    assert result.passed


@pytest.mark.parametrize("source", [
    "assert 1 == 2",
    "assert sorted([2, 1]) == [2, 1], 'not sorted'",
    "def check(f):\n    assert f(2) == 5\ncheck(lambda x: x * 2)",
    "import unittest\nunittest.TestCase().assertEqual(1, 2)",
])
def test_failed_means_an_assertion_error(sandbox: Sandbox, source: str) -> None:
    result = run_program(source, sandbox=sandbox)
    assert result.status == "failed", result.stderr
    assert result.returncode == 1
    assert "AssertionError" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(("source", "code", "last_line"), [
    ("1 / 0", 1, "ZeroDivisionError: division by zero"),
    ("def f(:\n    pass", 1, "SyntaxError: invalid syntax"),
    ("import sys; sys.exit(3)", 3, None),
    ("import sys; sys.exit('bye')", 1, "bye"),
    ("raise ValueError('AssertionError is only in the message')", 1, "ValueError: AssertionError is only in the message"),
])
def test_error_means_another_exception_or_exit_code(sandbox: Sandbox, source: str, code: int,
                                                    last_line: str | None) -> None:
    result = run_program(source, sandbox=sandbox)
    assert (result.status, result.returncode) == ("error", code)
    if last_line is not None:
        assert result.stderr.strip().splitlines()[-1] == last_line


def test_exit_zero_passes(sandbox: Sandbox) -> None:
    assert run_program("import sys; print('x'); sys.exit(0)", sandbox=sandbox).status == "passed"


def test_killed_by_a_signal(sandbox: Sandbox) -> None:
    result = run_program("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", sandbox=sandbox)
    assert (result.status, result.returncode) == ("killed", -15)


def test_stderr_and_tracebacks_name_the_program_file(sandbox: Sandbox) -> None:
    result = run_program("import sys\nprint('warn', file=sys.stderr)\nx = [][1]", sandbox=sandbox)
    assert result.stderr.startswith("warn\nTraceback (most recent call last):\n")
    assert '  File "/tmp/main.py", line 3, in <module>\n    x = [][1]\n' in result.stderr


def test_stdin_is_given_or_end_of_file(sandbox: Sandbox) -> None:
    echo = "import sys\nprint(repr(sys.stdin.read()))"
    assert run_program(echo, stdin="a\nb\n", sandbox=sandbox).stdout == "'a\\nb\\n'\n"
    assert run_program(echo, sandbox=sandbox).stdout == "''\n"


def test_output_over_the_cap_keeps_head_and_tail(sandbox: Sandbox) -> None:
    source = "for i in range(100_000):\n    print('line', i)\nraise SystemExit('the end')"
    result = run_program(source, limits=Limits(max_output_bytes=2000), sandbox=sandbox)
    assert result.status == "error"
    assert TRUNCATION_MARKER in result.stdout
    assert result.stdout.startswith("line 0\nline 1\n") and result.stdout.endswith("line 99999\n")
    assert len(result.stdout) <= 2000 + len(TRUNCATION_MARKER)
    assert result.stderr == "the end\n"


# Things a script can observe about how it was started; run both ways and compared.
_INTROSPECT = """
import os, sys
def depth(n=1):
    try:
        return depth(n + 1)
    except RecursionError:
        return n
print(__name__, sys.argv == [__file__], sys.flags.isolated, sys.flags.no_user_site)
print(os.path.basename(__file__), sys.path == [p for p in sys.path if p])
print(depth())
"""


def test_programs_see_what_python_dash_I_would_show(sandbox: Sandbox, tmp_path) -> None:
    script = tmp_path / "main.py"
    script.write_text(_INTROSPECT)
    native = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, check=True)
    assert run_program(_INTROSPECT, sandbox=sandbox).stdout == native.stdout


def test_threads_are_joined_and_atexit_runs_as_at_interpreter_exit(sandbox: Sandbox) -> None:
    source = (
        "import atexit, threading, time\n"
        "atexit.register(print, 'atexit')\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread'))).start()\n"
        "print('main')"
    )
    assert run_program(source, sandbox=sandbox).stdout == "main\nthread\natexit\n"


def _python_under_tmp() -> list[str]:
    """Top folders of a Python installation under /tmp (a clone there, as CI may make): the
    sandbox binds it back, read-only, into its private /tmp."""
    from rcwork.sandbox._zygote import _python_prefixes

    return sorted({p.split("/")[2] for p in _python_prefixes() if p.startswith("/tmp/")})


def test_each_program_gets_a_fresh_private_workdir(sandbox: Sandbox) -> None:
    write = "import os\nopen('left-behind', 'w').write('x')\nprint(os.getcwd(), sorted(os.listdir('.')))"
    first = sorted(["left-behind", "main.py", *_python_under_tmp()])
    assert run_program(write, sandbox=sandbox).stdout == f"/tmp {first}\n"
    again = sorted(["main.py", *_python_under_tmp()])
    assert run_program("import os; print(sorted(os.listdir('.')))", sandbox=sandbox).stdout == f"{again}\n"


def test_memory_limit_raises_memory_error(sandbox: Sandbox) -> None:
    result = run_program("x = bytearray(300 << 20)", limits=Limits(memory_mb=200), sandbox=sandbox)
    assert result.status == "error" and result.stderr.strip().endswith("MemoryError")
    assert run_program("x = bytearray(100 << 20)", limits=Limits(memory_mb=400), sandbox=sandbox).passed


def test_file_size_limit(sandbox: Sandbox) -> None:
    source = "open('big', 'wb').write(b'x' * (3 << 20))"
    result = run_program(source, limits=Limits(max_file_mb=1), sandbox=sandbox)
    assert result.status == "error" and "File too large" in result.stderr


def test_cpu_limit_kills_a_busy_program(sandbox: Sandbox) -> None:
    result = run_program("while True:\n    pass", limits=Limits(timeout_s=60, cpu_s=1), sandbox=sandbox)
    assert result.status == "killed" and result.returncode in (-9, -24)  # SIGKILL or SIGXCPU
    assert result.duration_s < 60


def test_shared_dirs_of_killed_workbenches_are_swept(sandbox: Sandbox) -> None:
    unused_uid = sandbox.new_uid()
    orphan, young, foreign = (sandbox.shared_dir(unused_uid) for _ in range(3))
    os.chown(foreign, 0, 0)
    for path in (orphan, foreign):
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    try:
        Sandbox().close()  # sweeps at start
        assert not os.path.exists(orphan)
        assert os.path.exists(young) and os.path.exists(foreign)
    finally:
        for path in (orphan, young, foreign):
            shutil.rmtree(path, ignore_errors=True)


def test_limits_and_shorthands_do_not_mix(sandbox: Sandbox) -> None:
    with pytest.raises(TypeError):
        run_program("pass", timeout_s=3, limits=Limits(), sandbox=sandbox)


def test_run_programs_keeps_order_and_runs_in_parallel(sandbox: Sandbox) -> None:
    source = "import time\nstart = time.time()\ntime.sleep(1.0)\nprint({i}, start, time.time())"
    results = run_programs([source.format(i=i) for i in range(4)], workers=2, sandbox=sandbox)
    spans = []
    for i, result in enumerate(results):
        index, start, end = result.stdout.split()
        assert result.passed and int(index) == i
        spans.append((float(start), float(end)))
    # Two workers: some two programs ran at the same time.
    assert any(a[0] < b[1] and b[0] < a[1] for k, a in enumerate(spans) for b in spans[k + 1:])


_ROOT = os.geteuid() == 0
# Whether another uid could run this interpreter (not here: pyenv lives in /root, mode 0700).
_UID_USABLE = _usable_by_others(sys.executable)
# The scoring side is standard-library only: a fallback workbench can run under a system Python.
_FALLBACK_PYTHON = next((p for p in (sys.executable, "/usr/bin/python3")
                         if os.path.exists(p) and _usable_by_others(p)), None)
_DAEMON = (
    "import os, sys, time\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
    "    os._exit(0)\n"
    "time.sleep(1)\n"
)
_FALLBACK_WORKBENCH = """
import json, os, sys, warnings
sys.path.insert(0, {repo!r})
from rcwork.sandbox import Sandbox, run_program
warnings.simplefilter("ignore")
with Sandbox(namespaces=False) as sandbox:
    who = run_program("import os; print(os.getuid(), os.getcwd())", sandbox=sandbox)
    uid, workdir = who.stdout.split()
    report = dict(
        isolation=list(sandbox.isolation),
        uid=int(uid),
        workdir_left=os.path.exists(workdir),
        loop=run_program("while True: pass", timeout_s=1, sandbox=sandbox).status,
        daemon=run_program({daemon!r}, sandbox=sandbox).status,
    )
print(json.dumps(report))
"""


@pytest.mark.skipif(_FALLBACK_PYTHON is None, reason="no Python that an unprivileged uid can run")
def test_fallback_without_namespaces_still_isolates_by_uid() -> None:
    marker = f"rcwork-fallback-daemon-{os.getpid()}"
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = _FALLBACK_WORKBENCH.format(repo=repo, daemon=_DAEMON.format(marker=marker))
    done = subprocess.run([_FALLBACK_PYTHON, "-I", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    expected = ["private-uid", "rlimits", "scrubbed-env"] if _ROOT else ["rlimits", "scrubbed-env"]
    assert report["isolation"] == expected
    assert (report["uid"] != 0) == _ROOT
    assert not report["workdir_left"]
    assert (report["loop"], report["daemon"]) == ("timeout", "passed")
    leftovers = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    assert leftovers == "", "the daemon outlived its program"


@pytest.mark.skipif(not _ROOT or _UID_USABLE, reason="only root with an interpreter private to root refuses")
@pytest.mark.parametrize("force", ["namespaces=False", "no unshare"])
def test_root_without_namespaces_refuses_rather_than_run_code_as_root(
        force: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if force == "no unshare":
        monkeypatch.setattr("rcwork.sandbox.sandbox.shutil.which", lambda name: None)
    with pytest.raises(SandboxError, match="refusing to run untrusted code as root"):
        Sandbox(namespaces=force != "namespaces=False")
