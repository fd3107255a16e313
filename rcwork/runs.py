"""Running the lesson notebooks headless with papermill (tests, the pipeline, the GPU box).

A run is a folder: the executed notebooks and every file they write land under it, so two runs
never share state and a rerun of a stage reads the files the previous stage wrote.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rcwork.paths import project_root


def notebook_dir() -> Path:
    return project_root() / "notebooks"


def notebook_path(name: str) -> Path:
    """``"04_distill"`` or ``"04_distill.ipynb"`` → the lesson notebook's path."""
    path = notebook_dir() / (name if name.endswith(".ipynb") else f"{name}.ipynb")
    if not path.exists():
        raise FileNotFoundError(f"no notebook {path}")
    return path


def run_notebook(name: str, output_dir: str | Path, parameters: dict[str, Any] | None = None,
                 *, timeout_s: float | None = None, log_output: bool = False) -> Path:
    """Execute a lesson notebook with papermill; returns the executed copy's path.

    The kernel starts in ``notebooks/``, as JupyterLab starts it (the stage configs resolve
    relative paths against the project root, so the folder changes nothing but must not be
    relied on), with ``PLOTLY_RENDERER=notebook`` so figures embed plotly.js and render
    offline.
    """
    import papermill

    src = notebook_path(name)
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / src.name
    # The kernel inherits this process's environment: set the renderer for this run only.
    renderer = os.environ.get("PLOTLY_RENDERER")
    os.environ["PLOTLY_RENDERER"] = renderer or "notebook"
    try:
        papermill.execute_notebook(str(src), str(out), parameters=parameters or {},
                                   cwd=str(notebook_dir()), kernel_name="python3",
                                   progress_bar=False, log_output=log_output,
                                   execution_timeout=timeout_s)
    finally:
        if renderer is None:
            del os.environ["PLOTLY_RENDERER"]
    return out
