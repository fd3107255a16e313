"""Keep known-harmless noise of the training stack out of the lessons' outputs.

A lesson's output is read by people learning the method: a line there should be about the run.
What this module silences is known, harmless, and not the reader's to act on:

* DeepSpeed's ``Setting accelerator to CPU. If you have GPU or other accelerator, we were
  unable to detect it.`` — printed (to stdout, at WARNING) whenever a ``Trainer`` starts on a
  machine without CUDA, which is every CPU lesson; it is dropped by a filter on DeepSpeed's
  logger, so DeepSpeed's other warnings still print;
* deprecation warnings (``DeprecationWarning``, ``PendingDeprecationWarning``,
  ``FutureWarning``) *raised inside* the training dependencies — e.g. TRL calling a model with
  ``past_key_values``, which transformers 5 renamed.  A filter's ``module`` is the module the
  warning is attributed to, so a deprecated call made by rcwork's own code (attributed to
  ``rcwork.*``) still warns, as does every other warning category;
* in a notebook kernel, the progress bars transformers and datasets draw for loading, saving and
  tokenising: each becomes a widget that an executed lesson keeps (often frozen at 0 %).
  Training progress is :mod:`rcwork.progress`'s.

:func:`quiet_known_noise` is idempotent and imports nothing heavy: ``import rcwork`` applies it
(every lesson imports rcwork before its dependencies do their work), and so does
:mod:`rcwork.progress`, which the training stages import.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

DEPENDENCIES = ("torch", "transformers", "trl", "accelerate", "datasets", "deepspeed", "peft",
                "huggingface_hub", "tokenizers", "safetensors")
DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
DEEPSPEED_CPU_LINE = "Setting accelerator to CPU"
_DEPENDENCY_MODULES = r"(%s)(\.|$)" % "|".join(DEPENDENCIES)


class _DropMessage(logging.Filter):
    """Drops log records whose message starts with ``prefix``; lets every other one through."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


def in_kernel() -> bool:
    """Whether this process is a Jupyter kernel (JupyterLab, papermill): its displays are kept
    in the notebook."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def quiet_known_noise() -> None:
    """Install the filters the module docstring lists (once; later calls change nothing)."""
    ds_logger = logging.getLogger("DeepSpeed")  # the same object DeepSpeed configures later
    if not any(isinstance(f, _DropMessage) for f in ds_logger.filters):
        ds_logger.addFilter(_DropMessage(DEEPSPEED_CPU_LINE))
    for category in DEPRECATIONS:
        # filterwarnings moves an existing identical filter to the front instead of duplicating
        warnings.filterwarnings("ignore", category=category, module=_DEPENDENCY_MODULES)
    if in_kernel():
        _no_library_progress_bars()


def _no_library_progress_bars() -> None:
    """transformers', datasets' and the hub's own bars off, without importing them: the
    environment switches they read when they import, and their functions if already imported."""
    os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # transformers' bars follow the hub's
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils.logging import disable_progress_bar

        disable_progress_bar()
    if "datasets" in sys.modules:
        from datasets.utils.logging import disable_progress_bar as datasets_bars_off

        datasets_bars_off()
