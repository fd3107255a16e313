"""``SweepConfig``: the sweep command's one configuration (a spec file and/or flags, where the
sweep's folder is, how its points run)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rcwork.paths import resolve_paths


@dataclass
class SweepConfig:
    """``rcwork sweep``'s configuration: a spec and/or flags, where to run, how."""

    spec: str = field(default="", metadata={"help": "sweep spec (.toml, .yaml); see "
                                                    "configs/sweeps/"})
    sweep_dir: str = field(default="", metadata={
        "help": "the sweep's folder (default runs/sweeps/<name>); given alone, resume the plan "
                "saved there"})
    name: str = field(default="", metadata={"help": "the sweep's name (default: the spec's)"})
    axes: list[str] = field(default_factory=list, metadata={
        "help": "axes of a curve named 'grid', e.g. upsample_k=1..5 order=EAC,ECA"})
    base: list[str] = field(default_factory=list, metadata={
        "help": "DistillConfig overrides of every point (after the spec's), e.g. max_steps=8"})
    seeds: list[int] = field(default_factory=list, metadata={
        "help": "run every point once per seed (replaces the spec's seeds)"})
    evaluate: str = field(default="spec", metadata={
        "help": "spec: as the spec says; off: skip evaluation; on: evaluate (the spec's "
                "[evaluate] settings, else EvaluateConfig's defaults)"})
    executor: str = field(default="", metadata={
        "help": "how points run: notebook (papermill: the executed notebooks are kept) or "
                "inline (the stage functions in this process), one point after another; or "
                "submitit: each pending point a job (SLURM on a cluster, else local "
                "subprocesses), its stages run as the spec says; default: the spec's, else "
                "notebook"})
    submitit_cluster: str = field(default="auto", metadata={
        "help": "for --executor submitit: auto (SLURM where available, else local), slurm, "
                "local"})
    submitit_parameters: str = field(default="", metadata={
        "help": "for --executor submitit: submitit's parameters as JSON, e.g. "
                "'{\"slurm_partition\": \"gpu\", \"gpus_per_node\": 1, \"timeout_min\": 240}'"})
    devices: str = field(default="auto", metadata={
        "help": "auto (one worker per visible GPU when there are several, else this process), "
                "inprocess, or GPU ids such as 0,1,2,3"})
    point: list[str] = field(default_factory=list, metadata={
        "help": "run only these points (ids or 0-based indices in the plan), e.g. a SLURM "
                "array task's $SLURM_ARRAY_TASK_ID"})
    keep_models: bool = field(default=False, metadata={
        "help": "keep each point's trained model (a 135M-parameter model is 0.5 GB)"})
    dry_run: bool = field(default=False, metadata={"help": "write plan.json, list the points"})
    progress: bool = field(default=True, metadata={"help": "a progress bar across points"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("spec", "sweep_dir"))
        if self.evaluate not in ("spec", "on", "off"):
            raise ValueError(f"evaluate must be spec, on or off, got {self.evaluate!r}")
        if self.executor not in ("", "notebook", "inline", "submitit"):
            raise ValueError(f"executor must be notebook, inline or submitit, got "
                             f"{self.executor!r}")
