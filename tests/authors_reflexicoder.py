"""A test-side transcription of the ReflexiCoder authors' released reward code.

Written from juyongjiang/ReflexiCoder (commit af90cb5), line by line, without rcwork's code, so
``tests/test_reflexi_authors_grammar.py`` can compare rcwork's parser and rewards with what the
authors' code computes.  The asyncio plumbing, the thread pool, the trajectory cache and the
exception handlers (which only turn errors into 0.0) are left out; the arithmetic and the regular
expressions are theirs:

* :class:`CompletionParser` — ``rewards_code/reflection.py`` lines 13–69;
* :func:`extract_code_from_model` — ``rewards_code/sandbox/code_reward.py`` lines 24–37, and
  ``RewardCodeFn.__call__`` lines 303–306 (no block: reward 0 without running);
* :func:`cycle_count_regulation` — reflection.py lines 151–163 (constants: ``src/open_r1/rewards.py``
  lines 740–745);
* :func:`iterative_quality` — reflection.py lines 174–214 (constants: rewards.py lines 778–786);
* :func:`efficiency` — reflection.py lines 226–238 (ε: rewards.py line 863);
* the two products P·R and P·E — reflection.py lines 251–257 and 268–274; the trained sum
  F + 0.5·P·R + 1.0·P·E — ``configs/reflexicoder/config_grpo.yaml`` (reward_funcs / reward_weights).
"""

from __future__ import annotations

import math
import re
from typing import Callable

ALPHA, BETA, GAMMA, DELTA = 0.1, 2.0, 0.05, 0.1          # rewards.py 741–744
LAMBDA, S, EPS, H_POS, H_NEG, R_MAX, ETA = 0.2, 0.1, 0.0001, 0.05, 1.0, 1.0, 0.5  # 779–785
EFF_EPS = 1e-6                                           # rewards.py 863


class CompletionParser:
    """reflection.py 13–69, for sample_language 'python'."""

    def __init__(self, sample_language: str = "python"):
        self.reason_re = re.compile(r"<think>\s*([\s\S]*?)\s*</think>", re.MULTILINE)
        self.answer_re = re.compile(
            rf"<answer>\s*([\s\S]*?```{re.escape(sample_language)}[\s\S]*?```[\s\S]*?)\s*</answer>",
            re.MULTILINE)
        self.reflection_re = re.compile(r"<reflection>\s*([\s\S]*?)\s*</reflection>",
                                        re.MULTILINE)

    def parse(self, text: str) -> tuple[float, int, list[str]]:
        text = text.strip()
        pos = 0
        count = 0
        answers: list[str] = []
        m = self.reason_re.search(text, pos)
        if not m:
            return 0.0, 0, []
        pos = m.end()
        m = self.answer_re.search(text, pos)
        if not m:
            return 0.0, 0, []
        answers.append(m.group(1))
        pos = m.end()
        m = self.reflection_re.search(text, pos)
        if not m:
            return 0.0, 0, []
        count += 1
        pos = m.end()
        m = self.answer_re.search(text, pos)
        if not m:
            return 0.0, 0, []
        answers.append(m.group(1))
        pos = m.end()
        while pos < len(text):
            m = self.reflection_re.search(text, pos)
            if not m:
                break
            count += 1
            pos = m.end()
            m = self.answer_re.search(text, pos)
            if not m:
                return 0.0, 0, []
            answers.append(m.group(1))
            pos = m.end()
        return (1.0, count, answers) if pos == len(text) else (0.0, 0, [])


def extract_code_from_model(model_response: str) -> str | None:
    """code_reward.py 24–37."""
    blocks = re.findall(r"```(?:\w+)?\n(.*?)```", model_response, re.DOTALL)
    if not blocks:
        return None
    return blocks[-1].strip()


def answer_scores(answers: list[str], passes: Callable[[str], bool]) -> list[float]:
    """``code_reward_fn`` per answer: float(is_correct); no code block → 0 (lines 303–306, 405)."""
    out = []
    for answer in answers:
        code = extract_code_from_model(answer)
        out.append(0.0 if code is None else float(bool(passes(code))))
    return out


def cycle_count_regulation(format_reward: float, n: int) -> float:
    """reflection.py 151–163."""
    if format_reward == 0.0 or n == 0:
        return 0.0
    elif n <= 5:
        return 1.0
    return (1.0 / (1.0 + ALPHA * (n - 3) ** BETA) * math.exp(-GAMMA * (n - 3))
            * (1.0 - DELTA * math.sin(math.pi / 2.0 * (n - 3))))


def iterative_quality(format_reward: float, n: int, r_scores: list[float]) -> float:
    """reflection.py 174–214."""
    if format_reward == 0.0 or n == 0:
        return 0.0
    if not r_scores:
        return 0.0
    weights = [math.exp(LAMBDA * t) for t in range(1, len(r_scores))]
    total = sum(weights)
    weights = [w / total for w in weights]
    m = [0.0]
    for t in range(1, len(r_scores)):
        diff = r_scores[t] - r_scores[t - 1]
        if diff > EPS:
            m_t = math.tanh(diff / S)
        elif abs(diff) <= EPS:
            if abs(r_scores[t - 1] - R_MAX) <= EPS:
                m_t = H_POS
            else:
                m_t = -H_NEG
        else:
            m_t = -math.tanh(abs(diff) / S)
        m.append(m_t)
    return r_scores[-1] + ETA * sum(weights[t - 1] * m[t] for t in range(1, len(r_scores)))


def efficiency(format_reward: float, n: int, r_scores: list[float]) -> float:
    """reflection.py 226–238."""
    if format_reward == 0.0 or n == 0:
        return 0.0
    if not r_scores:
        return 0.0
    avg_score = r_scores[-1] / n
    if len(r_scores) < 2:
        return 0.0
    return avg_score + (r_scores[-1] - r_scores[0]) / (max(1, n - 1) + EFF_EPS)


def rewards(text: str, passes: Callable[[str], bool]) -> dict[str, float]:
    """The three trained rewards of one completion: F, P·R, P·E, and their weighted sum."""
    f, n, answers = CompletionParser().parse(text)
    scores = answer_scores(answers, passes) if f else []
    p = cycle_count_regulation(f, n)
    pr = p * iterative_quality(f, n, scores)
    pe = p * efficiency(f, n, scores)
    return {"format": f, "n": n, "quality": pr, "efficiency": pe,
            "total": 1.0 * f + 0.5 * pr + 1.0 * pe}
