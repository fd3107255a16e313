"""One settings mechanism: profile files override the stage dataclasses, and a lesson, the CLI
and the pipeline build the same config from the same profile; relative paths mean one thing
wherever the process runs."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
from pathlib import Path

import nbformat
import pytest

from rcwork.paths import SEED_RECORDS, project_path, project_root
from rcwork.pipeline import STAGES
from rcwork.stages import (STAGE_DEFS, ProfileError, parse_cli, profile_names, read_profile,
                           stage_class, stage_config)

ROOT = project_root()
NOTEBOOKS = ROOT / "notebooks"
PIPELINE_PROFILES = ("ci", "demo", "gpu")
CLI_STAGES = ("synthesize", "distill", "evaluate", "sweep", "reinforce")


def _values(cfg) -> dict:
    return dataclasses.asdict(cfg)


def lesson_config(notebook: str, profile: str, overrides: dict):
    """The config a lesson builds: its parameters cell, papermill's injected values, then the
    lesson's own ``cfg = stage_config(...)`` line, executed as written."""
    nb = nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    scope: dict = {}
    exec(code[0], scope)  # the parameters cell
    scope.update(profile=profile, config=overrides)  # what papermill injects
    line = next(ln for src in code[1:] for ln in src.splitlines()
                if ln.startswith("cfg = stage_config("))
    exec("from rcwork.stages import stage_config\n" + line, scope)
    return scope["cfg"]


def cli_args(overrides: dict) -> list[str]:
    args: list[str] = []
    for key, value in overrides.items():
        args.append(f"--{key}")
        args.extend(map(str, value) if isinstance(value, list) else [str(value)])
    return args


@pytest.mark.parametrize("profile", PIPELINE_PROFILES)
def test_lesson_cli_and_pipeline_build_the_same_config(profile, tmp_path):
    run = tmp_path / "run"
    for stage in STAGES:
        overrides = stage.overrides(run)
        pipeline = stage.build(run, profile)
        assert type(pipeline) is stage_class(stage.config)
        if stage.notebook is not None:
            lesson = lesson_config(stage.notebook, profile, overrides)
            assert _values(lesson) == _values(pipeline), f"{stage.name}: lesson != pipeline"
        if stage.config in CLI_STAGES:
            cli = parse_cli(stage_class(stage.config), ["--config", profile, *cli_args(overrides)],
                            prog="test", stage=stage.config)
            assert _values(cli) == _values(pipeline), f"{stage.name}: CLI != pipeline"
        table = read_profile(profile).get(stage.config, {})
        for key, value in table.items():  # the profile's values arrive (paths resolved)
            got = getattr(pipeline, key)
            if key not in overrides and not isinstance(value, str):
                assert got == value, f"{profile} [{stage.config}] {key}: {got!r} != {value!r}"


@pytest.mark.parametrize("profile", ["cpu", "authors", "demo", "ci", "gpu"])
def test_every_profile_builds_every_stage_it_names(profile):
    for stage, table in read_profile(profile).items():
        cfg = stage_config(stage, profile)
        cli = parse_cli(stage_class(stage), ["--config", profile], prog="test", stage=stage) \
            if stage in CLI_STAGES else cfg
        assert _values(cli) == _values(cfg)


def test_profiles_include_others_and_flags_win():
    demo, cpu = read_profile("demo")["reinforce"], read_profile("cpu")["reinforce"]
    assert demo["num_generations"] == cpu["num_generations"]  # from the include
    assert demo["max_steps"] != cpu["max_steps"]  # demo's own table on top
    cfg = parse_cli(stage_class("reinforce"), ["--config", "demo", "--max_steps", "7"],
                    prog="test", stage="reinforce")
    assert cfg.max_steps == 7 and cfg.num_generations == cpu["num_generations"]


def test_a_flat_config_file_and_bad_profiles_name_file_and_key(tmp_path):
    flat = tmp_path / "mine.toml"
    flat.write_text('max_steps = 3\nmodel = "tiny"\n')
    cfg = parse_cli(stage_class("distill"), ["--config", str(flat)], prog="test", stage="distill")
    assert (cfg.max_steps, cfg.model) == (3, "tiny")
    typo = tmp_path / "typo.toml"
    typo.write_text('[distill]\nmax_step = 3\n')
    with pytest.raises(ProfileError, match=r"typo\.toml: \[distill\] max_step: not a field"):
        read_profile(typo)
    stage = tmp_path / "stage.toml"
    stage.write_text('[distil]\nmax_steps = 3\n')
    with pytest.raises(ProfileError, match=r"stage\.toml: \[distil\] is not a stage"):
        read_profile(stage)
    loop = tmp_path / "loop.toml"
    loop.write_text(f'include = ["{loop}"]\n')
    with pytest.raises(ProfileError, match="includes itself"):
        read_profile(loop)
    broken = tmp_path / "broken.toml"
    broken.write_text("[distill\n")
    with pytest.raises(ProfileError, match=r"broken\.toml: not valid TOML"):
        read_profile(broken)
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        read_profile("nope")


def test_cli_config_errors_are_one_line(tmp_path, capsys):
    from rcwork.distill.cli import main

    typo = tmp_path / "typo.toml"
    typo.write_text('[distill]\nmax_step = 3\n')
    assert main(["--config", str(typo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "typo.toml: [distill] max_step" in err


def test_relative_paths_resolve_against_the_project_root_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as JupyterLab's kernel in notebooks/, or a shell elsewhere
    distill = stage_config("distill", "ci")
    assert distill.data == [str(ROOT / SEED_RECORDS)] and Path(distill.data[0]).exists()
    assert distill.output_dir == str(ROOT / "runs" / "distill")
    synth = stage_config("synthesize", "ci", {"output_dir": str(tmp_path / "out")})
    assert synth.problems == str(ROOT / "data" / "problems")
    assert synth.output_dir == str(tmp_path / "out")  # absolute paths are kept
    evaluate = stage_config("evaluate", "demo")
    assert evaluate.out_dir == str(ROOT / "runs" / "evaluate")
    assert evaluate.problems is None and evaluate.compare_to is None  # "not given" stays so
    reinforce = stage_config("reinforce", "demo")
    assert reinforce.warmup_records == str(ROOT / SEED_RECORDS)
    assert Path(stage_config("sweep", "demo").spec).exists()
    assert Path(stage_config("inspect", "demo").records).exists()
    # Resolving twice changes nothing (dataclasses.replace reruns __post_init__).
    assert dataclasses.replace(distill).data == distill.data
    assert project_path("/abs/x") == Path("/abs/x")


def test_a_missing_input_is_still_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    from rcwork.synthesis.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["--problems", "data/nope.jsonl", "--output_dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(ROOT / "data" / "nope.jsonl") in err


def test_limit_must_not_be_negative():
    with pytest.raises(ValueError, match="limit must be >= 0"):
        stage_config("evaluate", None, {"limit": -3})


# ---- defaults live in the dataclasses and the profile files, nowhere else -------------------

def _field_names() -> set[str]:
    names: set[str] = set()
    for stage in STAGE_DEFS:
        names |= {f.name for f in dataclasses.fields(stage_class(stage))}
    return names - {"output_dir"}  # outputs are the run folder's, not settings


CONFIG_BUILDERS = {"stage_config", "from_overrides", "parse_cli", "dict",
                   *(d.config.split(":")[1] for d in STAGE_DEFS.values())}


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def literal_settings(source: str, where: str) -> list[str]:
    """``"field": <literal>`` dict entries, and ``field=<literal>`` arguments of whatever builds
    a config, naming a stage config field: settings written down outside the dataclasses and
    the profiles."""
    fields, found = _field_names(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _callee(node) in CONFIG_BUILDERS:
            found += [f"{where}: {k.arg}={k.value.value!r}" for k in node.keywords
                      if k.arg in fields and isinstance(k.value, ast.Constant)]
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value in fields \
                        and isinstance(v, ast.Constant):
                    found.append(f"{where}: {k.value!r}: {v.value!r}")
    return found


def test_no_setting_is_written_in_a_lesson_the_pipeline_or_a_cli():
    sources = {f"notebooks/{p.name}": "\n".join(
        c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
        for p in sorted(NOTEBOOKS.glob("*.ipynb"))}
    for module in ("pipeline.py", "cli.py", "synthesis/cli.py", "distill/cli.py",
                   "evaluation/cli.py", "reflexi/cli.py"):
        sources[f"rcwork/{module}"] = (ROOT / "rcwork" / module).read_text()
    found = [hit for where, src in sources.items() for hit in literal_settings(src, where)]
    assert not found, "settings outside the stage dataclasses and configs/profiles/:\n" + \
        "\n".join(found)
    # And the check is live: a lesson that writes a number down is caught.
    assert literal_settings('config = {"max_steps": 8}', "x") == ["x: 'max_steps': 8"]
    assert literal_settings("stage_config('x', 'demo', dict(max_new_tokens=256))", "y") == [
        "y: max_new_tokens=256"]


def test_lesson_parameters_cells_name_a_profile_and_nothing_else():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code")
        assert "parameters" in cell.metadata.get("tags", []), path.name
        scope: dict = {}
        exec(cell.source, scope)
        assert {k for k in scope if not k.startswith("__")} == {"profile", "config"}, path.name
        assert scope["profile"] in profile_names() and scope["config"] == {}, path.name


def test_pipeline_notebook_parameters_are_a_profile_and_run_paths(tmp_path):
    for stage in STAGES:
        overrides = stage.overrides(tmp_path)
        json.dumps(overrides)  # papermill parameters must be plain data
        for key, value in overrides.items():
            values = value if isinstance(value, list) else [value]
            assert all(os.sep in str(v) for v in values), f"{stage.name}: {key}={value!r}"
