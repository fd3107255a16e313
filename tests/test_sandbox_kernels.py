"""The synthesis executor: sandboxed IPython kernels, their cell text, restarts and the pool."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from rcwork.sandbox import TRUNCATION_MARKER, KernelPool, KernelSession, Limits, Sandbox

# Starts real Jupyter kernels (about a second each, more on a busy box).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def session(sandbox: Sandbox) -> Iterator[KernelSession]:
    with KernelSession(Limits(timeout_s=20), sandbox=sandbox, interrupt_grace_s=5) as s:
        yield s


def test_state_persists_across_cells(session: KernelSession) -> None:
    assert session.execute("counter = 41").text == ""
    result = session.execute("counter += 1\ncounter")
    assert (result.status, result.text) == ("ok", "42\n")


def test_text_shows_prints_then_the_result(session: KernelSession) -> None:
    result = session.execute("for i in range(3):\n    print('line', i)\n{'a': 1}")
    assert result.text == "line 0\nline 1\nline 2\n{'a': 1}\n"
    assert session.execute("import sys; print('oops', file=sys.stderr)").text == "oops\n"


def test_exception_text_is_the_ipython_traceback_without_ansi(session: KernelSession) -> None:
    result = session.execute("def inverse(x):\n    return 1 / x\ninverse(0)")
    assert result.status == "error"
    assert "\x1b" not in result.text
    assert "ZeroDivisionError                         Traceback (most recent call last)" in result.text
    assert "----> 3 inverse(0)" in result.text
    assert result.text.rstrip().endswith("ZeroDivisionError: division by zero")


def test_display_and_clear_output_as_a_notebook_shows_them(session: KernelSession) -> None:
    source = ("from IPython.display import display, clear_output\n"
              "display('gone')\nclear_output()\ndisplay('kept')\nprint('printed')")
    assert session.execute(source).text == "'kept'\nprinted\n"


def test_long_output_is_truncated_with_a_marker(sandbox: Sandbox) -> None:
    with KernelSession(Limits(max_output_bytes=1000), sandbox=sandbox) as s:
        result = s.execute("for i in range(50_000):\n    print('row', i)")
        assert result.status == "ok"
        assert TRUNCATION_MARKER in result.text
        assert result.text.startswith("row 0\nrow 1\n")
        assert len(result.text) <= 1000 + len(TRUNCATION_MARKER)
        # The cap is per cell: the next cell is whole again.
        assert s.execute("print('short')").text == "short\n"


def test_timeout_interrupts_and_keeps_the_kernel(session: KernelSession) -> None:
    session.execute("survivor = 'still here'")
    result = session.execute("import time\ntime.sleep(60)", timeout_s=2)
    assert result.status == "timeout"
    assert "KeyboardInterrupt" in result.text
    assert result.duration_s < 2 + 20
    assert session.execute("survivor").text == "'still here'\n"


def test_a_dead_kernel_is_replaced_for_the_next_cell(sandbox: Sandbox) -> None:
    with KernelSession(sandbox=sandbox) as s:
        s.execute("doomed = 1")
        assert s.execute("import os\nos._exit(3)").status == "dead"
        after = s.execute("'doomed' in dir()")
        assert (after.status, after.text) == ("ok", "False\n")


def test_same_cells_give_the_same_text(sandbox: Sandbox) -> None:
    cells = [
        "words = {'pear', 'apple', 'fig', 'kiwi', 'plum'}\nprint(words)",  # hash order: seeded
        "import os\nos.getcwd(), os.environ['HOME'], os.getpid()",
        "def f(x):\n    return x['missing']\nf({})",
        "sorted(os.listdir('.'))",
    ]
    runs = []
    for _ in range(2):
        with KernelSession(sandbox=sandbox) as s:
            runs.append([(r.status, r.text) for r in map(s.execute, cells)])
    assert runs[0] == runs[1]
    assert runs[0][1] == ("ok", "('/tmp', '/tmp', 2)\n")
    assert "KeyError: 'missing'" in runs[0][2][1]


def test_close_leaves_no_process_and_no_files() -> None:
    before = set(os.listdir("/var/tmp"))
    with Sandbox() as own:  # nothing else runs in it
        s = KernelSession(sandbox=own)
        s.execute("import subprocess\nchild = subprocess.Popen(['sleep', '600'])")
        assert len(_children_of(own.pid)) == 1  # the kernel's pid-1 process
        s.close()
        assert _children_of(own.pid) == set()
    assert set(os.listdir("/var/tmp")) <= before  # its sockets lived inside the sandbox


def test_pool_hands_out_fresh_kernels(sandbox: Sandbox) -> None:
    with KernelPool(size=1, sandbox=sandbox) as pool:
        with pool.session() as first:
            first.execute("secret = 'from the first user'")
            first_uid = first.execute("import os; os.getuid()").text
        for _ in range(2):
            with pool.session() as later:
                assert later.execute("'secret' in dir()").text == "False\n"
                assert later.execute("import os; os.getuid()").text != first_uid


def _children_of(pid: int | None) -> set[int]:
    """Live processes whose parent is ``pid``."""
    found = set()
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in "ZX" and int(fields[1]) == pid:
            found.add(int(name))
    return found
