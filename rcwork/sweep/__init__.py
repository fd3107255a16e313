"""``rcwork sweep``: a grid of distillation (and evaluation) runs, one run folder per point.

The grid comes from a spec file (:mod:`rcwork.sweep.spec`, ``configs/sweeps/*.toml``) or flags::

    rcwork sweep --spec configs/sweeps/demo.toml
    rcwork sweep --name lr --axes learning_rate=1e-4,3e-4 upsample_k=1..3 --base model=tiny max_steps=4

Each point runs notebook 04 (and 05 when the spec evaluates) with papermill into
``<sweep_dir>/runs/<point id>/``, which then holds the executed notebooks, ``config.json``,
``metrics.json``, ``heldout_records.json`` (per-unit held-out NLL before and after on the
reflection records, rcwork problems never trained on and HumanEval's canonical solutions, for
paired comparisons and bootstrap intervals), ``results.json`` when evaluated, ``timing.json`` and ``row.json`` (the
point's registry row, written last and atomically: its presence means the point finished).
``<sweep_dir>/registry.jsonl`` lists every finished point, one JSON row each
(``pandas.read_json(path, lines=True)`` or ``datasets.load_dataset("json", data_files=path)``).

A sweep resumes: rerun the same command (or ``rcwork sweep --sweep_dir DIR``, which reads the
saved ``plan.json``).  Finished points are skipped; a point that was killed restarts, from its
last Trainer checkpoint when the spec saves some.  A point being run by another process (its
``.lock`` is held) is skipped, so two sweeps on one folder never run a point twice.  On a
machine with several GPUs, points run in parallel, one process per device
(``CUDA_VISIBLE_DEVICES``; submitit's local executor gives every job the same devices, so this
scheduler stays); on CPU, one after another under a progress bar.  Past one machine,
``--executor submitit`` submits each pending point as a job (a SLURM job array on a cluster;
local subprocesses elsewhere, which is what the tests run, kill and resume included): each
point's stages run through :func:`rcwork.runner.run_stage`, as the pipeline's do.
``docs/sweeps.md``.

The package, one concept per module, data flowing one way:

- :mod:`~rcwork.sweep.config`: ``SweepConfig``, the command's one config;
- :mod:`~rcwork.sweep.spec`: the spec file and the points it plans;
- :mod:`~rcwork.sweep.plan`: a sweep folder's plan, its run folders and locks;
- :mod:`~rcwork.sweep.runner`: running points (one by one, per GPU, or as submitit jobs), each
  point's stages through :func:`rcwork.runner.run_stage`;
- :mod:`~rcwork.sweep.heldout`: a point's held-out NLL, unit by unit, on three sets;
- :mod:`~rcwork.sweep.registry`: one row per finished point;
- :mod:`~rcwork.sweep.report`, :mod:`~rcwork.sweep.paper`: the report section and the paper's
  numbers beside it;
- :mod:`~rcwork.sweep.cli`: ``rcwork sweep``.
"""

from rcwork.sweep.config import SweepConfig
from rcwork.sweep.plan import Plan, is_done, make_plan, run_dir
from rcwork.sweep.runner import run_point, run_sweep

__all__ = ["Plan", "SweepConfig", "is_done", "make_plan", "run_dir", "run_point", "run_sweep"]
