"""Nothing one sandbox makes reaches another: kernel objects that live outside the file system
(System V shared memory, semaphores and message queues, POSIX message queues, abstract Unix
sockets) are made in one sandbox and looked for from a sandbox running beside it and from one
started after it ended. And the attack this closes: samples of one run that pool what each
learned of the tests (a guess per call; "the tester called again" means the guess was right) in
SysV shared memory score 0, while the same samples learn their way to passes when they share one
IPC namespace (control).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from rcwork.evaluation import load_benchmark
from rcwork.evaluation.scoring import score_samples
from rcwork.sandbox import Limits, Sandbox, run_program

pytestmark = [pytest.mark.timeout(600)]

# Probes, standard library only; the key and names are fixed so that another sandbox could find
# them if it could see them. Modes are 0o666: absence is the namespace's doing, not permissions'.
_PROBES = r'''
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
KEY, NAME, QUEUE = 0x52435753, b"\0rcwork-cross-sample", b"/rcwork-cross-sample"

def make():
    assert libc.shmget(KEY, 4096, 0o1666) >= 0, ctypes.get_errno()
    assert libc.semget(KEY, 1, 0o1666) >= 0, ctypes.get_errno()
    assert libc.msgget(KEY, 0o1666) >= 0, ctypes.get_errno()
    libc.mq_open.restype = ctypes.c_int
    assert libc.mq_open(QUEUE, os.O_CREAT | os.O_RDWR, 0o666, None) >= 0, ctypes.get_errno()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(NAME)
    server.listen(8)
    return server

def look():
    seen = []
    for what, found in (("shm", libc.shmget(KEY, 0, 0) >= 0), ("sem", libc.semget(KEY, 0, 0) >= 0),
                        ("msg", libc.msgget(KEY, 0) >= 0), ("mqueue", libc.mq_open(QUEUE, os.O_RDONLY) >= 0)):
        if found:
            seen.append(what)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(NAME)
        seen.append("abstract-socket")
    except OSError:
        pass
    return seen
'''
MAKER = _PROBES + r'''
import sys
server = make()
print("ready", flush=True)
sys.stdin.readline()
pid = os.fork()  # control: the same probe finds everything from inside this sandbox
if pid == 0:
    print("inside", ",".join(look()), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
'''
LOOKER = _PROBES + 'print("seen", ",".join(look()))\n'
EVERYTHING = "shm,sem,msg,mqueue,abstract-socket"


def _read_line(fd: int, timeout_s: float) -> str:
    deadline, data = time.monotonic() + timeout_s, b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0 and select.select([fd], [], [], left)[0], f"no line in {timeout_s} s: {data!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"end of output before a line: {data!r}"
        data += chunk
    return data.decode().strip()


def test_kernel_objects_stay_in_the_sandbox_that_made_them():
    with Sandbox() as sandbox:
        assert "ipc-namespace" in sandbox.isolation and "network-namespace" in sandbox.isolation
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        job = sandbox.spawn(limits=Limits(timeout_s=120), cpu_s=120, stdin=stdin_r, stdout=out_w,
                            stderr=err_w, source=MAKER.encode())
        try:
            assert _read_line(out_r, 120) == "ready"
            beside = run_program(LOOKER, sandbox=sandbox, timeout_s=60)
            assert beside.status == "passed", beside.stderr
            assert beside.stdout.strip() == "seen", "visible from a sandbox beside it"
            os.write(stdin_w, b"go\n")
            assert _read_line(out_r, 120) == f"inside {EVERYTHING}", os.read(err_r, 65536)
            job.wait(120)
        finally:
            job.kill()
            job.close()
            for fd in (stdin_w, out_r, err_r):
                os.close(fd)
        after = run_program(LOOKER, sandbox=sandbox, timeout_s=60)
        assert after.status == "passed", after.stderr
        assert after.stdout.strip() == "seen", "outlived the sandbox that made it"


# A HumanEval/0 "solution" that computes nothing: it guesses True for each call it has no
# knowledge of, and learns from the next call whether the last guess was right. What it knows
# lives in a SysV segment: 0 unknown, 1 guessed True (unconfirmed), 2 True, 3 False.
LEARNER = textwrap.dedent(r'''
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.shmat.restype = ctypes.c_void_p
    _id = _libc.shmget(0x52435754, 64, 0o1666)
    _memory = (ctypes.c_ubyte * 64).from_address(_libc.shmat(_id, None, 0))
    _calls = [0]

    def has_close_elements(numbers, threshold):
        i = _calls[0]
        _calls[0] += 1
        if i and _memory[i - 1] == 1:
            _memory[i - 1] = 2  # called again: the guess was right
        if _memory[i] == 1:
            _memory[i] = 3  # a guess nobody confirmed: it was wrong
        if _memory[i] == 0:
            _memory[i] = 1
        return _memory[i] != 3
''')
# (A learner keeping its table in an abstract socket's keeper process is no variant here: the
# keeper dies with its sandbox's pid namespace; abstract sockets between sandboxes running side
# by side are covered by test_kernel_objects_stay_in_the_sandbox_that_made_them.)
LEARNERS = {"sysv-shared-memory": (LEARNER, ["--ipc"])}
N_SAMPLES = 8


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_samples_cannot_pool_what_they_learn_of_the_tests(name):
    problems = load_benchmark("humaneval", task_ids=["HumanEval/0"])
    samples = [{"task_id": "HumanEval/0", "index": i, "solution": LEARNERS[name][0]} for i in range(N_SAMPLES)]
    results = score_samples(problems, samples, timeout_s=30.0, workers=2)
    assert [r.status for r in results] == ["failed"] * N_SAMPLES, [(r.status, r.detail) for r in results]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_control_the_learner_learns_when_samples_share_a_namespace(name):
    """The same samples, one after another in one process tree sharing a private IPC (or
    network) namespace made for this test and gone after it, tests and solution in one process:
    they learn."""
    source, namespace = LEARNERS[name]
    problem = load_benchmark("humaneval", task_ids=["HumanEval/0"])[0]
    program = problem.test_program(source)
    driver = textwrap.dedent(f'''
        import subprocess, sys
        passed = [subprocess.run([sys.executable, "-c", {program!r}]).returncode == 0 for _ in range({N_SAMPLES})]
        print(sum(passed))
    ''')
    proc = subprocess.run(["unshare", *namespace, "--", sys.executable, "-c", driver], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 1, proc.stdout
