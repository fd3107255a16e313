"""One stage runner, under the pipeline and the sweep.

A stage is ``(config, function, lesson)`` (:data:`rcwork.stages.STAGE_DEFS`).  :func:`run_stage`
builds its config the one way (:func:`rcwork.stages.stage_config`: defaults, a profile,
overrides) and runs it through an *executor*:

- ``inline``: the stage function in this process;
- ``notebook``: the stage's lesson under papermill, the executed copy kept in ``notebook_dir``
  (what the main job does, so its report can show the lessons as they ran);
- ``submitit``: a job (SLURM on a cluster, a subprocess on this machine with submitit's local
  executor) that runs the stage inline; :func:`submitit_executor` makes the executor, and the
  sweep submits its points through the same one.

The pipeline (:mod:`rcwork.pipeline`) runs its steps with it; the sweep (:mod:`rcwork.sweep`)
runs each point's distillation and evaluation with it.  What ran comes back as a
:class:`StageRun` (stage, executor, seconds, the executed notebook, the function's return).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcwork.stages import STAGE_DEFS, load_object, stage_config, stage_overrides

EXECUTORS = ("inline", "notebook", "submitit")


@dataclass
class StageRun:
    """What :func:`run_stage` did: for the pipeline's record and a sweep point's timing."""

    stage: str
    executor: str
    wall_s: float
    notebook: str | None = None  # the executed notebook (executor "notebook")
    result: Any = None  # the stage function's return value (executors "inline", "submitit")


def run_stage(stage: str, overrides: dict[str, Any] | None = None, *,
              profile: str | Path | None = None, executor: str = "inline",
              notebook_dir: str | Path | None = None, submitit: Any = None) -> StageRun:
    """Run ``stage`` with ``profile``'s settings and ``overrides`` on top.

    ``notebook_dir`` is where the executed lesson goes (executor ``notebook``); ``submitit`` a
    submitit executor (:func:`submitit_executor`) for executor ``submitit``."""
    if stage not in STAGE_DEFS:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGE_DEFS)}")
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    d = STAGE_DEFS[stage]
    t0 = time.perf_counter()
    if executor == "notebook":
        if d.notebook is None or notebook_dir is None:
            raise ValueError(f"stage {stage!r} runs as a notebook only with a lesson and a "
                             f"notebook_dir")
        from rcwork.runs import run_notebook

        # The lesson gets the profile's name and the overrides, as a reader's parameters
        # cell would: it builds the same config (tests/test_settings.py).
        path = run_notebook(d.notebook, notebook_dir,
                            {"profile": None if profile is None else str(profile),
                             "config": dict(overrides or {})})
        return StageRun(stage, executor, round(time.perf_counter() - t0, 2), notebook=str(path))
    if d.function is None:
        raise ValueError(f"stage {stage!r} is a lesson only: run it with executor 'notebook'")
    if executor == "submitit":
        if submitit is None:
            raise ValueError("executor 'submitit' needs a submitit executor "
                             "(rcwork.runner.submitit_executor)")
        job = submitit.submit(_run_inline, stage, stage_overrides(stage, profile, overrides))
        result = job.result()  # raises the job's exception, with its traceback
        return StageRun(stage, executor, round(time.perf_counter() - t0, 2), result=result)
    result = _run_inline(stage, stage_overrides(stage, profile, overrides))
    return StageRun(stage, executor, round(time.perf_counter() - t0, 2), result=result)


def _run_inline(stage: str, overrides: dict[str, Any]) -> Any:
    """The stage function on its config (module level: a submitit job pickles it by name)."""
    return load_object(STAGE_DEFS[stage].function)(stage_config(stage, None, overrides))


def submitit_executor(folder: str | Path, *, cluster: str = "auto",
                      parameters: str | dict[str, Any] | None = None) -> Any:
    """A submitit executor whose jobs log under ``folder``.

    ``cluster``: ``auto`` (SLURM where ``sbatch`` exists, else local subprocesses), ``slurm``
    or ``local``.  ``parameters``: submitit's own (``timeout_min``, ``slurm_partition``,
    ``gpus_per_node``, ``cpus_per_task``, ``slurm_array_parallelism`` …), a dict or its JSON.
    The local executor's default time limit (2 minutes) is raised to a day: a stage's own
    settings bound its time, not the executor."""
    try:
        import submitit
    except ImportError:
        raise ValueError("executor 'submitit' needs the submitit package: pip install "
                         "'rcwork[cluster]' (or pip install submitit)") from None
    if cluster not in ("auto", "slurm", "local"):
        raise ValueError(f"submitit cluster must be auto, slurm or local, got {cluster!r}")
    if isinstance(parameters, str):
        try:
            parameters = json.loads(parameters) if parameters.strip() else {}
        except json.JSONDecodeError as e:
            raise ValueError(f"submitit parameters are not JSON: {e}") from None
        if not isinstance(parameters, dict):
            raise ValueError("submitit parameters must be a JSON object")
    executor = submitit.AutoExecutor(folder=str(folder),
                                     cluster=None if cluster == "auto" else cluster)
    executor.update_parameters(**{"timeout_min": 24 * 60, **(parameters or {})})
    return executor
