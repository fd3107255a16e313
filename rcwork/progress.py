"""Training progress a reader can read: a bar with the current loss terms, a compact table.

``transformers.Trainer`` reports progress by printing each log as a Python dict (its
``PrinterCallback``, or ``ProgressCallback`` writing ``str(logs)`` under the bar): one
``{'loss': '2.073', 'grad_norm': '11.28', ...}`` line per step, which is what an executed lesson
kept.  :class:`TrainingProgress` replaces those callbacks (:func:`use_progress`):

* a progress bar (``tqdm``: an ipywidgets bar in JupyterLab and in papermill's kernels, whose
  saved state the converted lessons draw; a text bar on a terminal; none in a log file) with
  the chosen loss terms of the latest step beside it;
* a table of those terms printed every ``every`` steps (by default about ten rows per run,
  plus the last step), then one line for each held-out evaluation and one for the run;
* every log record, complete, appended to ``train_log.jsonl`` in the trainer's ``output_dir``:
  the table is a digest, the run folder keeps everything (the metrics files and checkpoints
  keep their own copies too).

Only the main process of a distributed run shows or writes anything.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback

from rcwork.jsonl import JsonlAppender
from rcwork.quiet import in_kernel, quiet_known_noise

quiet_known_noise()  # the training modules import this one: their lessons stay quiet

LOG_FILE = "train_log.jsonl"
TARGET_ROWS = 10

# The loss terms of each trainer, as their logs name them → the table's column headers.
DISTILL_COLUMNS = {"loss": "loss", "ntp": "NTP teacher", "student_ntp": "NTP student",
                   "kl": "KL", "mask_rate": "mask rate"}
GRPO_COLUMNS = {"reward": "reward", "rewards/format_reward/mean": "F",
                "rewards/quality_reward/mean": "P·R", "rewards/efficiency_reward/mean": "P·E",
                "completions/mean_length": "tokens", "kl": "KL", "loss": "loss"}
SFT_COLUMNS = {"loss": "loss", "mean_token_accuracy": "token accuracy"}
# Trainer bookkeeping left out of a table whose columns were not chosen.
_BOOKKEEPING = {"epoch", "grad_norm", "learning_rate", "total_flos", "num_tokens", "step_time"}


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    return f"{value:.4g}"


class TrainingProgress(TrainerCallback):
    """A progress bar, a table every ``every`` steps and the full log on disk (module docs).

    ``columns`` maps log keys to headers, in table order (``None``: the numeric keys of the
    first training log, less the trainer's bookkeeping); ``every`` ``None`` picks a stride
    giving about ten rows; ``title`` names the run in the bar and above the table.
    """

    def __init__(self, columns: Mapping[str, str] | None = None, *, every: int | None = None,
                 title: str = "training", stream: Any = None):
        self.columns = dict(columns) if columns is not None else None
        self.every = every
        self.title = title
        self.stream = stream
        self.bar: Any = None
        self.log_path: Path | None = None
        self._stride = 1
        self._started = 0.0
        self._header_shown = False
        self._widths: list[int] = []

    # ---- output ---------------------------------------------------------------------------

    def _print(self, line: str) -> None:
        print(line, file=self.stream or sys.stdout, flush=True)

    def _open_bar(self, total: int, done: int) -> Any:
        """tqdm's widget bar in a kernel, its text bar on a terminal, else no bar."""
        if in_kernel():
            try:
                from tqdm.notebook import tqdm
            except ImportError:  # no ipywidgets: the table alone
                return None
        elif (self.stream or sys.stderr).isatty():
            from tqdm import tqdm
        else:
            return None
        return tqdm(total=total, initial=done, desc=self.title, unit="step", leave=True,
                    dynamic_ncols=True)

    def _row(self, cells: list[str]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, self._widths))

    def _table_row(self, step: int, logs: Mapping[str, Any]) -> None:
        assert self.columns is not None
        if not self._header_shown:
            headers = ["step", *self.columns.values(), "time (s)"]
            self._widths = [max(len(h), 6) for h in headers]
            self._print(self._row(headers))
            self._header_shown = True
        self._print(self._row([str(step), *(_fmt(logs.get(k)) for k in self.columns),
                               f"{time.perf_counter() - self._started:.0f}"]))

    # ---- callback events -------------------------------------------------------------------

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self._started = time.perf_counter()
        total = state.max_steps or 0
        self._stride = self.every or max(1, math.ceil(total / TARGET_ROWS))
        self.log_path = Path(args.output_dir) / LOG_FILE
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        start = f", from step {state.global_step}" if state.global_step else ""
        every = "every step" if self._stride == 1 else f"every {self._stride} steps"
        self._print(f"{self.title}: {total} steps{start}; the table shows {every} "
                    f"(every log: {self.log_path})")
        self.bar = self._open_bar(total, state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None and state.global_step > self.bar.n:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        step = state.global_step
        if self.log_path is not None:
            with JsonlAppender(self.log_path, fsync=False) as out:  # a log, not a record
                out.write([{"step": step, **logs}])
        if "train_runtime" in logs:
            self._print(self._summary(step, logs))
            return
        held = {k.removeprefix("eval_"): v for k, v in logs.items() if k.startswith("eval_")}
        if held:
            self._print(f"held-out at step {step}: "
                        + ", ".join(f"{k} {_fmt(v)}" for k, v in held.items()
                                    if k not in ("runtime", "samples_per_second",
                                                 "steps_per_second")))
            return
        if self.columns is None:
            self.columns = {k: k for k, v in logs.items()
                            if isinstance(v, (int, float)) and k not in _BOOKKEEPING}
        if not any(k in logs for k in self.columns):
            return
        if self.bar is not None:
            self.bar.set_postfix_str(", ".join(f"{h} {_fmt(logs[k])}"
                                               for k, h in self.columns.items() if k in logs))
        if step % self._stride == 0 or step == state.max_steps or not self._header_shown:
            self._table_row(step, logs)

    def _summary(self, step: int, logs: Mapping[str, Any]) -> str:
        runtime = logs.get("train_runtime")
        took = f" in {runtime:.1f} s" if isinstance(runtime, (int, float)) else ""
        loss = logs.get("train_loss")
        mean = f"; mean loss {_fmt(loss)}" if isinstance(loss, (int, float)) else ""
        return f"{self.title}: {step} steps{took}{mean}"

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def use_progress(trainer: Any, columns: Mapping[str, str] | None = None, *,
                 every: int | None = None, title: str = "training") -> TrainingProgress:
    """Give ``trainer`` a :class:`TrainingProgress` in place of the progress and printing
    callbacks ``Trainer`` adds itself (``PrinterCallback``, ``ProgressCallback`` and, in a
    notebook, ``NotebookProgressCallback``); returns the new callback."""
    for cb in list(trainer.callback_handler.callbacks):
        if (isinstance(cb, (PrinterCallback, ProgressCallback))
                or type(cb).__name__ == "NotebookProgressCallback"):
            trainer.remove_callback(cb)
    progress = TrainingProgress(columns, every=every, title=title)
    trainer.add_callback(progress)
    return progress
