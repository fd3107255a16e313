"""``rcwork sweep`` (:mod:`rcwork.sweep`): flags are the fields of ``SweepConfig``."""

from __future__ import annotations

import sys
from typing import Any

import rcwork.sweep

from rcwork.sweep.config import SweepConfig
from rcwork.sweep.runner import run_sweep

def main(argv: list[str]) -> int:
    from rcwork.stages import parse_cli, run_cli

    def run() -> int:
        cfg = parse_cli(SweepConfig, argv, prog="rcwork sweep", stage="sweep",
                        description=rcwork.sweep.__doc__)
        return _report(run_sweep(cfg))

    return run_cli("rcwork sweep", run)


def _report(summary: dict[str, Any]) -> int:
    print(f"[sweep] {summary['sweep_dir']}: {summary['points']} points; ran "
          f"{len(summary['ran'])}, already done {len(summary['skipped'])}, failed "
          f"{len(summary['failed'])}" + (f" ({', '.join(summary['failed'])})"
                                        if summary['failed'] else ""), flush=True)
    if summary.get("report"):
        print(f"[sweep] report: {summary['report']}", flush=True)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
