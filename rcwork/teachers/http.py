"""A teacher behind any OpenAI-compatible chat-completions endpoint.

vLLM's server, hosted APIs and ``transformers serve`` all speak it.  The API key is read from an
environment variable at construction and kept only inside the ``openai`` client: it is never
logged, never part of ``repr`` or ``describe()``, never written to a run's files.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

from rcwork.teachers.base import Conversation, truncate_at_stop, validate_conversations

# Servers on loopback (vLLM, transformers serve) accept any key; the client insists on one.
_NO_KEY = "EMPTY"


class OpenAITeacher:
    """Chat completions over HTTP with the ``openai`` client, one request per conversation.

    ``base_url`` is the server's ``/v1`` root (None: the hosted OpenAI API, which then needs the
    key).  A batch is sent as up to ``max_concurrency`` simultaneous requests; a server that
    batches (vLLM, ``transformers serve --continuous-batching``) runs them together.
    ``extra_body`` goes into every request as it is (e.g. ``transformers serve`` reads
    ``{"generation_config": json.dumps({"do_sample": True})}``).

    ``transformers serve`` wants the model named by the exact folder path it was started with.
    """

    def __init__(self, model: str, base_url: str | None = None, *,
                 api_key_env: str = "OPENAI_API_KEY", name: str | None = None,
                 max_concurrency: int = 8, timeout_s: float = 600.0, max_retries: int = 2,
                 extra_body: dict[str, Any] | None = None):
        import openai

        key = os.environ.get(api_key_env, "") if api_key_env else ""
        if not key and base_url is None:
            raise ValueError(f"the hosted OpenAI API needs a key: set the environment variable "
                             f"{api_key_env} (or pass base_url for a local server)")
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.name = name or model
        self.max_concurrency = max(1, int(max_concurrency))
        self.extra_body = dict(extra_body or {})
        self._client = openai.OpenAI(base_url=base_url, api_key=key or _NO_KEY,
                                     timeout=timeout_s, max_retries=max_retries)
        del key

    def describe(self) -> dict[str, Any]:
        return {"backend": "openai", "name": self.name, "model": self.model,
                "base_url": self.base_url, "api_key_env": self.api_key_env}

    def __repr__(self) -> str:
        return (f"OpenAITeacher(model={self.model!r}, base_url={self.base_url!r}, "
                f"api_key_env={self.api_key_env!r})")

    __str__ = __repr__

    def __getstate__(self):  # a pickled teacher would carry the key: refuse
        raise TypeError("OpenAITeacher holds an API key and is not picklable")

    def _one(self, conversation: Conversation, max_new_tokens: int, temperature: float,
             stop: Sequence[str] | None) -> str:
        kw: dict[str, Any] = dict(model=self.model, messages=conversation,
                                  max_tokens=int(max_new_tokens), temperature=float(temperature))
        if stop:
            kw["stop"] = list(stop)[:4]  # the API's limit
        if self.extra_body:
            kw["extra_body"] = self.extra_body
        resp = self._client.chat.completions.create(**kw)
        text = resp.choices[0].message.content or ""
        return truncate_at_stop(text, stop)

    def chat(self, conversations: Sequence[Conversation], *, max_new_tokens: int = 512,
             temperature: float = 0.0, stop: Sequence[str] | None = None) -> list[str]:
        validate_conversations(conversations)
        if len(conversations) == 1:
            return [self._one(conversations[0], max_new_tokens, temperature, stop)]
        with ThreadPoolExecutor(min(self.max_concurrency, len(conversations))) as ex:
            return list(ex.map(lambda c: self._one(c, max_new_tokens, temperature, stop),
                               conversations))
