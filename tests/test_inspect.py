"""02_inspect under papermill, and the views/widgets it is made of."""

import nbformat
import pytest

from rcwork.records import write_jsonl
from rcwork.runs import run_notebook
from rcwork.display.records import RecordBrowser, record_html
from tests.helpers import make_record


def test_record_html_shows_every_block_escaped():
    rec = make_record()
    rec.reflection[0].blocks[1].content += "\nassert '<b>' != 1"
    page = record_html(rec)
    for block in rec.reflection_blocks:
        assert block.kind in page
    assert "&lt;b&gt;" in page and "<b>" not in page.split("</style>")[1]
    assert page.count('class="rc-block execution"') == 2


def test_record_browser_filters():
    recs = [make_record(i) for i in range(4)]
    recs[1].metadata.rounds = 1
    recs[3].metadata.resolved = False
    b = RecordBrowser(recs)
    assert b.slider.max == 3 and "1 of 4" in b.count.value
    b.rounds.value = "1"
    assert b._indices == [1] and "record #1" in b.count.value
    b.rounds.value = "any"
    b.resolved.value = "unresolved"
    assert b._indices == [3] and "f3" in b.view.value
    b.rounds.value = "3+"
    assert b.view.value == "" and "no record" in b.count.value
    with pytest.raises(ValueError):
        RecordBrowser([])


@pytest.mark.slow
def test_02_inspect_runs_under_papermill(tmp_path):
    path = tmp_path / "records.jsonl"
    write_jsonl([make_record(i) for i in range(3)], path)
    with open(path, "a") as fh:
        fh.write("{broken\n")
    out = run_notebook("02_inspect", tmp_path / "run",
                       {"profile": "ci", "config": {"records": str(path)}})
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in nb["cells"] for o in c.get("outputs", []))
    assert "read 3 record(s), skipped 1" in text
    views = [o for c in nb["cells"] for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, "the record browser widget was not displayed"


def test_the_pictured_mask_is_the_trainers(tiny):
    """03's picture comes from the trainer's own layout: a hidden key is never attended, the
    rest is causal, and the sdpa mask the model gets in training is the same matrix."""
    import io

    import numpy as np
    import torch
    from PIL import Image

    from rcwork.distill.batching import DistillBatch, DistillItem
    from rcwork.distill.layout import attention_mask_4d, layout, student_attention_mask
    from rcwork.distill.masks import hidden_tokens
    from rcwork.encoding import encode_record
    from rcwork.display.masks import attention_mask_png
    from rcwork.paths import SEED_RECORDS, project_path
    from rcwork.records import read_records

    _, tok = tiny
    sample = encode_record(read_records(project_path(SEED_RECORDS))[0], tok).teacher
    hidden = hidden_tokens(sample, "block", 0.5, order="EAC", seed=0)
    assert any(hidden)
    mask = student_attention_mask(sample, hidden).numpy()
    n = len(sample)
    h = np.asarray(hidden)
    assert mask.shape == (n, n)
    assert not mask[~h][:, h].any(), "a visible query attends a hidden key"
    vis = np.flatnonzero(~h)
    assert (mask[np.ix_(vis, vis)] == np.tril(np.ones((len(vis), len(vis)), bool))).all()
    assert mask.diagonal().all()
    lay = layout(DistillBatch([DistillItem(sample, list(hidden))]), "attention", "padded")
    assert torch.equal(attention_mask_4d(lay.passes[-1])[0, 0, :n, :n], torch.from_numpy(mask))
    img = np.asarray(Image.open(io.BytesIO(attention_mask_png(mask, size=n))))
    assert ((img[..., 0] < 100) == mask).all()


def test_mask_explorer_updates(tiny):
    from rcwork.display.masks import MaskExplorer
    from rcwork.encoding import encode_record

    _, tok = tiny
    enc = encode_record(make_record(), tok).teacher
    w = MaskExplorer(enc, tok)
    w.rate.value = 0.0
    at_zero = sum(w.hidden())
    w.rate.value = 1.0
    assert sum(w.hidden()) > at_zero
    assert "reflection tokens" in w.summary.value
    assert bytes(w.mask_view.value).startswith(b"\x89PNG")
    w.strategy.value = "random_token"
    assert w.order.disabled


@pytest.mark.slow
def test_03_mask_visualize_runs_under_papermill(tmp_path):
    path = tmp_path / "records.jsonl"
    write_jsonl([make_record(i) for i in range(3)], path)
    out = run_notebook("03_mask_visualize", tmp_path / "run",
                       {"profile": "ci", "config": {"records": str(path)}})
    nb = nbformat.read(out, as_version=4)
    html_out = [o for c in nb.cells for o in c.get("outputs", [])
                if "text/html" in o.get("data", {})]
    assert any("rc-tok" in o["data"]["text/html"] for o in html_out)
