"""Sandboxed execution of untrusted (model-written) code.

Two executors share one isolation mechanism (see :mod:`rcwork.sandbox.sandbox`):

- scoring: :func:`run_program` / :func:`run_programs` run a program in a fresh process and return
  a verdict (passed / failed / error / timeout / killed);
- synthesis: :class:`KernelSession` / :class:`KernelPool` run notebook cells in a sandboxed Jupyter
  kernel and return what a notebook would show.

The scoring side is standard-library only; the kernel side (ZeroMQ, jupyter_client) is imported
on first use, so scoring works, and starts fast, in any Python.
"""

from typing import Any

from rcwork.sandbox.limits import Limits
from rcwork.sandbox.output import TRUNCATION_MARKER
from rcwork.sandbox.programs import ProgramResult, run_program, run_programs
from rcwork.sandbox.sandbox import Sandbox, SandboxError, default_sandbox

_KERNEL_NAMES = ("CellResult", "KernelPool", "KernelSession")


def __getattr__(name: str) -> Any:
    if name in _KERNEL_NAMES:
        from rcwork.sandbox import kernels

        return getattr(kernels, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    *_KERNEL_NAMES,
    "Limits",
    "ProgramResult",
    "Sandbox",
    "SandboxError",
    "TRUNCATION_MARKER",
    "default_sandbox",
    "run_program",
    "run_programs",
]
