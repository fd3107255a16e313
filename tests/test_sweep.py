"""``rcwork sweep``: planning, the 'three' strategy, run folders, the registry, SIGKILL and
resume, instruction pairs, and the report section built from the sweep folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from rcwork.distill.masks import (THREE_STRATEGIES, check_strategy, hidden_tokens,
                                  step_strategy)
from rcwork.paths import project_root
from rcwork.sweep.registry import (EXTRA_SETS, PAIRED_COLUMNS, POOLED_COLUMNS,
                                   SET_PAIRED_COLUMNS)
from rcwork.sweep.spec import SpecError, plan, spec_from_dict

SEED = project_root() / "data" / "reflections" / "seed.jsonl"
CURVES = {"upsample": {"upsample_k": "1..3"}, "order": {"order": ["EAC", "ECA", "ACE"]},
          "strategy": {"strategy": ["block", "three"]},
          "ablation": {"ablation": ["none", "no_reflection"]}}


@pytest.fixture(scope="module")
def small_records(tmp_path_factory) -> Path:
    """The nine shortest seed records: the tiny model's byte tokenizer keeps them short."""
    lines = sorted(SEED.read_text().splitlines(), key=len)[:9]
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def spec_toml(data: Path, executor: str = "inline", curves: dict | None = None,
              evaluate: bool = False) -> str:
    lines = ['name = "t"', f'executor = "{executor}"', "[base]", 'model = "tiny"',
             "max_steps = 2", 'report_to = "none"', "threads = 1", "heldout = 3",
             "max_len = 4096", f'data = ["{data}"]', "[instruction_pairs]", "mix = false",
             "[heldout]", "problems_stride = 6", "humaneval_stride = 16"]
    if evaluate:  # two HumanEval problems, a few greedy tokens: pass@1 is 0, but scored
        lines += ["[evaluate]", "enabled = true", 'benchmark = "humaneval"', "limit = 2",
                  "max_new_tokens = 16", "batch_size = 2", "threads = 1", "workers = 1"]
    for name, axes in (curves or CURVES).items():
        lines.append(f"[curves.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in axes.items()]
    return "\n".join(lines) + "\n"


# ---- planning --------------------------------------------------------------------------------


def test_shared_point_is_planned_once_and_listed_under_every_curve():
    spec = spec_from_dict({"base": {"model": "tiny"}, "curves": CURVES,
                           "instruction_pairs": {}}, source="t.toml")
    points = plan(spec, pairs_path="/x/pairs.jsonl")
    assert len(points) == 7  # k1 k2 k3, ECA ACE, three, no_reflection; k2/EAC/block/none shared
    shared = [p for p in points if len(p.curves) > 1]
    assert len(shared) == 1
    assert shared[0].curves == ["upsample", "order", "strategy", "ablation"]
    assert shared[0].params == {"upsample_k": 2, "order": "EAC", "strategy": "block",
                                "ablation": "none"}
    assert len({p.id for p in points}) == 7
    # Only the point that needs instruction data gets it (mix = false).
    assert [p.params["ablation"] for p in points if p.distill.get("instruction_data")] == [
        "no_reflection"]


def test_seeds_repeat_every_point():
    spec = spec_from_dict({"curves": {"k": {"k": "1..2"}}, "seeds": [0, 1]})
    assert sorted((p.params["upsample_k"], p.params["seed"]) for p in plan(spec)) == [
        (1, 0), (1, 1), (2, 0), (2, 1)]


@pytest.mark.parametrize("data, message", [
    ({"curves": {}}, "no curves"),
    ({"curvez": {}, "curves": {"a": {"k": [1]}}}, "unknown key(s) curvez"),
    ({"curves": {"a": {"upsample_k": "1..x"}}}, "curves.a.upsample_k"),
    ({"curves": {"a": {"order": "EAC,EAC"}}}, "repeated values"),
    ({"curves": {"a": {"ablation": ["no_reflection"]}}}, "instruction data"),
    ({"curves": {"a": {"k": [1]}}, "heldout": {"set": ["records"]}}, "heldout.set: unknown"),
    ({"curves": {"a": {"k": [1]}}, "heldout": {"sets": ["humaneval"]}}, "holding records"),
    ({"curves": {"a": {"k": [1]}}, "heldout": {"sets": ["records", "mbpp"]}}, "heldout.sets"),
    ({"curves": {"a": {"k": [1]}}, "heldout": {"humaneval_stride": 0}}, "humaneval_stride"),
    ({"curves": {"a": {"k": [1]}}, "instruction_pairs": {"heldout": 1.5}}, "[0, 1)"),
    ({"curves": {"a": {"k": [1]}}, "instruction_pairs": {"held": 0.5}}, "instruction_pairs.held"),
])
def test_bad_specs_name_the_field(data, message):
    with pytest.raises(SpecError, match="t.toml") as e:
        plan(spec_from_dict(data, source="t.toml"))
    assert message in str(e.value)


@pytest.mark.parametrize("name", ["ci", "demo", "cpu", "full"])
def test_every_shipped_spec_plans(name, tmp_path):
    from rcwork.sweep import SweepConfig, make_plan

    p = make_plan(SweepConfig(spec=str(project_root() / "configs" / "sweeps" / f"{name}.toml"),
                              sweep_dir=str(tmp_path)))
    assert p.points and set(p.spec.heldout["sets"]) >= {"records"}
    if name == "cpu":  # the decisive CPU sweep: 5 settings x 2 seeds, every held-out unit
        assert len(p.points) == 10 and p.spec.seeds == [0, 1]
        assert p.spec.heldout["sets"] == ["records", "problems", "humaneval"]
        assert p.spec.heldout["humaneval_stride"] == p.spec.heldout["problems_stride"] == 1
        assert {pt.params["ablation"] for pt in p.points} == {"none", "no_distill",
                                                              "no_reflection"}


def test_a_bad_value_names_the_point(tmp_path):
    from rcwork.sweep import SweepConfig, make_plan

    cfg = SweepConfig(axes=["order=EAC,XYZ"], base=["model=tiny"], sweep_dir=str(tmp_path))
    with pytest.raises(SpecError, match=r"point kXYZ|XYZ.*block order|block order"):
        make_plan(cfg)
    with pytest.raises(SpecError, match="has no field 'lr'"):
        make_plan(SweepConfig(axes=["lr=1,2"], sweep_dir=str(tmp_path)))


# ---- the 'three' strategy ---------------------------------------------------------------------


def test_three_draws_one_block_strategy_per_step_from_seed_and_step():
    draws = [step_strategy("three", 7, s) for s in range(60)]
    assert set(draws) == set(THREE_STRATEGIES)  # all three are used
    assert draws == [step_strategy("three", 7, s) for s in range(60)]  # deterministic
    assert draws != [step_strategy("three", 8, s) for s in range(60)]  # the seed matters
    for other in ("block", "random_token", "all"):
        assert step_strategy(other, 7, 3) == other
    check_strategy("three", "ECA")
    with pytest.raises(ValueError, match="permutation"):
        check_strategy("three", "EEC")


def test_three_masks_as_its_drawn_strategy(tiny):
    from rcwork.distill.toy import toy_records
    from rcwork.encoding import encode_record

    _, tok = tiny
    enc = encode_record(toy_records(1)[0], tok).teacher
    for seed in range(6):
        drawn = step_strategy("three", seed, 0)
        assert hidden_tokens(enc, "three", 0.5, seed=seed) == hidden_tokens(enc, drawn, 0.5,
                                                                             seed=seed)


def test_trainer_batches_use_the_step_drawn_strategy(tiny, tmp_path):
    from rcwork.distill.data import DistillDataset
    from rcwork.distill.toy import toy_records
    from rcwork.distill.trainer import DistillConfig, DistillTrainer
    from rcwork.encoding import encode_record

    model, tok = tiny
    enc = [encode_record(r, tok).teacher for r in toy_records(2)]
    cfg = DistillConfig(output_dir=str(tmp_path), strategy="three", max_steps=30,
                        report_to="none", seed=3)
    trainer = DistillTrainer(model=model, args=cfg, train_dataset=DistillDataset(enc, k=1),
                             processing_class=tok)
    trainer.state.max_steps = 30
    seen = set()
    for step in range(30):
        trainer.state.global_step = step
        batch = trainer.make_batch([trainer.train_dataset[0], trainer.train_dataset[1]])
        assert batch.strategy == step_strategy("three", 3, step)
        seen.add(batch.strategy)
    assert seen == set(THREE_STRATEGIES)


# ---- instruction pairs ----------------------------------------------------------------------


def test_problem_pairs_leave_out_what_the_seed_records_solve(tmp_path):
    from rcwork.instruction_pairs import write_problem_pairs
    from rcwork.problems import load_problems
    from rcwork.records import read_pairs_jsonl, read_records

    summary = write_problem_pairs(tmp_path / "pairs.jsonl")
    pairs = read_pairs_jsonl(tmp_path / "pairs.jsonl")
    assert len(pairs) == summary["pairs"] and summary["pairs"] + len(summary["excluded"]) == 156
    assert summary["excluded"], "some seed records solve rcwork problems"
    seed_text = " ".join(r.source_instruction for r in read_records(SEED))
    problems = {p.task_id: p for p in load_problems(project_root() / "data" / "problems")}
    for pair in pairs:
        p = problems[pair.metadata.extra["task_id"]]
        assert p.entry_point not in seed_text
        assert pair.instruction == p.instruction
        assert [b.kind for b in pair.response] == ["code"]


def test_problem_pairs_split_off_a_heldout_share_by_task_id(tmp_path):
    from rcwork.instruction_pairs import is_heldout, write_problem_pairs
    from rcwork.records import read_pairs_jsonl

    whole = write_problem_pairs(tmp_path / "all.jsonl")
    split = write_problem_pairs(tmp_path / "train.jsonl", heldout=0.5,
                                heldout_path=tmp_path / "held.jsonl")
    train = [p.metadata.extra["task_id"] for p in read_pairs_jsonl(tmp_path / "train.jsonl")]
    held = [p.metadata.extra["task_id"] for p in read_pairs_jsonl(tmp_path / "held.jsonl")]
    assert held == split["heldout"] and not set(train) & set(held)
    assert len(train) + len(held) == whole["pairs"] == 130 and 40 <= len(held) <= 90
    assert all(is_heldout(t, 0.5) for t in held) and not any(is_heldout(t, 0.5) for t in train)
    # a smaller share holds a subset of a larger one's problems: the split is by id alone
    assert {t for t in held if is_heldout(t, 0.25)} == {t for t in train + held
                                                          if is_heldout(t, 0.25)}
    with pytest.raises(ValueError, match="heldout_path"):
        write_problem_pairs(tmp_path / "x.jsonl", heldout=0.5)


# ---- a whole sweep: kill, resume, registry, report ------------------------------------------


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


SUBPROCESS_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def kill_when(cmd: list[str], cwd: Path, done, *, timeout_s: float) -> None:
    """Run ``cmd`` in a session of its own until ``done()``, then SIGKILL the whole session
    (the sweep and everything it started), as a crash would."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=SUBPROCESS_ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout_s
        while not done():
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, f"no point finished within {timeout_s:.0f} s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stderr.close()


def test_sweep_survives_sigkill_and_resumes_every_point_once(small_records, tmp_path):
    from rcwork.sweep import SweepConfig, run_sweep
    from rcwork.sweep.report import section

    spec = tmp_path / "spec.toml"
    spec.write_text(spec_toml(small_records))
    sweep_dir = tmp_path / "sweep"
    registry = sweep_dir / "registry.jsonl"
    kill_when([sys.executable, "-m", "rcwork", "sweep", "--spec", str(spec), "--sweep_dir",
               str(sweep_dir), "--progress", "false"], project_root(),
              lambda: bool(_rows(registry)), timeout_s=240)
    before = {r["id"]: r for r in _rows(registry)}
    plan_ids = [p["id"] for p in json.loads((sweep_dir / "plan.json").read_text())["points"]]
    assert 1 <= len(before) < len(plan_ids) == 7

    summary = run_sweep(SweepConfig(sweep_dir=str(sweep_dir), progress=False))
    assert not summary["failed"]
    assert set(summary["skipped"]) == set(before)  # finished points were not rerun
    rows = _rows(registry)
    assert [r["id"] for r in rows] == plan_ids  # every point exactly once, in plan order
    for r in rows:
        timing = json.loads((sweep_dir / r["run"] / "timing.json").read_text())
        if r["id"] in before:
            # the paired columns depend on which other points had finished
            keep = [k for k in r
                    if k not in PAIRED_COLUMNS + SET_PAIRED_COLUMNS + POOLED_COLUMNS
                    and k != "curves"]
            assert {k: r[k] for k in keep} == {k: before[r["id"]][k] for k in keep}
            assert r["attempts"] == 1
        else:  # at most the point the kill interrupted ran twice
            assert timing["attempts"] in (1, 2)
        assert r["nll_after_low"] <= r["nll_after"] <= r["nll_after_high"]
        assert r["heldout_records"] == 3 and r["steps"] == 2 and r["commit"]
        for name in ("config.json", "metrics.json", "heldout_records.json", "timing.json"):
            assert (sweep_dir / r["run"] / name).exists(), name
    assert sum(json.loads((sweep_dir / r["run"] / "timing.json").read_text())["attempts"] == 2
               for r in rows) <= 1
    shared = [r for r in rows if len(r["curves"]) > 1]
    assert len(shared) == 1 and len(shared[0]["curves"]) == 4
    # Every other point carries its paired comparison with the shared (reference) point.
    compared = [r for r in rows if r is not shared[0]]
    assert shared[0]["reference"] is None
    pairs = json.loads((sweep_dir / "instruction_pairs.json").read_text())
    trained = {json.loads(x)["metadata"]["task_id"]
               for x in (sweep_dir / "instruction_pairs.jsonl").read_text().splitlines()}
    assert pairs["heldout"] and not trained & set(pairs["heldout"])  # never trained on
    for r in rows:  # every point measured on the two larger held-out sets, unit by unit
        held = json.loads((sweep_dir / r["run"] / "heldout_records.json").read_text())
        assert held["sets"]["problems"]["after"]["ids"] == pairs["heldout"][::6]
        assert r["problems_units"] == len(pairs["heldout"][::6]) and r["humaneval_units"] == 11
        for name in EXTRA_SETS:
            assert r[f"nll_{name}_low"] <= r[f"nll_{name}_after"] <= r[f"nll_{name}_high"]
            assert held["sets"][name]["after"]["nll"] == pytest.approx(r[f"nll_{name}_after"])
    # three comparisons a point: the records and the two held-out sets, Holm over them all
    for r in compared:
        assert r["reference"] == shared[0]["id"] and r["paired_metric"] == "nll"
        assert r["paired_weighting"] == "per token" and r["comparisons"] == 3 * len(compared)
        for name in EXTRA_SETS:
            assert r[f"diff_low_{name}"] <= r[f"diff_{name}"] <= r[f"diff_high_{name}"]
            assert r[f"diff_{name}"] == pytest.approx(
                r[f"nll_{name}_after"] - shared[0][f"nll_{name}_after"], abs=1e-5)
            assert 0 < r[f"p_{name}"] <= r[f"p_holm_{name}"] <= 1
        assert r["diff_low"] <= r["diff_vs_reference"] <= r["diff_high"]
        assert r["diff_vs_reference"] == pytest.approx(
            r["nll_after"] - shared[0]["nll_after"], abs=1e-5)  # the stage's mean: rel 1e-4
        assert 0 < r["p_permutation"] <= r["p_holm"] <= 1
    three = next(r for r in rows if r["strategy"] == "three")
    assert three["steps"] == 2
    no_refl = next(r for r in rows if r["ablation"] == "no_reflection")
    no_refl_metrics = json.loads((sweep_dir / no_refl["run"] / "metrics.json").read_text())
    assert no_refl_metrics["instruction_pairs"]["train"] == pairs["pairs"] > 50
    assert no_refl_metrics["reflection_samples"] == 0

    # The per-record NLLs reproduce the stage's held-out means.
    for r in rows:
        held = json.loads((sweep_dir / r["run"] / "heldout_records.json").read_text())
        assert held["after"]["nll"] == pytest.approx(r["nll_after"], rel=1e-4)
        assert held["before"]["nll"] == pytest.approx(r["nll_before"], rel=1e-4)

    again = run_sweep(SweepConfig(sweep_dir=str(sweep_dir), progress=False))
    assert again["ran"] == [] and len(again["skipped"]) == 7
    # The sweep's own page: its answers, then its curves, written with the registry.
    page = Path(again["report"]).read_text()
    assert Path(again["report"]) == sweep_dir / "report.html"
    assert page.index("What this run answered") < page.index("difference to reference")
    assert "self-distillation vs NTP on the same reflection data" in page

    # The registry is one table for pandas and datasets.
    import datasets
    import pandas as pd

    df = pd.read_json(registry, lines=True)
    assert len(df) == 7 and {"nll_after", "upsample_k", "order", "curves"} <= set(df.columns)
    ds = datasets.load_dataset("json", data_files=str(registry), split="train",
                               cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 7 and ds[0]["id"] == plan_ids[0]

    parts = section(sweep_dir)
    figs = [p for p in parts if isinstance(p, go.Figure)]
    text = "".join(p for p in parts if isinstance(p, str))
    titles = [a.text for f in figs for a in f.layout.annotations]
    assert any("Figure 4" in t for t in titles) and any("Table 3" in t for t in titles)
    assert any("Tables 2 and 8" in t for t in titles)
    for f in figs[:-1]:  # every rcwork point has its interval
        rc = f.data[0]
        assert len(rc.error_y.array) == len(rc.y) and all(v >= 0 for v in rc.error_y.array)
        assert all(v >= 0 for v in rc.error_y.arrayminus)
    assert text.count("difference to reference") == 4 and "inside the noise" in text
    curves = figs[-1]
    assert len(curves.data) == 7 * 5 and curves.layout.updatemenus[0].buttons[0].label == "loss"


@pytest.mark.slow
def test_submitit_jobs_run_the_ci_sweep_survive_a_kill_and_resume(tmp_path):
    """``--executor submitit`` with submitit's local executor (the code path a SLURM cluster
    takes, with subprocesses for jobs): the CI spec's points run as jobs; killing the sweep and
    its jobs mid-way and rerunning finishes it with every point in the registry once."""
    spec = project_root() / "configs" / "sweeps" / "ci.toml"
    sweep_dir = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "rcwork", "sweep", "--spec", str(spec), "--sweep_dir",
           str(sweep_dir), "--executor", "submitit", "--submitit_cluster", "local",
           "--progress", "false"]
    registry = sweep_dir / "registry.jsonl"
    kill_when(cmd, tmp_path, lambda: bool(list(sweep_dir.glob("runs/*/row.json"))),
              timeout_s=300)  # the sweep and its local jobs
    plan_ids = [p["id"] for p in json.loads((sweep_dir / "plan.json").read_text())["points"]]
    finished = {p.parent.name for p in sweep_dir.glob("runs/*/row.json")}
    assert 1 <= len(finished) <= len(plan_ids) == 3
    assert list(sweep_dir.glob("submitit/*")), "no job was submitted through submitit"

    done = subprocess.run(cmd, cwd=tmp_path, env=SUBPROCESS_ENV, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(registry)
    assert [r["id"] for r in rows] == plan_ids  # every point exactly once, in plan order
    for r in rows:
        timing = json.loads((sweep_dir / r["run"] / "timing.json").read_text())
        assert timing["attempts"] == (1 if r["id"] in finished else timing["attempts"])
        assert r["steps"] == 2 and r["nll_after_low"] <= r["nll_after"] <= r["nll_after_high"]
    assert f"already done {len(finished)}" in done.stdout


def test_a_notebook_point_keeps_its_executed_notebook(small_records, tmp_path):
    from rcwork.sweep import SweepConfig, run_sweep

    spec = tmp_path / "spec.toml"
    spec.write_text(spec_toml(small_records, "notebook", {"one": {"upsample_k": [1]}}))
    summary = run_sweep(SweepConfig(spec=str(spec), sweep_dir=str(tmp_path / "s"),
                                    progress=False))
    assert len(summary["ran"]) == 1 and not summary["failed"]
    run = tmp_path / "s" / "runs" / summary["ran"][0]
    nb = json.loads((run / "notebooks" / "04_distill.ipynb").read_text())
    assert nb["metadata"]["papermill"]["parameters"]["config"]["upsample_k"] == 1
    assert json.loads((run / "row.json").read_text())["upsample_k"] == 1
    assert not (run / "distill" / "model").exists()  # weights dropped once measured


def test_points_run_in_parallel_one_worker_per_device_and_evaluate(small_records, tmp_path):
    """Two workers, each running its points as subprocesses that see only its device (on a
    CPU the ids are just what CUDA_VISIBLE_DEVICES is set to); each point is evaluated, and
    the report then draws pass@1 with intervals over problems."""
    from rcwork.sweep import SweepConfig, run_sweep
    from rcwork.sweep.report import section

    spec = tmp_path / "spec.toml"
    spec.write_text(spec_toml(small_records, curves={"k": {"upsample_k": [1, 2]}},
                              evaluate=True))
    summary = run_sweep(SweepConfig(spec=str(spec), sweep_dir=str(tmp_path / "s"),
                                    devices="0,1", progress=False))
    assert len(summary["ran"]) == 2 and not summary["failed"]
    rows = _rows(tmp_path / "s" / "registry.jsonl")
    assert [r["upsample_k"] for r in rows] == [1, 2]
    devices = {json.loads((tmp_path / "s" / r["run"] / "timing.json").read_text())["devices"]
               for r in rows}
    assert devices == {"0", "1"}  # each worker took one point while the other ran
    for r in rows:
        results = json.loads((tmp_path / "s" / r["run"] / "results.json").read_text())
        assert r["pass_at_1"] == results["pass@1"] and r["n_problems"] == 2
        assert r["pass_at_1_low"] <= r["pass_at_1"] <= r["pass_at_1_high"]
    figs = [p for p in section(tmp_path / "s") if isinstance(p, go.Figure)]
    assert figs[0].layout.yaxis.title.text.startswith("pass@1")


def test_an_unfinished_point_reuses_its_training_or_resumes_from_a_checkpoint(
        small_records, tmp_path):
    from rcwork.sweep import SweepConfig, run_sweep

    spec = tmp_path / "spec.toml"
    spec.write_text(spec_toml(small_records, curves={"one": {"upsample_k": [1]}}).replace(
        "[instruction_pairs]", 'save_strategy = "steps"\nsave_steps = 1\n[instruction_pairs]'))
    cfg = SweepConfig(spec=str(spec), sweep_dir=str(tmp_path / "s"), progress=False,
                      keep_models=True)
    (pid,) = run_sweep(cfg)["ran"]
    run = tmp_path / "s" / "runs" / pid
    first = json.loads((run / "row.json").read_text())
    assert (run / "distill" / "checkpoint-2").is_dir()

    (run / "row.json").unlink()  # killed after training, before the point finished
    assert run_sweep(cfg)["ran"] == [pid]
    timing = json.loads((run / "timing.json").read_text())
    assert timing["attempts"] == 2 and timing["distill_reused"]
    assert json.loads((run / "row.json").read_text())["nll_after"] == first["nll_after"]

    (run / "row.json").unlink()  # killed during training: checkpoint-2 is the last step's
    (run / "distill" / "metrics.json").unlink()
    assert run_sweep(cfg)["ran"] == [pid]
    timing = json.loads((run / "timing.json").read_text())
    assert timing["attempts"] == 3 and timing["resumed_from_checkpoint"] == "checkpoint-1"
    again = json.loads((run / "row.json").read_text())
    assert again["steps"] == 2 and again["nll_after"] == pytest.approx(first["nll_after"],
                                                                       rel=1e-5)
