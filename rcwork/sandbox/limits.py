"""Resource limits for sandboxed code, the rlimits that enforce them, and the environment it sees.

This module is standard-library only on purpose: the sandbox server (``_zygote.py``) loads it by
path inside the sandbox, where the rest of ``rcwork`` (and its heavy imports) must not be.
"""

from __future__ import annotations

import math
import os
import re
import resource
from dataclasses import dataclass

#: rlimit table entries: (resource id, soft, hard); what crosses into the sandbox server as JSON.
RlimitTable = list[tuple[int, int, int]]


@dataclass(frozen=True)
class Limits:
    """What one sandboxed program or kernel may use.

    ``timeout_s`` is wall clock: for a program the whole run, for a kernel each cell.
    ``memory_mb`` is address space per process (RLIMIT_AS): an allocation past it fails
    (``MemoryError``) rather than pushing the machine into swap or the OOM killer.
    ``max_processes`` counts processes and threads of the sandbox's private uid (RLIMIT_NPROC).
    ``cpu_s`` is a CPU-time backstop (RLIMIT_CPU, SIGXCPU then SIGKILL); ``None`` derives it from
    the timeout for programs. A kernel lives through many cells, so for kernels it caps the kernel's
    whole life and is only applied when set explicitly.
    ``max_output_bytes``: per stream for programs; for kernel cells, characters of the cell text.
    ``max_file_mb`` caps any one file written (RLIMIT_FSIZE); ``workdir_mb`` caps the private
    temporary file system that serves as the working directory (and /dev/shm).
    """

    timeout_s: float = 10.0
    memory_mb: int = 1024
    max_processes: int = 64
    cpu_s: float | None = None
    max_output_bytes: int = 64_000
    max_file_mb: int = 64
    workdir_mb: int = 256

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb <= 0 or self.max_processes <= 0:
            raise ValueError(f"limits must be positive: {self}")
        if self.max_output_bytes <= 0 or self.max_file_mb <= 0 or self.workdir_mb <= 0:
            raise ValueError(f"limits must be positive: {self}")

    def program_cpu_s(self) -> float:
        """CPU seconds for a program: explicit, or the timeout plus a second of slack (a
        single-threaded loop meets the wall-clock limit first; a multi-threaded one may meet this)."""
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1


def rlimit_table(limits: Limits, *, cpu_s: float | None) -> RlimitTable:
    """The rlimits for ``limits``; ``cpu_s=None`` leaves CPU time unlimited (long-lived kernels)."""
    mb = 1024 * 1024
    table = [
        (resource.RLIMIT_AS, limits.memory_mb * mb, limits.memory_mb * mb),
        (resource.RLIMIT_NPROC, limits.max_processes, limits.max_processes),
        (resource.RLIMIT_FSIZE, limits.max_file_mb * mb, limits.max_file_mb * mb),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if cpu_s is not None:
        soft = max(1, math.ceil(cpu_s))
        # The hard limit a second later turns an ignored SIGXCPU into SIGKILL.
        table.append((resource.RLIMIT_CPU, soft, soft + 1))
    return table


def cgroup_limits(limits: Limits) -> dict[str, int]:
    """Limits of the sandbox's own control groups (see ``_cgroups.py``), for all its processes
    together: ``max_processes`` plus its pid 1; memory for two processes at ``memory_mb`` (the
    tester and the candidate) and both private tmpfs (/tmp, /dev/shm) full."""
    mb = 1024 * 1024
    return {"pids": limits.max_processes + 1,
            "memory_bytes": (2 * limits.memory_mb + 2 * limits.workdir_mb) * mb}


def apply_rlimits(table: RlimitTable) -> None:
    """Apply ``table`` to the calling process; called in the sandboxed child before it runs code."""
    for res, soft, hard in table:
        resource.setrlimit(res, (soft, hard))


# Names never passed into a sandbox, even when an allow-list rule would admit them.
_SECRET = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|_API_|^AWS_|^HF_|^HUGGING|^OPENAI_|"
    r"^ANTHROPIC_|^AZURE_|^GOOGLE_|^GH_|^GITHUB_|^SSH_|^GPG_|^WANDB_",
    re.IGNORECASE,
)
_INHERITED = re.compile(r"^(LANG|LANGUAGE|LC_[A-Z]+|TZ)$")
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def scrubbed_env(workdir: str, *, python_bin: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of sandboxed code, built from an allow-list.

    Only locale and time-zone variables are inherited; everything else is set here, so no API key
    or token of the workbench's environment can reach the sandbox whatever it is called. HOME and
    TMPDIR point into the work dir; one thread per numeric library keeps a 2-core box usable;
    ``MALLOC_ARENA_MAX`` stops glibc reserving 64 MB of address space per thread, which would make
    RLIMIT_AS fail threaded programs long before they use real memory.
    """
    env = {k: v for k, v in os.environ.items() if _INHERITED.match(k) and not _SECRET.search(k)}
    env.setdefault("LANG", "C.UTF-8")
    env.update(
        PATH=f"{python_bin}:{_SYSTEM_PATH}",
        HOME=workdir,
        TMPDIR=workdir,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        NUMEXPR_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
        MALLOC_ARENA_MAX="2",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for key, value in (extra or {}).items():
        if _SECRET.search(key):
            raise ValueError(f"refusing to pass a secret-looking variable into the sandbox: {key}")
        env[key] = value
    return env
