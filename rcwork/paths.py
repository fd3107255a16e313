"""What a relative path in a stage config means: a path under the project root, wherever you are.

JupyterLab starts a lesson's kernel in ``notebooks/``, papermill where its caller says, a CLI in
the user's shell folder, a sweep point in the sweep's process.  A config that read
``data/reflections/seed.jsonl`` against the working directory found the seed records in one of
those places and not in the others, and wrote ``runs/...`` into ``notebooks/runs/`` from Lab.
So every stage config resolves its path fields here, in its ``__post_init__``: relative paths
start at the project root (the repository holding ``notebooks/``, or ``$RCWORK_HOME``);
absolute ones are kept.  Inputs shipped with the repository are then found from anywhere, and
outputs land in the repository's ``runs/`` unless the user gives an absolute path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent

# Inputs shipped with the repository, named once (relative: they resolve like any other path).
SEED_RECORDS = "data/reflections/seed.jsonl"
PROBLEMS = "data/problems"


def project_root() -> Path:
    """``$RCWORK_HOME`` when set, else the checkout this package lives in.

    An installed (non-editable) package has no ``notebooks/`` beside it: there the working
    directory is the only root that means anything, and the docs say to set ``RCWORK_HOME``.
    """
    home = os.environ.get("RCWORK_HOME")
    if home:
        return Path(home).expanduser().resolve()
    if (_PACKAGE_PARENT / "notebooks").is_dir():
        return _PACKAGE_PARENT
    return Path.cwd()


def project_path(path: str | os.PathLike) -> Path:
    """``path`` as an absolute path: relative ones start at :func:`project_root`."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else project_root() / path


def _resolve(value: Any) -> Any:
    """One field's value resolved, its type kept (``str`` stays ``str``, lists stay lists);
    empty values (``None``, ``""``: "not given") stay as they are."""
    if value is None or value == "":
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v) for v in value)
    if isinstance(value, os.PathLike):
        return project_path(value)
    if isinstance(value, str):
        return str(project_path(value))
    return value


def resolve_paths(config: Any, names: Iterable[str]) -> None:
    """Resolve the path fields ``names`` of ``config`` in place (see the module docstring).

    Called by each stage config's ``__post_init__``, so a config built by a CLI, a lesson, the
    pipeline, a sweep point or plain Python means the same files."""
    for name in names:
        setattr(config, name, _resolve(getattr(config, name)))


def display_path(path: str | os.PathLike) -> str:
    """``path`` relative to the project root when it lies under it (for reports and logs,
    which readers compare across machines), else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(project_root()))
    except ValueError:
        return str(p)
