"""The lessons' widgets and the HTML report, in a real browser (headless Chromium + playwright).

Three things a reader sees are checked the way a reader sees them:

* the report and the executed notebooks converted beside it render with no network: every
  request the page makes is routed, and one that would leave the machine fails the test, as
  does any console error; widget outputs must be drawn, not empty;
* ``02_inspect`` in JupyterLab: run all cells, move the record browser to another record and
  see the shown blocks change;
* ``03_mask_visualize`` in JupyterLab: change the mask explorer's strategy, block order and rate
  and see the hidden-token count, the struck-through tokens and the attention-mask picture
  change exactly as :mod:`rcwork.distill.masks` computes them.

Token views must show decoded text (no byte-level ``Ġ``/``Ċ`` markers).  Screenshots of every
page land in the test's temp folder, or in ``$RCWORK_SCREENSHOTS`` (``make screenshots``).

Chromium is Debian's (``make test`` installs it); playwright drives it through
``executable_path`` because its own browser download is not available offline.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from rcwork.distill.masks import describe, hidden_tokens
from rcwork.encoding import encode_record
from rcwork.distill.layout import student_attention_mask
from rcwork.display.masks import attention_mask_png, summary_line
from rcwork.models import load_model
from rcwork.records import read_records, write_jsonl
from rcwork.paths import project_root

pytestmark = pytest.mark.slow

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
BPE_MARKERS = ("Ġ", "Ċ")
SEED = project_root() / "data" / "reflections" / "seed.jsonl"
TIMEOUT_MS = 180_000  # generous: two cores are shared with other work


# ---------------------------------------------------------------------------------- browser

class Guard:
    """Routes every request of a page: local ones go through, others are refused and recorded;
    console errors and uncaught exceptions are recorded too.  ``check()`` fails on any."""

    def __init__(self, page):
        self.page, self.errors, self.outside = page, [], []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.route("**/*", self._route)

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in LOCAL_SCHEMES or url.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def check(self, what: str) -> None:
        assert not self.outside, f"{what}: requests that leave the machine: {self.outside[:5]}"
        assert not self.errors, f"{what}: console errors: {self.errors[:5]}"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: ``$RCWORK_SCREENSHOTS`` if set, else the test's temp folder."""
    out = Path(os.environ.get("RCWORK_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def no_bpe_markers(text: str, what: str) -> None:
    for marker in BPE_MARKERS:
        assert marker not in text, f"{what} shows the byte-level BPE marker {marker!r}"


# ---------------------------------------------------------------------------------- lessons

@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """A few short seed records (two with two rounds, two with one) and the tiny tokenizer."""
    _, tokenizer = load_model("tiny")
    records = read_records(SEED)
    length = {i: len(encode_record(r, tokenizer).teacher) for i, r in enumerate(records)}
    multi = sorted((i for i, r in enumerate(records) if r.metadata.rounds >= 2), key=length.get)
    single = sorted((i for i, r in enumerate(records) if r.metadata.rounds < 2), key=length.get)
    chosen = [records[i] for i in multi[:2] + single[:2]]
    path = tmp_path_factory.mktemp("lesson") / "records.jsonl"
    write_jsonl(chosen, path)
    params = {"02_inspect": {"profile": "ci", "config": {"records": str(path)}},
              "03_mask_visualize": {"profile": "ci",
                                    "config": {"records": str(path), "record_index": 0}}}
    return {"records": chosen, "tokenizer": tokenizer, "params": params,
            "sample": encode_record(chosen[0], tokenizer).teacher}


# ---------------------------------------------------------------------------------- report

# The lessons whose executed copies carry a widget, and the widget's class.
WIDGETS = {"02_inspect": ".rc-record-browser", "03_mask_visualize": ".rc-mask-explorer",
           "06_reinforce": ".rx-trajectory-viewer"}


def widget_outputs_drawn(page) -> list[dict]:
    """For each widget output of a converted notebook: whether the manager drew it."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]')].map(s => {
          const out = s.parentElement;
          const w = out.querySelector('.jupyter-widgets');
          const r = w ? w.getBoundingClientRect() : null;
          return {id: JSON.parse(s.textContent).model_id, drawn: !!r && r.width > 0 &&
                  r.height > 0, text: out.innerText.slice(0, 200)};
        })""")


def test_report_and_converted_notebooks_render_offline(ci_pipeline, page, shots):
    """The ``ci`` pipeline's report (its sweep, ReflexiCoder's curves) and every lesson it
    links, as converted beside it."""
    from rcwork.pipeline import STAGES

    guard = Guard(page)
    page.goto(ci_pipeline.report.as_uri(), wait_until="load")
    links = page.eval_on_selector_all("a[href$='.html']", "as => as.map(a => a.href)")
    lessons = sum(s.notebook is not None for s in STAGES)
    assert len(links) == lessons, f"the report should link its {lessons} executed lessons: " \
        f"{links}"
    # The sweep's curves (up-sampling factor, mask order: rcwork's panel and the paper's) and
    # the GRPO reward curves are drawn from the one inlined plotly.js.
    text = page.inner_text("body")
    assert "Sweep" in text and "ReflexiCoder" in text
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg')"
                           ".length >= 6")
    for curve, paper in (("upsample", "paper Figure 4"), ("order", "paper Table 3")):
        fig = page.locator(".js-plotly-plot", has_text=paper).first
        fig.scroll_into_view_if_needed()
        fig.screenshot(path=shots / f"report_sweep_{curve}.png")
    page.screenshot(path=shots / "report.png", full_page=True)
    guard.check("report")
    drawn = set()
    for url in links:
        stem = Path(urlparse(url).path).stem
        name = stem.split("__")[-1]
        page.goto(url, wait_until="load")
        if name in WIDGETS:
            page.wait_for_selector(".jupyter-widgets")
            # plotly figures are drawn from the inlined plotly.js
            page.wait_for_selector(".js-plotly-plot .main-svg")
            page.wait_for_function("""() => [...document.querySelectorAll(
                'script[type="application/vnd.jupyter.widget-view+json"]')].every(
                s => s.parentElement.querySelector('.jupyter-widgets'))""")
            outputs = widget_outputs_drawn(page)
            assert outputs and all(o["drawn"] for o in outputs), \
                f"{name}: empty widget output(s): {[o for o in outputs if not o['drawn']]}"
            no_bpe_markers(page.inner_text("body"), name)
            page.locator(WIDGETS[name]).scroll_into_view_if_needed()
            drawn.add(name)
        # 05 runs twice (base, distilled): the others are named by their whole stem
        page.screenshot(path=shots / f"report_{name if name in WIDGETS else stem}.png")
        guard.check(stem)
    assert drawn == set(WIDGETS), f"lessons with widgets not linked: {set(WIDGETS) - drawn}"


# ---------------------------------------------------------------------------------- JupyterLab

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(lesson, tmp_path_factory):
    """JupyterLab on a free loopback port, serving papermill-parameterised copies of every
    lesson (the originals stay untouched: Lab saves what it runs).  The kernels start in the
    served folder, not the repository: the lessons' default inputs must be found from there.
    02 and 03 read the lesson's records; the others run the ``ci`` profile as it is, their
    outputs in the served folder."""
    import papermill

    root = tmp_path_factory.mktemp("lab")
    home = root / ".lab"
    outputs = {"01_synthesize": "output_dir", "04_distill": "output_dir",
               "05_evaluate": "out_dir", "06_reinforce": "output_dir"}
    params = {**lesson["params"], **{name: {"profile": "ci", "config": {key: str(root / name)}}
                                     for name, key in outputs.items()}}
    for name, params in params.items():
        papermill.execute_notebook(str(project_root() / "notebooks" / f"{name}.ipynb"),
                                   str(root / f"{name}.ipynb"), parameters=params,
                                   prepare_only=True, progress_bar=False)
    settings = home / "app-settings"
    settings.mkdir(parents=True)
    # No news pop-up; and every cell drawn, not only those in view (Lab's default windowing
    # leaves off-screen outputs unrendered, which a reader scrolling would not notice).
    (settings / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
        "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}))
    token, port = os.urandom(16).hex(), free_port()
    # As a reader starts it: plotly's default renderer in Lab (no PLOTLY_RENDERER from papermill)
    env = {k: v for k, v in os.environ.items() if k != "PLOTLY_RENDERER"}
    env.update({"JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"})
    log = open(root.parent / f"{root.name}-jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.app_settings_dir={settings}",
         f"--LabApp.user_settings_dir={home / 'user-settings'}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n"
                                + Path(log.name).read_text()[-3000:])
                time.sleep(0.5)
        yield {"base": base, "token": token}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def run_in_lab(page, lab, name: str) -> None:
    """Open a notebook in JupyterLab, run all cells and wait until they have run without error."""
    # A workspace of its own, reset, so that Lab does not restore another test's notebook.
    page.goto(f"{lab['base']}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={lab['token']}")
    page.wait_for_function("""(path) => {
        const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path === path && w.sessionContext &&
               w.sessionContext.session &&
               w.sessionContext.session.kernel &&
               w.sessionContext.session.kernel.connectionStatus === 'connected' &&
               w.sessionContext.session.kernel.status === 'idle';
    }""", arg=f"{name}.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("""() => {
        const w = window.jupyterapp.shell.currentWidget;
        const cells = w.content.widgets.filter(c => c.model.type === 'code');
        return w.sessionContext.session.kernel.status === 'idle' &&
               cells.every(c => c.model.executionCount !== null);
    }""", polling=500)
    errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, f"{name}: a cell failed: {errors.first.inner_text()[:2000]}"


def test_record_browser_in_jupyterlab(lab, lesson, page, shots):
    guard = Guard(page)
    run_in_lab(page, lab, "02_inspect")
    browser_w = page.locator(".rc-record-browser")
    view, count = browser_w.locator(".rc-view"), browser_w.locator(".rc-count")
    page.wait_for_function("el => el.innerText.includes('1 of 4 (record #0)')",
                           arg=count.element_handle())
    first = view.inner_text()
    records = lesson["records"]
    assert records[0].instruction.splitlines()[0] in first
    browser_w.locator(".rc-slider .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.innerText.includes('2 of 4')", arg=count.element_handle())
    page.wait_for_function("([el, old]) => el.innerText !== old",
                           arg=[view.element_handle(), first])
    second = view.inner_text()
    assert records[1].instruction.splitlines()[0] in second
    for block in records[1].reflection_blocks:
        assert block.content.strip().splitlines()[0] in second
    no_bpe_markers(page.inner_text(".jp-Notebook"), "02_inspect in JupyterLab")
    browser_w.scroll_into_view_if_needed()
    page.screenshot(path=shots / "lab_02_inspect.png")
    guard.check("02_inspect in JupyterLab")


def mask_image(page) -> bytes:
    """The bytes of the picture the mask explorer shows (a blob: URL in the browser)."""
    b64 = page.evaluate("""async () => {
        const img = document.querySelector('.rc-mask-explorer .rc-mask');
        const buf = await (await fetch(img.src)).arrayBuffer();
        let s = ''; for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
        return btoa(s);
    }""")
    return base64.b64decode(b64)


def expect_mask(page, sample, strategy: str, order: str, rate: float) -> list[bool]:
    """Wait until the explorer shows what the masks module computes for these settings."""
    hidden = hidden_tokens(sample, strategy, rate, order=order, seed=0)
    summary = summary_line(describe(sample, hidden))
    explorer = page.locator(".rc-mask-explorer")
    page.wait_for_function("([el, s]) => el.innerText.trim() === s",
                           arg=[explorer.locator(".rc-mask-summary").element_handle(), summary])
    page.wait_for_function(
        "([n]) => document.querySelectorAll('.rc-mask-explorer .rc-tokens "
        ".rc-tok.hidden').length === n", arg=[sum(hidden)])
    png = attention_mask_png(student_attention_mask(sample, hidden))
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while mask_image(page) != png:
        assert time.monotonic() < deadline, f"mask picture never matched {strategy}/{order}/{rate}"
        time.sleep(0.3)
    return hidden


def test_mask_explorer_in_jupyterlab(lab, lesson, page, shots):
    guard = Guard(page)
    run_in_lab(page, lab, "03_mask_visualize")
    sample, tok = lesson["sample"], lesson["tokenizer"]
    explorer = page.locator(".rc-mask-explorer")
    tokens = explorer.locator(".rc-tokens")
    shown = tokens.evaluate("el => el.textContent")
    assert shown == tok.decode(sample.input_ids, skip_special_tokens=False,
                               clean_up_tokenization_spaces=False), \
        "the token view does not show the text the tokens decode to"
    assert tokens.locator(".rc-tok").count() == len(sample), "one box per token"
    no_bpe_markers(page.inner_text(".jp-Notebook"), "03_mask_visualize in JupyterLab")

    seen = [expect_mask(page, sample, "block", "EAC", 0.5)]
    explorer.locator(".rc-strategy select").select_option("sequential_token")
    seen.append(expect_mask(page, sample, "sequential_token", "EAC", 0.5))
    explorer.locator(".rc-strategy select").select_option("block")
    explorer.locator(".rc-order select").select_option("CAE")
    seen.append(expect_mask(page, sample, "block", "CAE", 0.5))
    explorer.locator(".rc-rate .noUi-handle").focus()
    for _ in range(3):  # 0.5 -> 0.75: past the authors' 0.67, so the third kind goes too
        page.keyboard.press("ArrowRight")
    seen.append(expect_mask(page, sample, "block", "CAE", 0.5 + 3 / 12))
    assert all(a != b for a, b in zip(seen, seen[1:])), "each change should change the mask"
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=shots / "lab_03_mask_visualize.png")
    guard.check("03_mask_visualize in JupyterLab")


@pytest.mark.parametrize("name", ["01_synthesize", "04_distill", "05_evaluate", "06_reinforce"])
def test_lesson_runs_in_jupyterlab(lab, page, name):
    """Every lesson, opened in Lab and run top to bottom, finishes without an error output."""
    guard = Guard(page)
    run_in_lab(page, lab, name)
    guard.check(f"{name} in JupyterLab")


def test_converted_notebook_keeps_widget_state(ci_pipeline):
    """The converted pages with widgets carry their saved state (what the manager draws from),
    and load the manager from the report's folder, never from a CDN."""
    pages = sorted((ci_pipeline.report.parent / "notebooks").glob("*.html"))
    with_widgets = [p for p in pages if p.stem.split("__")[-1] in WIDGETS]
    assert len(with_widgets) == len(WIDGETS), [p.name for p in pages]
    for html_file in pages:
        text = html_file.read_text()
        assert "unpkg.com" not in text, html_file.name
        if html_file in with_widgets:
            assert "application/vnd.jupyter.widget-state+json" in text, html_file.name
            assert "_static/html-manager/embed-amd.js" in text, html_file.name
