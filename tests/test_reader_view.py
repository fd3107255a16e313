"""What a reader sees: the report and the executed lessons, read from the screen in Chromium.

A page can load offline, with no console error, and still show things no reader should have to
decode.  These tests read each page's visible text (``innerText``, after MathJax has typeset,
with the code cells' sources left out: code is code) and fail on:

* raw LaTeX — ``$$``, ``\\frac``, ``\\mathrm{`` — a formula MathJax did not typeset (missing or
  remote MathJax, or a TeX error: MathJax's error boxes count too);
* HTML printed as a Python string — ``'<style>...`` echoed as a cell's value, or markup shown
  as text — a view that was returned as a string instead of displayed;
* raw Trainer log dicts — ``{'loss': '2.073', 'grad_norm': ...}`` once per step — instead of the
  progress table (:mod:`rcwork.progress`);
* the dependency noise :mod:`rcwork.quiet` keeps out (DeepSpeed's accelerator line, deprecation
  warnings from the training stack).

``test_the_check_fails_on_each_kind_of_raw_text`` feeds the same check crafted pages, one fault
each, so a check that cannot fail would fail there.  The pages read: by default the report the
session's ``ci`` pipeline built (``conftest.ci_pipeline``) and every lesson it links, 05 twice
(the base model and the distilled checkpoint compared with it); with
``RCWORK_READER_REPORT=reports/index.html`` the report ``make run`` built and its lessons
instead.  Screenshots of 04's loss formula and 06's reward formulas, rendered, go to
``$RCWORK_SCREENSHOTS`` when set (``make screenshots``), else to the test's temp folder.

Without a browser: the evaluation section's words for empty results (``0 of 20 problems
passed``, no all-red grid, no colon introducing nothing), the progress table replacing a real
``Trainer``'s printed dicts (and the full log kept), and the noise filters (known noise dropped,
real warnings kept).

Chromium is Debian's, driven by playwright through ``executable_path`` (its own browser
download needs the network), with the flags the field notes list.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.slow

LOCAL_SCHEMES = {"file", "data", "blob", "about"}
TIMEOUT_MS = 120_000  # two cores shared with other work

RAW_LATEX = ("$$", "\\frac", "\\mathrm{")
# An HTML string echoed as a value ('<style>\n.rx-traj{...' or "<div ...") or markup that shows
# as text: tags a lesson's prose never writes (the trajectory grammar's <think>, <answer> and
# the chat tokens <|user|> are not among them).
_MARKUP = r"</?(?:style|div|span|table|tr|td|script|p|br|html|body)\b[^<>]{0,200}>"
HTML_AS_TEXT = re.compile(rf"""['"]\s*{_MARKUP}|{_MARKUP}""", re.I)
# One Trainer log line as a dict: what transformers' printing callbacks write ({'loss': ...,
# 'grad_norm': ..., 'learning_rate': ..., 'epoch': ...}, the closing {'train_runtime': ...},
# {'eval_...': ...}) and TRL adds ('rewards/<name>/mean').  A lesson printing its own small dict
# of loss terms is not one.
TRAINER_DICT = re.compile(r"\{\s*'(?:loss|eval_[a-z_]+)'\s*:|\{[^{}]*'(?:grad_norm|learning_rate|"
                          r"train_runtime|epoch|rewards/[a-z_]+/(?:mean|std))'\s*:")
NOISE = ("Setting accelerator to CPU", "FutureWarning", "DeprecationWarning",
         "PendingDeprecationWarning")

# The page's text as a reader sees it: after MathJax has typeset (when the page loads it), with
# the sources of code cells hidden; MathJax's error boxes are reported apart.
READ_PAGE = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
    }
    const style = document.createElement('style');
    style.textContent = '.jp-InputArea-editor, .jp-InputPrompt {display: none !important}';
    document.head.appendChild(style);
    const text = document.body.innerText;
    style.remove();
    return {text: text,
            math: document.querySelectorAll('mjx-container').length,
            errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent)};
}"""


@dataclass
class Reading:
    """What one page showed: its visible text, typeset formulas and MathJax errors."""

    text: str
    math: int
    errors: list[str]


def _around(text: str, start: int, end: int) -> str:
    return text[max(0, start - 60):end + 60].replace("\n", "⏎")


def reader_problems(reading: Reading) -> list[str]:
    """Everything on the page a reader would have to decode, each with its context."""
    text, found = reading.text, []
    for fragment in RAW_LATEX:
        at = text.find(fragment)
        if at >= 0:
            found.append(f"raw LaTeX {fragment!r}: …{_around(text, at, at + len(fragment))}…")
    found += [f"MathJax error: {e}" for e in reading.errors]
    for pattern, what in ((HTML_AS_TEXT, "HTML shown as text"),
                          (TRAINER_DICT, "a raw Trainer log dict")):
        m = pattern.search(text)
        if m:
            found.append(f"{what}: …{_around(text, m.start(), m.end())}…")
    for noise in NOISE:
        at = text.find(noise)
        if at >= 0:
            found.append(f"noise {noise!r}: …{_around(text, at, at + len(noise))}…")
    return found


# ---------------------------------------------------------------------------------- browser

@pytest.fixture
def page(browser):
    """A page that cannot reach the network (a formula that renders here renders offline) and
    on which no script fails (MathJax 3 beside the widget manager once threw on every widget
    label: ``MathJax.Hub`` is MathJax 2's)."""
    # twice the pixels: the screenshots of formulas stay sharp when viewed
    context = browser.new_context(viewport={"width": 1300, "height": 1000},
                                  device_scale_factor=2)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    errors: list[str] = []
    pg.on("console", lambda m: m.type == "error" and errors.append(f"{pg.url}: {m.text}"))
    pg.on("pageerror", lambda e: errors.append(f"{pg.url}: uncaught {e}"))

    def route(r):
        if urlparse(r.request.url).scheme in LOCAL_SCHEMES:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()
    assert not outside, f"requests that leave the machine: {outside[:5]}"
    assert not errors, f"script errors: {errors[:5]}"


def read(page, url: str) -> Reading:
    page.goto(url, wait_until="load")
    return Reading(**page.evaluate(READ_PAGE))


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: ``$RCWORK_SCREENSHOTS`` if set, else the test's temp folder."""
    out = Path(os.environ.get("RCWORK_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


# ---------------------------------------------------------------------------------- the pages

@pytest.fixture(scope="module")
def report(request) -> Path:
    """The report to read: ``$RCWORK_READER_REPORT``, or the session's ``ci`` pipeline report
    (every lesson executed as the pipeline executes it)."""
    given = os.environ.get("RCWORK_READER_REPORT")
    if given:
        path = Path(given).resolve()
        assert path.is_file(), f"RCWORK_READER_REPORT={given}: no such report"
        return path
    return request.getfixturevalue("ci_pipeline").report


def lesson_links(page, report: Path) -> dict[str, str]:
    """The report's links to its converted lessons, by file stem."""
    page.goto(report.as_uri(), wait_until="load")
    links = page.eval_on_selector_all("a[href$='.html']", "as => as.map(a => a.href)")
    return {Path(urlparse(u).path).stem: u for u in links}


# Paragraphs that end in a colon with no table, list, figure or formula after them.
DANGLING_COLONS = """() => [...document.querySelectorAll('p')].filter(p => {
    let next = p.nextElementSibling;
    while (next && ['STYLE', 'SCRIPT', 'LINK'].includes(next.tagName)) {
        next = next.nextElementSibling;
    }
    return p.innerText.trim().endsWith(':') &&
           !(next && ['TABLE', 'UL', 'OL', 'DIV', 'PRE'].includes(next.tagName) &&
             next.innerText.trim());
}).map(p => p.innerText)"""


def test_report_reads_cleanly(report, page):
    reading = read(page, report.as_uri())
    assert reading.math >= 1, "the report's loss formula was not typeset"
    assert not reader_problems(reading), f"report: {reader_problems(reading)}"
    passed = {name: int(n) for name, n, _ in
              re.findall(r"(base|distilled): (\d+) of (\d+) problems? passed", reading.text)}
    assert set(passed) == {"base", "distilled"}, \
        "the evaluation section does not say how many problems each run passed"
    if not any(passed.values()):
        assert "no problem passed in any run" in reading.text, \
            "nothing passed, yet the section does not say so instead of an all-red grid"
    assert not page.evaluate(DANGLING_COLONS), "a list introduced by a colon is empty"


def test_every_lesson_reads_cleanly(report, page, shots):
    links = lesson_links(page, report)
    expected = {"04_distill", "05_evaluate", "06_reinforce"}
    assert expected <= {k.split("__")[-1] for k in links}, f"lessons missing: {sorted(links)}"
    for stem, url in links.items():
        reading = read(page, url)
        problems = reader_problems(reading)
        assert not problems, f"{stem}: {problems}"
        lesson = stem.split("__")[-1]
        if lesson in expected:
            assert reading.math > 0, f"{lesson}: no formula typeset"
        if lesson == "04_distill":
            assert "step" in reading.text and "NTP teacher" in reading.text, \
                "04: no training progress table"
            formula = page.locator("mjx-container[display='true'] > mjx-math").first
            formula.scroll_into_view_if_needed()
            box = formula.bounding_box()
            page.screenshot(path=shots / "reader_04_loss_formula.png",
                            clip={"x": box["x"] - 24, "y": box["y"] - 16,
                                  "width": box["width"] + 48, "height": box["height"] + 32})
        if lesson == "06_reinforce":
            assert "reward" in reading.text and "P·R" in reading.text, \
                "06: no GRPO progress table"
            cell = page.locator(".jp-MarkdownCell", has_text="Cycle-count regulation").first
            cell.scroll_into_view_if_needed()
            cell.screenshot(path=shots / "reader_06_reward_formulas.png")


# ---------------------------------------------------------------------------------- the check

# Each fault as a reader met it: formulas MathJax never typeset (printed as output, or in an
# element it skips), a view echoed as a string, one dict per Trainer log, dependency noise.
CRAFTED = {  # fault: (page body, what the check must call it)
    "raw LaTeX": ("<pre>$$\\mathcal{L} = \\mathrm{NTP}(x)$$</pre>", "raw LaTeX '$$'"),
    "a fraction": ("<p class='tex2jax_ignore'>P(n) = \\frac{1}{1 + n}</p>", "raw LaTeX '\\\\frac'"),
    "an upright name": ("<pre>\\mathrm{KL}(p \\| q)</pre>", "raw LaTeX '\\\\mathrm{'"),
    "a TeX error": ("<p>$$x^1^2$$</p>", "MathJax error"),
    "a view echoed as a string": (
        "<pre>Out[4]: '&lt;style&gt;\\n.rx-traj{font-family:monospace}'</pre>",
        "HTML shown as text"),
    "escaped markup": ("<p>&lt;div class=\"rx-head\"&gt;well formed&lt;/div&gt;</p>",
                       "HTML shown as text"),
    "a raw Trainer log dict": ("<pre>{'loss': '2.073', 'grad_norm': '11.28', "
                               "'learning_rate': '0.0001'}</pre>", "a raw Trainer log dict"),
    "a GRPO log dict": ("<pre>{'reward': 0.5, 'rewards/format_reward/mean': 1.0}</pre>",
                        "a raw Trainer log dict"),
    "the Trainer's closing dict": ("<pre>{'train_runtime': '4.058', 'train_loss': '10.91'}"
                                   "</pre>", "a raw Trainer log dict"),
    "DeepSpeed's line": ("<pre>[WARNING] [real_accelerator.py:213:get_accelerator] Setting "
                         "accelerator to CPU. If you have GPU or other accelerator</pre>",
                         "noise 'Setting accelerator to CPU'"),
    "a deprecation warning": ("<pre>module.py:1789: FutureWarning: `past_key_values` is "
                              "deprecated</pre>", "noise 'FutureWarning'"),
}
CLEAN = ("<p>The loss: $$\\mathcal{L} = \\mathrm{NTP} + \\frac{1}{2}\\,\\mathrm{KL}$$ and "
         "inline $P(n)$.</p><pre>step  loss\n   1  2.07</pre>"
         "<pre>before: {'ntp': 5.4471, 'kl': 0.0002} loss 10.8526</pre>"
         "<pre>&lt;think&gt; plan &lt;/think&gt;&lt;answer&gt; code &lt;/answer&gt; "
         "&lt;|user|&gt;</pre><div class='rx-head'>well formed</div>")


def crafted_page(folder: Path, body: str, static: Path) -> Path:
    """A page that loads the report's local MathJax exactly as the report does."""
    from rcwork.report import MATHJAX, mathjax_head

    path = folder / f"page{len(list(folder.glob('page*.html')))}.html"
    src = os.path.relpath(static / MATHJAX, folder)
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{mathjax_head(src)}"
                    f"</head><body>{body}</body></html>", encoding="utf-8")
    return path


def test_the_check_fails_on_each_kind_of_raw_text(page, tmp_path):
    from rcwork.report import copy_static

    static = copy_static(tmp_path)
    clean = read(page, crafted_page(tmp_path, CLEAN, static).as_uri())
    assert clean.math == 2 and not reader_problems(clean), \
        f"a clean page with typeset formulas and the trajectory grammar as text: " \
        f"{reader_problems(clean)}"
    for fault, (body, kind) in CRAFTED.items():
        found = reader_problems(read(page, crafted_page(tmp_path, CLEAN + body, static).as_uri()))
        assert any(p.startswith(kind) for p in found), \
            f"the check did not report {fault} as {kind!r}: {found}"
    # Without MathJax the clean page's own formulas are raw LaTeX.
    bare = tmp_path / "bare.html"
    bare.write_text(f"<!doctype html><html><body>{CLEAN}</body></html>", encoding="utf-8")
    assert any("raw LaTeX" in p for p in reader_problems(read(page, bare.as_uri())))
    # A paragraph that introduces nothing is caught; one followed by its table is not.
    page.goto(crafted_page(tmp_path, "<p>distilled: 0 problems changed verdict against base:"
                                     "</p><h2>Sweep</h2><p>runs:</p><table><tr><td>a</td></tr>"
                                     "</table>", static).as_uri())
    assert page.evaluate(DANGLING_COLONS) == ["distilled: 0 problems changed verdict against "
                                              "base:"]


# ---------------------------------------------------------------------------------- empty results

def _write_results(folder: Path, passed: list[bool], compare_to: Path | None = None) -> Path:
    """A results.json whose problems passed as ``passed`` says (compared with another run's
    results, as ``rcwork evaluate --compare_to`` writes it, when ``compare_to`` is given)."""
    from rcwork.evaluation.scoring import compare_results
    from rcwork.stage_files import EvaluationResults

    problems = {f"HumanEval/{i}": {"n": 1, "correct": int(ok), "pass@1": float(ok),
                                   "status": "passed" if ok else "failed"}
                for i, ok in enumerate(passed)}
    results = EvaluationResults.from_dict({
        "pass_at_k": {"pass@1": sum(passed) / len(passed)}, "n_problems": len(passed),
        "n_samples": len(passed), "benchmark": "humaneval", "problems": problems,
        "status_counts": {"passed": sum(passed), "failed": len(passed) - sum(passed)}})
    if compare_to is not None:
        results.compared_to = str(compare_to)
        results.flips = compare_results(EvaluationResults.read(compare_to), results)
    return results.write(folder)


def _section_text(parts: list) -> str:
    import plotly.graph_objects as go

    figures = [p.layout.title.text for p in parts if isinstance(p, go.Figure)]
    assert not figures, f"a figure in the section: {figures}"
    return re.sub(r"<[^>]+>", " ", " ".join(parts))


def test_evaluation_section_says_when_nothing_passed(tmp_path):
    from rcwork.display.evaluation import evaluation_section

    base = _write_results(tmp_path / "base", [False] * 20)
    _write_results(tmp_path / "distilled", [False] * 20, compare_to=base)
    text = _section_text(evaluation_section(tmp_path))
    assert "base: 0 of 20 problems passed" in text and "distilled: 0 of 20 problems passed" in text
    assert "no problem passed in any run" in text  # and no all-red verdict grid
    assert f"distilled: no problem changed verdict against base ({base})." in text
    assert not re.search(r":\s*$", text.strip()), "the section ends with a colon"


def test_evaluation_section_draws_the_grid_and_lists_the_flips_when_verdicts_differ(tmp_path):
    import plotly.graph_objects as go

    from rcwork.display.evaluation import evaluation_section

    base = _write_results(tmp_path / "base", [True, False, False])
    _write_results(tmp_path / "distilled", [False, True, False], compare_to=base)
    parts = evaluation_section(tmp_path)
    grids = [p for p in parts if isinstance(p, go.Figure)]
    assert len(grids) == 1 and grids[0].layout.title.text == "per-problem verdict"
    text = re.sub(r"<[^>]+>", " ", " ".join(p for p in parts if isinstance(p, str)))
    assert "base: 1 of 3 problems passed" in text
    assert "distilled: 2 problems changed verdict against base" in text
    assert re.search(r"HumanEval/0\s+broken", text) and re.search(r"HumanEval/1\s+fixed", text)


# ---------------------------------------------------------------------------------- progress

def _line_trainer(out: Path, steps: int):
    """A real ``transformers.Trainer`` on a one-weight regression: fast, and its logs are the
    Trainer's own (loss, grad_norm, learning_rate, epoch, then train_runtime...)."""
    import torch
    from transformers import Trainer, TrainingArguments

    class Line(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(0.0))

        def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
            return {"loss": ((self.w * x - labels) ** 2).mean()}

    data = [{"x": torch.tensor(float(i)), "labels": torch.tensor(2.0 * i)} for i in range(8)]
    args = TrainingArguments(output_dir=str(out), max_steps=steps, logging_steps=1,
                             per_device_train_batch_size=2, learning_rate=0.01, use_cpu=True,
                             report_to="none", save_strategy="no", disable_tqdm=True)
    return Trainer(model=Line(), args=args, train_dataset=data)


def test_training_progress_prints_a_table_not_dicts(tmp_path, capsys):
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from rcwork.progress import LOG_FILE, use_progress

    _line_trainer(tmp_path / "plain", 3).train()  # what the lessons showed before
    assert TRAINER_DICT.search(capsys.readouterr().out), "Trainer no longer prints its dicts"

    trainer = _line_trainer(tmp_path / "run", 12)
    use_progress(trainer, {"loss": "loss"}, title="line")
    assert not [cb for cb in trainer.callback_handler.callbacks
                if isinstance(cb, (PrinterCallback, ProgressCallback))]
    trainer.train()
    out = capsys.readouterr().out
    assert not TRAINER_DICT.search(out), out
    lines = out.splitlines()
    assert lines[0].startswith("line: 12 steps; the table shows every 2 steps")
    assert lines[1].split() == ["step", "loss", "time", "(s)"]
    rows = [line.split() for line in lines[2:-1]]
    assert [int(r[0]) for r in rows] == [1, 2, 4, 6, 8, 10, 12]  # the first, then every 2nd
    history = {h["step"]: h["loss"] for h in trainer.state.log_history if "loss" in h}
    assert all(float(r[1]) == pytest.approx(history[int(r[0])], rel=1e-3) for r in rows)
    assert re.fullmatch(r"line: 12 steps in [\d.]+ s; mean loss [\d.e+-]+", lines[-1])
    logged = [json.loads(line) for line in (tmp_path / "run" / LOG_FILE).read_text().splitlines()]
    assert [r["step"] for r in logged] == list(range(1, 13)) + [12]  # every step, then the run
    assert all("grad_norm" in r for r in logged[:-1]) and "train_runtime" in logged[-1]


# ---------------------------------------------------------------------------------- noise

def test_known_noise_is_dropped_and_real_warnings_are_not():
    import logging
    import warnings

    from rcwork.quiet import quiet_known_noise

    with warnings.catch_warnings(record=True) as seen:
        warnings.resetwarnings()
        warnings.simplefilter("always")  # pytest's own filters out of the way
        quiet_known_noise()
        for category, module in ((FutureWarning, "torch.nn.modules.module"),
                                 (DeprecationWarning, "transformers.modeling_utils"),
                                 (FutureWarning, "rcwork.distill.stage"),  # ours: still warns
                                 (UserWarning, "trl.trainer.grpo_trainer")):  # not a deprecation
            warnings.warn_explicit(f"{module} says", category, "x.py", 1, module=module)
    assert [str(w.message) for w in seen] == ["rcwork.distill.stage says",
                                              "trl.trainer.grpo_trainer says"]

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    ds = logging.getLogger("DeepSpeed")
    ds.addHandler(handler)
    try:
        ds.warning("Setting accelerator to CPU. If you have GPU or other accelerator, we were "
                   "unable to detect it.")
        ds.warning("Setting ds_accelerator to cuda (override)")
    finally:
        ds.removeHandler(handler)
    assert [r.getMessage() for r in records] == ["Setting ds_accelerator to cuda (override)"]
