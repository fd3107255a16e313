"""One control group per sandbox: its CPU share, process count and memory are its own.

Standard library only: loaded by path inside the sandbox server (see ``_zygote.py``).

Why: rlimits are per process (RLIMIT_AS) or per user (RLIMIT_NPROC), and the scheduler shares
CPU between *sessions* (autogroups), not between sandboxes. A sandbox whose processes each call
``setsid()`` got one share per process: measured on a 2-core box, 60 such spinners made a
neighbour's 0.2 s of CPU take 5.3-6.6 s of wall clock instead of 0.3-0.5 s, so a canonical
solution scored beside a hostile sample timed out. In a control group of its own (cgroup v1's
``cpu`` hierarchy, or v2's ``cpu`` controller) a sandbox weighs as much as one process however
many sessions it makes (autogroups apply only to the root group); ``pids.max`` caps its
processes and threads together, whatever uid they run as; the memory limit caps all its
processes and its tmpfs pages together, so an out-of-memory kill stays inside the sandbox that
caused it instead of taking a neighbour's tester (or another job on the box).

The server creates ``rcwork-sbx-<server pid>-<n>`` next to its own group in each hierarchy
before forking a sandbox (or reuses the empty groups of a finished one, with its limits written
again); the sandbox's pid 1 moves itself in (v1: ``tasks`` ← 0, see :func:`join`; v2:
``cgroup.procs`` ← 0) before it forks anything; the groups are free again once the server has
reaped that pid 1 (nothing of the sandbox runs any more), and removed when the server ends (or,
if it was killed, by the next server). Where control groups are missing or not writable,
:func:`probe` says so and sandboxes run without them (rlimits still apply).
"""

from __future__ import annotations

import os

_PREFIX = "rcwork-sbx-"
_CONTROLLERS = ("cpu", "pids", "memory")


class Groups:
    """Where per-sandbox groups are made: ``(directory, version, controllers)`` per hierarchy."""

    def __init__(self, places: list[tuple[str, int, tuple[str, ...]]], mounts: list[str]) -> None:
        self.places = places
        self.mounts = mounts  # the cgroup file systems holding them: the server keeps these writable
        self.count = 0
        # Empty groups of finished sandboxes, reused: making and removing a memory group costs
        # the server 1-3 ms per sandbox on a busy box, more than the rest of a sandbox's setup.
        self.idle: list[list[str]] = []
        self.written: dict[tuple[str, ...], tuple[int, int]] = {}  # limits each set last got

    def create(self, *, pids: int, memory_bytes: int) -> list[str]:
        """Directories of a new sandbox's groups (fresh, or an idle set: nothing runs in it),
        with its limits written; [] if that failed."""
        made: list[str] = []
        reused = self.idle.pop() if self.idle else None
        try:
            if reused is None:
                self.count += 1
                name = f"{_PREFIX}{os.getpid()}-{self.count}"
                for parent, _, _ in self.places:
                    path = os.path.join(parent, name)
                    os.mkdir(path)
                    made.append(path)
            else:
                made = reused
                if self.written.get(tuple(made)) == (pids, memory_bytes):
                    return made
            for path, (_, version, controllers) in zip(made, self.places):
                if "pids" in controllers:
                    _write(path, "pids.max", str(pids))
                if "memory" in controllers:
                    _write(path, "memory.limit_in_bytes" if version == 1 else "memory.max", str(memory_bytes))
                    if version == 2:
                        _write(path, "memory.swap.max", "0", optional=True)
        except OSError:
            remove(made)
            self.written.pop(tuple(made), None)
            return []
        self.written[tuple(made)] = (pids, memory_bytes)
        return made

    def release(self, paths: list[str]) -> None:
        """A finished sandbox's groups (empty: its pid 1 is reaped) go back to the idle set."""
        if paths:
            self.idle.append(paths)

    def close(self) -> None:
        """Remove the idle groups (the server is ending)."""
        while self.idle:
            remove(self.idle.pop())
        self.written.clear()


def join(paths: list[str]) -> None:
    """Move the calling process into ``paths``: call it with a single thread (a sandbox's pid 1,
    freshly forked from the single-threaded server) and before it forks anything.

    In a v1 hierarchy by writing 0 to ``tasks``, which moves the calling thread: with one thread
    that is the whole process, and everything it forks afterwards starts in its groups. Moving
    the thread that writes lets the kernel skip write-locking its global threadgroup semaphore,
    which ``cgroup.procs`` takes and which waits for an RCU grace period unless another migration
    happened a few milliseconds before: measured on the 2-core box, a median of 6-8 ms of wall
    clock per sandbox through ``cgroup.procs`` (a quarter of a sample's time), 0.25-0.4 ms
    through ``tasks``. v2 has no such file for domain groups: ``cgroup.procs`` there.
    """
    for path in paths:
        if not _write(path, "tasks", "0", optional=True):
            _write(path, "cgroup.procs", "0")


def remove(paths: list[str]) -> None:
    """Remove a finished sandbox's groups (empty once its pid 1 is reaped)."""
    for path in reversed(paths):
        try:
            os.rmdir(path)
        except OSError:
            pass  # still draining (a v1 memory group being offlined): cleaned at next start


def _write(directory: str, name: str, value: str, *, optional: bool = False) -> bool:
    """Write ``value`` to the control file ``name``; False if it is missing and ``optional``."""
    try:
        fd = os.open(os.path.join(directory, name), os.O_WRONLY)
    except FileNotFoundError:
        if optional:
            return False
        raise
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)
    return True


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, super options) of cgroup file systems."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
                found.append((fields[4], rest[0], set(rest[2].split(","))))
    return found


def _own_groups() -> tuple[dict[str, str], str | None]:
    """The calling process's group per v1 controller, and its v2 group."""
    v1: dict[str, str] = {}
    v2 = None
    with open("/proc/self/cgroup") as f:
        for line in f:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if number == "0" and controllers == "":
                v2 = path
            for controller in controllers.split(","):
                if controller:
                    v1[controller] = path
    return v1, v2


def find() -> Groups | None:
    """The hierarchies this process may make per-sandbox groups in (cpu, pids, memory), or None.

    v1: the directory of our own group in each controller's hierarchy. v2: our own group, if
    the controllers are enabled for its children (or can be: only where it holds no process,
    which is rarely so; the server does not move itself)."""
    v1_groups, v2_group = _own_groups()
    places: list[tuple[str, int, tuple[str, ...]]] = []
    mounts: list[str] = []
    covered: set[str] = set()
    v2_mount = None
    for point, fstype, options in _mounts():
        if fstype == "cgroup2":
            v2_mount = point
            continue
        controllers = tuple(c for c in _CONTROLLERS if c in options and c not in covered)
        if not controllers:
            continue
        own = next((v1_groups[c] for c in controllers if c in v1_groups), None)
        if own is None:
            continue
        directory = os.path.join(point, own.lstrip("/"))
        if os.path.isdir(directory) and os.access(directory, os.W_OK):
            places.append((directory, 1, controllers))
            mounts.append(point)
            covered.update(controllers)
    missing = [c for c in _CONTROLLERS if c not in covered]
    if missing and v2_mount is not None and v2_group is not None:
        directory = os.path.join(v2_mount, v2_group.lstrip("/"))
        try:
            with open(os.path.join(directory, "cgroup.subtree_control")) as f:
                enabled = set(f.read().split())
            wanted = [c for c in missing if c not in enabled]
            if wanted:
                _write(directory, "cgroup.subtree_control", " ".join("+" + c for c in wanted))
            with open(os.path.join(directory, "cgroup.subtree_control")) as f:
                enabled = set(f.read().split())
            controllers = tuple(c for c in missing if c in enabled)
            if controllers:
                places.append((directory, 2, controllers))
                mounts.append(v2_mount)
                covered.update(controllers)
        except OSError:
            pass
    if "cpu" not in covered:
        return None  # the share of CPU is what a neighbour needs most; without it, none
    _remove_stale([p for p, _, _ in places])
    return Groups(places, mounts)


def _remove_stale(parents: list[str]) -> None:
    """Empty groups left by servers that were killed (a populated one refuses rmdir)."""
    for parent in parents:
        try:
            names = [n for n in os.listdir(parent) if n.startswith(_PREFIX)]
        except OSError:
            continue
        for name in names:
            pid = name[len(_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                try:
                    os.rmdir(os.path.join(parent, name))
                except OSError:
                    pass


def probe(groups: Groups) -> bool:
    """Whether a forked child can join a fresh set of groups (then removed)."""
    paths = groups.create(pids=8, memory_bytes=64 << 20)
    if not paths:
        return False
    child = os.fork()
    if child == 0:
        try:
            join(paths)
            os._exit(0)
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    remove(paths)
    return os.waitstatus_to_exitcode(status) == 0
