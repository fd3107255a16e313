"""``ReinforceConfig``: TRL's ``GRPOConfig`` with ReflexiCoder's settings and rcwork's data fields.

Every GRPO flag (DeepSpeed, vLLM rollouts, logging, checkpoints, resume) keeps working because
this *is* a ``GRPOConfig``; the CLI (``rcwork reinforce``) is built from it with
``HfArgumentParser``, so a flag is a field.  Defaults are the authors' run where that makes sense
on any machine (docs/reflexicoder.md, "Training"): 8 generations, β 0.01, lr 5e-6 cosine down to
0.1 × lr, temperature 1.0, truncated completions masked, reward weights 1.0 / 0.5 / 1.0, a system
prompt that spells out the loop.  Their 8192 completion tokens are the default too; the CPU
lesson's profile (``configs/profiles/cpu.toml``, ``--config cpu``) shrinks the group and the
completions and turns on rcwork's format warm-up.

On a machine without CUDA the config switches itself to CPU (``use_cpu``, no bf16, no gradient
checkpointing — TRL defaults both on) unless those were given explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig

from rcwork.paths import PROBLEMS, SEED_RECORDS, resolve_paths
from rcwork.reflexi.rewards import REWARD_WEIGHTS

SYSTEM_PROMPT = """\
You solve Python programming problems by thinking, answering, and then checking your own answer.
You cannot run code: you reflect on it by reading it carefully.

Write your response in exactly this format and nothing else:

<think>
How to solve the problem: the approach, edge cases, pitfalls.
</think>
<answer>
```python
# a complete solution
```
</answer>
<reflection>
STATUS: BUG_DETECTED or STATUS: OPTIMIZATION_ONLY
Trace your answer on the examples and the edge cases. Say what is wrong, or what can be simpler.
</reflection>
<answer>
```python
# the corrected or improved complete solution
```
</answer>

Rules:
- After the first answer, write one or more reflection/answer pairs.
- Start every reflection with STATUS: BUG_DETECTED if the previous answer has a bug, or with
  STATUS: OPTIMIZATION_ONLY if it is correct and you only make it cleaner or faster.
- After an OPTIMIZATION_ONLY reflection, write one final answer and stop.
- Write at most 5 answers in total.
- Every answer holds one ```python code block with the whole solution. Write nothing after the
  last </answer>."""

def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@dataclass
class ReinforceConfig(GRPOConfig):
    """GRPO settings (TRL's fields, the authors' values) plus the data, model and warm-up."""

    # ---- model and data
    model: str = field(default="embedded", metadata={
        "help": "tiny, embedded, a folder or a hub id (the policy to train)"})
    benchmark: str = field(default="problems", metadata={
        "help": "problems (rcwork problem files), humaneval, humaneval+, mbpp, mbpp+"})
    problems: str | None = field(default=PROBLEMS, metadata={
        "help": "problem file or folder (for 'problems', or a local EvalPlus-style file)"})
    num_problems: int | None = field(default=None, metadata={
        "help": "use only the first N problems (before the held-out split)"})
    heldout: float = field(default=0.2, metadata={
        "help": "problems kept out of training for pass@1: a fraction (< 1) or a count"})
    heldout_max_new_tokens: int = field(default=1024, metadata={
        "help": "token budget of a held-out trajectory (greedy)"})
    evaluate_heldout: bool = field(default=True, metadata={
        "help": "measure the held-out problems before and after training"})
    system_prompt: str = field(default=SYSTEM_PROMPT, metadata={
        "help": "the system message that spells out the think/answer/reflect format"})

    # ---- rewards: how a completion is read, then sandboxed execution of each answer
    reward_grammar: str = field(default="authors", metadata={
        "help": "authors: the authors' released parser (unanchored searches; an answer's code "
                "is its last fenced block of any language; stagnation at |r_prev - r_max| <= "
                "eps); strict: the exact format the system prompt spells out, the last python "
                "block, r_prev >= r_max (docs/reflexicoder.md)"})
    score_timeout_s: float = field(default=5.0, metadata={"help": "wall-clock limit per answer"})
    score_memory_mb: int = field(default=512, metadata={"help": "memory limit per answer"})
    score_workers: int = field(default=2, metadata={"help": "answers executed in parallel"})

    # ---- rcwork's addition: format warm-up (off in the authors' configuration)
    format_warmup_steps: int = field(default=0, metadata={
        "help": "SFT steps on well-formed trajectories before GRPO (0: off, as the authors)"})
    warmup_records: str = field(default=SEED_RECORDS, metadata={
        "help": "reflection records converted into trajectories for the warm-up"})
    warmup_learning_rate: float = field(default=1e-4, metadata={"help": "warm-up SFT lr"})
    warmup_batch_size: int = field(default=2, metadata={"help": "warm-up SFT batch size"})
    warmup_max_tokens: int | None = field(default=None, metadata={
        "help": "longest warm-up trajectory in tokens (default: max_completion_length)"})

    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: leave as is)"})
    resume: bool = field(default=True, metadata={
        "help": "resume from the last checkpoint under output_dir/trainer when there is one"})

    # ---- GRPOConfig fields whose defaults are the authors'
    output_dir: str | None = field(default="runs/reinforce", metadata={
        "help": "run folder: trainer/ checkpoints, model/, metrics.json, held-out samples"})
    num_generations: int | None = field(default=8, metadata={"help": "completions per prompt"})
    per_device_train_batch_size: int = field(default=8, metadata={
        "help": "completions per device and step (a multiple of num_generations)"})
    beta: float = field(default=0.01, metadata={"help": "KL coefficient"})
    learning_rate: float = field(default=5e-6, metadata={"help": "peak learning rate"})
    lr_scheduler_type: str = field(default="cosine_with_min_lr", metadata={"help": "schedule"})
    lr_scheduler_kwargs: dict | str | None = field(
        default_factory=lambda: {"min_lr_rate": 0.1},
        metadata={"help": "schedule arguments (JSON): cosine down to 0.1 x lr"})
    temperature: float = field(default=1.0, metadata={"help": "sampling temperature"})
    max_completion_length: int | None = field(default=8192, metadata={
        "help": "completion tokens (authors: 8192)"})
    mask_truncated_completions: bool = field(default=True, metadata={
        "help": "truncated completions get no loss"})
    reward_weights: list[float] | None = field(
        default_factory=lambda: list(REWARD_WEIGHTS.values()),
        metadata={"help": "weights of format, P*R, P*E"})
    logging_steps: float = field(default=1, metadata={"help": "log every N steps"})
    bf16: bool | None = field(default=None, metadata={
        "help": "bf16 mixed precision (default: on with CUDA, off on CPU)"})
    activation_checkpointing: bool | None = field(default=None, metadata={
        "help": "activation (gradient) checkpointing (default: on with CUDA, off on CPU)"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("problems", "warmup_records", "output_dir")
                      + (("deepspeed",) if isinstance(self.deepspeed, str) else ()))
        on_gpu = _cuda_available()
        if not on_gpu:
            self.use_cpu = True
        if self.bf16 is None:
            self.bf16 = on_gpu
        if self.activation_checkpointing is None:
            self.activation_checkpointing = on_gpu
        if self.heldout < 0:
            raise ValueError(f"heldout must be >= 0, got {self.heldout}")
        from rcwork.reflexi.trajectory import check_grammar

        check_grammar(self.reward_grammar)
        if self.format_warmup_steps < 0:
            raise ValueError(f"format_warmup_steps must be >= 0, got {self.format_warmup_steps}")
        super().__post_init__()
