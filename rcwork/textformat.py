"""The paper's text format (ReflectionCoder, appendix C): special tokens and layout.

A message is its role token, then each block as ``type token + content + <|endofblock|>``, then
``<|endofmessage|>``; a sample is ``bos + messages + eos``.  Everything that builds or parses
that text lives here, so the tokens are spelled once.
"""

from __future__ import annotations

import re

ROLE_TOKENS = {"user": "<|user|>", "assistant": "<|assistant|>"}
BLOCK_TOKENS = {"text": "<|text|>", "code": "<|code|>", "execution": "<|execution|>"}
END_OF_BLOCK = "<|endofblock|>"
END_OF_MESSAGE = "<|endofmessage|>"
SPECIAL_TOKENS = [*ROLE_TOKENS.values(), *BLOCK_TOKENS.values(), END_OF_BLOCK, END_OF_MESSAGE]

_CODE_FENCE = re.compile(r"```(?:python|py|Python)?[ \t]*\n(.*?)(?:```|\Z)", re.S)


def render_message(role: str, blocks: list[tuple[str, str]]) -> str:
    """One message as text: ``<|role|>`` + blocks + ``<|endofmessage|>``."""
    body = "".join(f"{BLOCK_TOKENS[k]}{c}{END_OF_BLOCK}" for k, c in blocks)
    return f"{ROLE_TOKENS[role]}{body}{END_OF_MESSAGE}"


def generation_prompt(instruction: str) -> str:
    """The test-time prompt (paper, appendix D): the user instruction, then the assistant turn
    opened, so the model writes its answer blocks.  bos is added by the tokenizer caller."""
    return render_message("user", [("text", instruction)]) + ROLE_TOKENS["assistant"]


def parse_blocks(text: str) -> list[tuple[str, str]]:
    """Blocks of an assistant turn written in the paper's format (stops at the end of message).

    A block left open at the end (generation ran out of tokens) is kept as it is.
    """
    text = text.split(END_OF_MESSAGE, 1)[0]
    pattern = "|".join(re.escape(t) for t in BLOCK_TOKENS.values())
    kinds = {v: k for k, v in BLOCK_TOKENS.items()}
    out: list[tuple[str, str]] = []
    parts = re.split(f"({pattern})", text)
    for i in range(1, len(parts), 2):
        out.append((kinds[parts[i]], parts[i + 1].split(END_OF_BLOCK, 1)[0]))
    return out


def extract_code(text: str) -> str:
    """The code of a response: its ``<|code|>`` blocks if any, else its fenced Markdown blocks,
    else the text itself (models often answer with bare code)."""
    blocks = [c for k, c in parse_blocks(text) if k == "code"]
    if blocks:
        return "\n\n".join(b.strip("\n") for b in blocks)
    fenced = _CODE_FENCE.findall(text)
    if fenced:
        return "\n\n".join(f.strip("\n") for f in fenced)
    return text
