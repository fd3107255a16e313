"""Readable token views: tokens shown as the text they decode to, boundaries and mask visible."""

from html.parser import HTMLParser

import pytest

from rcwork.distill.masks import hidden_tokens
from rcwork.encoding import encode_record
from rcwork.report import _drop_remote_scripts
from rcwork.display.masks import MaskExplorer
from rcwork.display.records import dump, special_flags, token_texts, token_view
from tests.helpers import make_record

TEXT = "def f(d):\n    for key, value in d.items():\n\tprint('héllo → 世界')  \n"


def decoded(tok, ids):
    return tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def test_token_texts_join_to_the_decoded_text(tiny):
    _, tok = tiny
    ids = tok.encode("<|im_start|>" + TEXT, add_special_tokens=False)
    texts = token_texts(tok, ids)
    assert len(texts) == len(ids) and "".join(texts) == decoded(tok, ids)
    assert texts[0] == "<|im_start|>" and texts[1:4] == ["d", "e", "f"]
    assert texts[10] == "\n" and texts[11:15] == [" "] * 4
    # '→' is three bytes, three tokens: the last one shows the character, the others nothing
    arrow = texts.index("→")
    assert texts[arrow - 2:arrow] == ["", ""]
    assert not any(m in t for t in texts for m in ("Ġ", "Ċ"))


def test_token_texts_on_merged_bpe_tokens():
    """A tokenizer with merges: pieces keep their leading space instead of a Ġ."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    alphabet = list(bytes_to_unicode().values())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    merges = [("Ġ", "f"), ("Ġf", "o"), ("Ġfo", "r"), ("Ċ", "Ġ")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok)
    ids = fast.encode("x for\n y")
    assert fast.convert_ids_to_tokens(ids) == ["x", "Ġfor", "ĊĠ", "y"]
    assert token_texts(fast, ids) == ["x", " for", "\n ", "y"]


def test_dump_shows_decoded_tokens_and_says_what_it_left_out(tiny):
    _, tok = tiny
    enc = encode_record(make_record(), tok).teacher
    table = dump(enc, tok, limit=30)
    assert "Ġ" not in table and "Ċ" not in table and "' '" in table
    assert table.splitlines()[-1] == f"... {len(enc) - 30} more token(s) not shown (limit=30)"
    assert "more token" not in dump(enc, tok)


class _TokenText(HTMLParser):
    """Text inside the token box, and how many token spans are hidden."""

    def __init__(self):
        super().__init__()
        self.depth, self.text, self.tokens, self.hidden = 0, [], 0, 0

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class", "") or ""
        if self.depth:
            self.depth += 1
            if "rc-tok" in cls.split():
                self.tokens += 1
                self.hidden += "hidden" in cls.split()
        elif "rc-tokens" in cls.split():
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def test_token_view_is_the_decoded_text_with_every_token_boxed(tiny):
    _, tok = tiny
    enc = encode_record(make_record(), tok).teacher
    hidden = hidden_tokens(enc, "block", 0.5)
    parser = _TokenText()
    parser.feed(token_view(enc, tok, hidden))
    assert "".join(parser.text) == decoded(tok, enc.input_ids)
    assert parser.tokens == len(enc) and parser.hidden == sum(hidden)
    assert sum(special_flags(tok, enc.input_ids)) > 0


def test_mask_explorer_shows_decoded_tokens(tiny):
    _, tok = tiny
    enc = encode_record(make_record(), tok).teacher
    w = MaskExplorer(enc, tok)
    parser = _TokenText()
    parser.feed(w.tokens_view.value)
    assert "".join(parser.text) == decoded(tok, enc.input_ids)
    assert parser.hidden == sum(w.hidden())


@pytest.mark.parametrize("html_in, html_out", [
    ('<div id="p"></div><script src="https://cdnjs.cloudflare.com/mathjax.js"></script>'
     '<script>draw()</script>', '<div id="p"></div><script>draw()</script>'),
    ("<script src='//cdn.example/x.js'> </script>ok", "ok"),
    ('<script src="_static/local.js"></script>', '<script src="_static/local.js"></script>'),
])
def test_remote_scripts_are_dropped_from_outputs(html_in, html_out):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html_in})])])
    _drop_remote_scripts(nb)
    assert nb.cells[0].outputs[0].data["text/html"] == html_out
