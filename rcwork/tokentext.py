"""Tokens as the text they decode to, for views a person reads.

A tokenizer's own token strings are written in its internal alphabet: byte-level BPE shows a
space as ``Ġ`` and a line break as ``Ċ``, SentencePiece a space as ``▁``.  Code shown that way
cannot be read.  :func:`token_texts` gives each token the exact piece of decoded text it adds,
so that joining the pieces gives back ``tokenizer.decode(ids)`` and the token boundaries stay
where they are.

A character whose UTF-8 bytes are split over several byte-level tokens belongs to the token that
completes it; the tokens before it show as empty pieces (views draw them as a thin marker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # annotations only: importable without transformers
    from transformers import PreTrainedTokenizerBase

# Tokens decoded before the current one, so that tokenizers which render a piece differently at
# the start of a text (SentencePiece drops a leading space) give the same piece as in context.
_CONTEXT = 6
# UTF-8 needs at most 4 bytes per character: after that many empty pieces, stop waiting.
_MAX_PENDING = 4
_REPLACEMENT = "\ufffd"


def _decode(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> str:
    return tokenizer.decode(list(ids), skip_special_tokens=False,
                            clean_up_tokenization_spaces=False)


def token_texts(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> list[str]:
    """One string per id: the text that token adds when ``ids`` are decoded together."""
    ids = [int(i) for i in ids]
    out: list[str] = []
    first_pending = 0  # first token whose text has not been given out yet
    for i in range(len(ids)):
        start = max(0, first_pending - _CONTEXT)
        before = _decode(tokenizer, ids[start:first_pending])
        upto = _decode(tokenizer, ids[start:i + 1])
        waiting = i + 1 - first_pending
        if (upto.endswith(_REPLACEMENT) and i + 1 < len(ids) and waiting < _MAX_PENDING):
            out.append("")  # an incomplete character: the next token completes it
            continue
        if upto.startswith(before):
            piece = upto[len(before):]
        else:  # the context decoded differently on its own: fall back to the token alone
            piece = _decode(tokenizer, ids[first_pending:i + 1])
        # The pending empty pieces stay empty; the completed text goes to this token.
        out.append(piece)
        first_pending = i + 1
    return out



def special_flags(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> list[bool]:
    """Per id: True for the tokenizer's special tokens (bos/eos, roles, block markers), which
    views set apart from the text around them."""
    special = set(tokenizer.all_special_ids) | {
        i for i, t in tokenizer.added_tokens_decoder.items() if t.special}
    return [int(i) in special for i in ids]
