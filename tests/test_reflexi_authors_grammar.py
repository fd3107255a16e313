"""rcwork's ReflexiCoder parser and rewards against the authors' released code.

``tests/authors_reflexicoder.py`` transcribes the authors' ``CompletionParser``, their code
extraction and their reward arithmetic (juyongjiang/ReflexiCoder ``rewards_code/reflection.py``,
``rewards_code/sandbox/code_reward.py``; file and line in that module).  Here every edge case the
two readings can disagree on — prose between elements, stray and nested tags, an empty answer
absorbed into the next, trailing text, a non-Python last block, a one-line fence, partial
scores near r_max, more reflections than the cap, all-pass / all-fail / regressions — is scored
both ways and must agree to 1e-9; a seeded tag soup checks the parser beyond the hand-made cases.
The ``strict`` grammar must keep rejecting what it rejected before.
"""

from __future__ import annotations

import math
import random

import pytest

from rcwork.reflexi.rewards import (TrajectoryRewards, combined_reward, cycle_regulation,
                                    efficiency, iterative_quality, step_term)
from rcwork.reflexi.trajectory import (answer_code, parse_trajectory, protocol_violations)
from tests import authors_reflexicoder as authors

RIGHT = "def add(a, b):\n    return a + b"
WRONG = "def add(a, b):\n    return a - b"
TEST = "assert add(1, 2) == 3\nassert add(-1, 1) == 0"


def py(body: str) -> str:
    return f"```python\n{body}\n```"


def traj(*answers: str, think: str = "plan", gap: str = "\n") -> str:
    parts = [f"<think>{think}</think>", f"<answer>{answers[0]}</answer>"]
    for a in answers[1:]:
        parts += ["<reflection>STATUS: BUG_DETECTED\nlooked again</reflection>",
                  f"<answer>{a}</answer>"]
    return gap.join(parts)


# name -> (completion, authors' F, strict F)
CASES: dict[str, tuple[str, float, float]] = {
    "well formed, improves": (traj(py(WRONG), py(RIGHT)), 1.0, 1.0),
    "well formed, all pass": (traj(py(RIGHT), py(RIGHT)), 1.0, 1.0),
    "well formed, all fail": (traj(py(WRONG), py(WRONG)), 1.0, 1.0),
    "regression": (traj(py(RIGHT), py(WRONG)), 1.0, 1.0),
    "regression then recovery": (traj(py(RIGHT), py(WRONG), py(WRONG), py(RIGHT)), 1.0, 1.0),
    "prose before think": ("Sure! Here it is.\n" + traj(py(WRONG), py(RIGHT)), 1.0, 0.0),
    "prose between think and answer": (
        traj(py(WRONG), py(RIGHT)).replace("</think>\n", "</think>\nSo the code is:\n"),
        1.0, 0.0),
    "prose between answer and reflection": (
        traj(py(WRONG), py(RIGHT)).replace("</answer>\n<reflection>",
                                           "</answer>\nLet me check.\n<reflection>"), 1.0, 0.0),
    "stray closing tag between elements": (
        traj(py(WRONG), py(RIGHT)).replace("</think>\n", "</think>\n</reflection>\n"),
        1.0, 0.0),
    "stray opening reflection inside think": (
        traj(py(WRONG), py(RIGHT), think="plan <reflection> maybe later"), 1.0, 1.0),
    "stray answer closing before the first answer": (
        traj(py(WRONG), py(RIGHT)).replace("</think>\n", "</think>\n</answer>\n"), 1.0, 0.0),
    "nested think": (traj(py(WRONG), py(RIGHT), think="a <think> b"), 1.0, 1.0),
    "text after the closing think of a nested think": (
        traj(py(WRONG), py(RIGHT), think="a <think> b </think> c"), 1.0, 0.0),
    "empty answer absorbed into the next": (
        "<think>t</think>\n<answer></answer>\n<reflection>STATUS: BUG_DETECTED\nx</reflection>"
        f"\n<answer>{py(WRONG)}</answer>\n<reflection>STATUS: BUG_DETECTED\ny</reflection>\n"
        f"<answer>{py(RIGHT)}</answer>", 1.0, 0.0),
    "answer without python fence absorbed": (
        traj("no code yet", py(WRONG), py(RIGHT)), 1.0, 0.0),
    "an answer skipped by the reflection search": (
        f"<think>t</think>\n<answer>{py(WRONG)}</answer>\n<answer>{py(WRONG)}</answer>\n"
        f"<reflection>STATUS: BUG_DETECTED\nz</reflection>\n<answer>{py(RIGHT)}</answer>",
        1.0, 0.0),
    "trailing text": (traj(py(WRONG), py(RIGHT)) + "\nHope this helps!", 0.0, 0.0),
    "trailing reflection without answer": (
        traj(py(WRONG), py(RIGHT)) + "\n<reflection>STATUS: OPTIMIZATION_ONLY</reflection>",
        0.0, 0.0),
    "trailing unclosed answer": (traj(py(WRONG), py(RIGHT)) + "\n<answer>", 0.0, 0.0),
    "non-python last block": (
        traj(py(WRONG) + "\nor shorter:\n```py\n" + RIGHT + "\n```",
             py(WRONG) + "\nExample:\n```\nadd(1, 2)  # 3\n```"), 1.0, 1.0),
    "example block scores the answer": (
        traj(py(WRONG), py(WRONG) + "\nFixed:\n```py\n" + RIGHT + "\n```"), 1.0, 1.0),
    "one-line python fence": (traj("```python " + RIGHT + "```", py(RIGHT)), 1.0, 1.0),
    "fence with language but no newline, then a block": (
        traj("```python x = 1``` then\n```\n" + RIGHT + "\n```", py(RIGHT)), 1.0, 1.0),
    "closing answer tag inside the code": (
        traj(py(RIGHT + "\n# </answer> in a comment"), py(RIGHT)), 1.0, 0.0),
    "closing think inside the think's code": (
        traj(py(RIGHT), py(RIGHT), think="```\nprint('</think>')\n```"), 1.0, 0.0),
    "no reflection": (f"<think>t</think><answer>{py(RIGHT)}</answer>", 0.0, 0.0),
    "unclosed think": (traj(py(WRONG), py(RIGHT)).replace("</think>", ""), 0.0, 0.0),
    "no think": (traj(py(WRONG), py(RIGHT)).split("</think>", 1)[1], 0.0, 0.0),
    "unfenced code everywhere": (traj(RIGHT, RIGHT), 0.0, 0.0),
    "unicode whitespace around": ("\u00a0\u2003" + traj(py(WRONG), py(RIGHT)) + "\u3000\n",
                                  1.0, 1.0),
    "six reflections (over the cap)": (traj(*[py(WRONG)] * 6, py(RIGHT)), 1.0, 1.0),
    "eight reflections, all pass": (traj(*[py(RIGHT)] * 9), 1.0, 1.0),
    "empty": ("", 0.0, 0.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parser_agrees_with_the_authors(name):
    text, f_authors, f_strict = CASES[name]
    theirs = authors.CompletionParser().parse(text)
    ours = parse_trajectory(text)
    assert theirs[0] == f_authors, "the case's expectation is the authors' own value"
    assert float(ours.well_formed) == theirs[0], ours.reason
    assert ours.n_reflections == theirs[1]
    if ours.well_formed:
        assert ours.answer_texts == theirs[2]
        assert ours.answers == [authors.extract_code_from_model(a) or "" for a in theirs[2]]
    strict = parse_trajectory(text, "strict")
    assert float(strict.well_formed) == f_strict, strict.reason


def test_the_issues_examples():
    """The two totals the fidelity review measured: 3.75 (authors) vs 0 / 0.75 (strict)."""
    absorbed = CASES["empty answer absorbed into the next"][0]
    t = parse_trajectory(absorbed)
    assert t.well_formed and t.n_reflections == 1 and t.answers == [WRONG, RIGHT]
    expected = 1 + 0.5 * (1 + 0.5 * math.tanh(10)) + (1 + 1 / (1 + 1e-6))
    assert combined_reward(True, 1, [0, 1]) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(3.75, abs=1e-5)
    assert not parse_trajectory(absorbed, "strict").well_formed
    example = traj(py(WRONG), py(WRONG) + "\nFixed:\n```py\n" + RIGHT + "\n```")
    assert parse_trajectory(example).answers == [WRONG, RIGHT]
    assert parse_trajectory(example, "strict").answers == [WRONG + "\n", WRONG + "\n"]


def test_answer_code_readings():
    assert answer_code("```python\nx = 1\n```\n```text\nout\n```") == "out"
    assert answer_code("```python\nx = 1\n```\n```text\nout\n```", "strict") == "x = 1\n"
    assert answer_code("````\nx\n```") == "x"  # four backticks: the scan restarts one later
    assert answer_code("```python x = 1```") is None
    assert answer_code("```python x = 1```", "strict") == "x = 1"
    assert answer_code("```python\n  x = 1  \n\n```") == "x = 1"
    with pytest.raises(ValueError, match="reward grammar"):
        answer_code("x", "lenient")


def test_strict_violations_are_reported_beside_the_reward():
    text = CASES["prose between think and answer"][0]
    t = parse_trajectory(text)
    assert t.well_formed and t.skipped == ["So the code is:"]
    problems = protocol_violations(t)
    assert problems and problems[0].startswith("not in the strict format: expected <answer>")
    assert protocol_violations(parse_trajectory(CASES["well formed, improves"][0])) == []


# ---------------------------------------------------------------------------- a tag soup

PIECES = ["<think>", "</think>", "<answer>", "</answer>", "<reflection>", "</reflection>",
          "```python", "```python\n", "```", "```\n", "```py\n", "\n", " ", "x", "ab",
          "\u00a0", "STATUS: BUG_DETECTED", "`", "<", ">", "python", "_", "\t"]
SKELETON = ["<think>", "t", "</think>", "<answer>", "```python\n", "x", "```", "</answer>",
            "<reflection>", "r", "</reflection>", "<answer>", "```python\n", "y", "```",
            "</answer>"]


def _soup(rng: random.Random) -> str:
    if rng.random() < 0.5:  # a well-formed skeleton with random edits: near misses
        parts = list(SKELETON) * rng.randint(1, 2)
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(parts) + 1)
            op = rng.random()
            if op < 0.4:
                parts.insert(i, rng.choice(PIECES))
            elif op < 0.7 and parts:
                parts.pop(min(i, len(parts) - 1))
            elif parts:
                parts[min(i, len(parts) - 1)] = rng.choice(PIECES)
        return "".join(parts)
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))


def test_parser_agrees_with_the_authors_on_a_tag_soup():
    rng = random.Random(18)
    parser = authors.CompletionParser()
    formed = 0
    for _ in range(4000):
        text = _soup(rng)
        f, n, groups = parser.parse(text)
        ours = parse_trajectory(text)
        assert (float(ours.well_formed), ours.n_reflections) == (f, n), text
        if f:
            formed += 1
            assert ours.answer_texts == groups, text
            assert ours.answers == [authors.extract_code_from_model(g) or "" for g in groups]
        for piece in (text, *groups):
            assert answer_code(piece) == authors.extract_code_from_model(piece), piece
    assert formed > 400  # the soup reaches the well-formed side often enough to mean something


# ---------------------------------------------------------------------------- reward arithmetic

SCORES = [
    [0, 1], [1, 1], [0, 0], [1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 0, 1], [1, 1, 1, 1, 1, 1],
    [0] * 6 + [1], [1] * 9, [0] * 9, [0.99995, 0.99999], [0.99995, 0.99995],
    [0.9998, 0.99985], [0.5, 0.50005], [0.5, 0.5], [1.0, 0.99995], [0.3, 0.7, 0.6],
    [1.0000001, 1.0], [0.25, 0.25, 1.0],
]


@pytest.mark.parametrize("scores", SCORES, ids=[str(s) for s in SCORES])
def test_reward_arithmetic_is_the_authors(scores):
    n = len(scores) - 1
    assert cycle_regulation(True, n) == pytest.approx(
        authors.cycle_count_regulation(1.0, n), abs=1e-12)
    assert iterative_quality(True, n, scores) == pytest.approx(
        authors.iterative_quality(1.0, n, scores), abs=1e-9)
    assert efficiency(True, n, scores) == pytest.approx(
        authors.efficiency(1.0, n, scores), abs=1e-9)
    for f in (0.0, 1.0):
        p = authors.cycle_count_regulation(f, n)
        total = f + 0.5 * p * authors.iterative_quality(f, n, scores) + p * authors.efficiency(
            f, n, scores)
        assert combined_reward(bool(f), n, scores) == pytest.approx(total, abs=1e-9)


def test_stagnation_near_r_max_is_the_authors_test():
    # 0.99995 → 0.99999: |d| ≤ ε and |r_prev − r_max| ≤ ε, so +h_pos (authors) where the
    # strict reading (r_prev ≥ r_max) said −h_neg.
    assert step_term(0.99995, 0.99999) == 0.05
    assert step_term(0.99995, 0.99999, "strict") == -1.0
    assert iterative_quality(True, 1, [0.99995, 0.99999]) == pytest.approx(
        0.99999 + 0.5 * 0.05, abs=1e-12)
    assert iterative_quality(True, 1, [0.99995, 0.99999], "strict") == pytest.approx(
        0.99999 - 0.5, abs=1e-12)


# ---------------------------------------------------------------------------- TRL functions

@pytest.mark.slow
@pytest.mark.parametrize("grammar", ["authors", "strict"])
def test_trl_reward_functions_equal_the_authors_on_every_case(grammar):
    """rcwork's three TRL reward functions, answers executed in the sandbox, against the
    authors' arithmetic on the authors' extracted code run by the same sandbox."""
    from rcwork.evaluation.data import BenchmarkProblem
    from rcwork.reflexi.execution import AnswerScorer

    scorer = AnswerScorer(timeout_s=5.0, workers=2)
    problem = BenchmarkProblem(task_id="t/add", prompt="", instruction="", entry_point="add",
                               test=TEST, check_call=False)
    names = sorted(CASES)
    completions = [[{"role": "assistant", "content": CASES[k][0]}] for k in names]
    columns = dict(task_id=["t/add"] * len(names), entry_point=["add"] * len(names),
                   test=[TEST] * len(names), check_call=[False] * len(names))
    rewards = TrajectoryRewards(scorer, reward_grammar=grammar)
    got = {"format": rewards.format_reward(completions, **columns),
           "quality": rewards.quality_reward(completions, **columns),
           "efficiency": rewards.efficiency_reward(completions, **columns)}

    def passes(code: str) -> bool:
        return scorer.score([(code, problem)])[0]

    for i, name in enumerate(names):
        text = CASES[name][0]
        if grammar == "authors":
            expected = authors.rewards(text, passes)
        else:  # the strict reading: F and the codes differ, the arithmetic is the same
            t = parse_trajectory(text, "strict")
            f = float(t.well_formed)
            scores = [float(passes(c)) for c in t.answers] if t.well_formed else []
            n = t.n_reflections
            p = authors.cycle_count_regulation(f, n)
            expected = {"format": f, "quality": p * authors.iterative_quality(f, n, scores),
                        "efficiency": p * authors.efficiency(f, n, scores)}
        for key in ("format", "quality", "efficiency"):
            assert got[key][i] == pytest.approx(expected[key], abs=1e-9), (name, key)
    if grammar == "authors":
        by_name = dict(zip(names, range(len(names))))
        i = by_name["empty answer absorbed into the next"]
        total = got["format"][i] + 0.5 * got["quality"][i] + got["efficiency"][i]
        assert total == pytest.approx(3.75, abs=1e-5)
        i = by_name["example block scores the answer"]
        assert got["format"][i] + 0.5 * got["quality"][i] + got["efficiency"][i] == \
            pytest.approx(3.75, abs=1e-5)


def test_reinforce_config_names_the_grammar():
    from rcwork.reflexi.config import ReinforceConfig

    assert ReinforceConfig(output_dir="unused", report_to="none").reward_grammar == "authors"
    with pytest.raises(ValueError, match="reward grammar"):
        ReinforceConfig(output_dir="unused", report_to="none", reward_grammar="lenient")
