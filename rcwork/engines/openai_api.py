"""Any OpenAI-compatible server: vLLM's, a hosted API, ``transformers serve``.

The API key is handled one way: the engine keeps only the *name* of the environment variable
that holds it and reads the variable when it sends requests, into a client copy that lives for
one call.  So the key is never part of the engine's state, ``repr``, ``describe()`` (what run
files store), pickles, or log lines (the ``openai`` client logs request options, not its auth
header).  A key rotated in the environment is picked up by the next call.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Sequence

from rcwork.engines.base import Completion, Engine, GenerationSettings, Query, truncate_at_stop

# Servers on loopback (vLLM, transformers serve) accept any key; the client insists on one.
_NO_KEY = "EMPTY"
_MAX_STOPS = 4  # the API's limit; further stop strings are cut here afterwards


class OpenAIEngine(Engine):
    """One request per query with the ``openai`` client, up to ``max_concurrency`` in flight.

    Text queries go to ``/completions``, chat queries to ``/chat/completions`` (the server
    applies its chat template).  ``base_url`` is the server's ``/v1`` root (None: the hosted
    OpenAI API, which then needs the key).  ``extra_body`` goes into every request as it is
    (e.g. ``transformers serve`` reads ``{"generation_config": json.dumps({...})}``).  Stop token
    ids and ``ignore_eos`` have no place in the OpenAI API and are not sent.  Completions are
    handed back in groups of ``batch_size``.  A server that batches (vLLM, ``transformers serve
    --continuous-batching``) runs concurrent requests together.

    ``transformers serve`` wants the model named by the exact folder path it was started with.
    """

    backend = "openai"
    thread_safe = True

    def __init__(self, model: str, base_url: str | None = None, *,
                 api_key_env: str = "OPENAI_API_KEY", name: str | None = None,
                 max_concurrency: int = 8, batch_size: int = 16, timeout_s: float = 600.0,
                 max_retries: int = 2, extra_body: dict[str, Any] | None = None):
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self._api_key()  # fail now, naming the variable, rather than at the first request
        self.name = name or model
        self.max_concurrency = max(1, int(max_concurrency))
        self.batch_size = max(1, int(batch_size))
        self.timeout_s, self.max_retries = timeout_s, max_retries
        self.extra_body = dict(extra_body or {})
        self._client = self._new_client()

    def _new_client(self) -> Any:
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=_NO_KEY, timeout=self.timeout_s,
                             max_retries=self.max_retries)

    def _api_key(self) -> str:
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if not key and self.base_url is None:
            raise ValueError(f"the hosted OpenAI API needs a key: set the environment variable "
                             f"{self.api_key_env} (or pass base_url for a local server)")
        return key or _NO_KEY

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        del state["_client"]  # rebuilt on unpickling; it holds sockets, never the key
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._client = self._new_client()

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name, "model": self.model,
                "base_url": self.base_url, "api_key_env": self.api_key_env}

    def _one(self, client: Any, query: Query, settings: GenerationSettings) -> Completion:
        common: dict[str, Any] = dict(model=self.model, max_tokens=int(settings.max_new_tokens),
                                      temperature=max(float(settings.temperature), 0.0))
        if not settings.greedy:
            common["top_p"] = settings.top_p
        if query.stop:
            common["stop"] = list(query.stop[:_MAX_STOPS])
        if self.extra_body:
            common["extra_body"] = self.extra_body
        if query.messages is not None:
            r = client.chat.completions.create(messages=query.messages, **common)
            text = r.choices[0].message.content or ""
        else:
            r = client.completions.create(prompt=query.text, **common)
            text = r.choices[0].text or ""
        usage = getattr(r, "usage", None)
        n_tokens = getattr(usage, "completion_tokens", None) if usage else None
        finish = "length" if r.choices[0].finish_reason == "length" else "stop"
        return Completion(text=truncate_at_stop(text, query.stop), n_tokens=n_tokens,
                          finish_reason=finish)

    def _stream(self, queries: Sequence[Query], settings: GenerationSettings
                ) -> Iterator[list[tuple[int, Completion]]]:
        if not queries:
            return
        client = self._client.with_options(api_key=self._api_key())  # this call's copy
        if len(queries) == 1:
            yield [(0, self._one(client, queries[0], settings))]
            return
        with ThreadPoolExecutor(min(self.max_concurrency, len(queries))) as pool:
            for start in range(0, len(queries), self.batch_size):
                idx = range(start, min(start + self.batch_size, len(queries)))
                outs = pool.map(lambda i: self._one(client, queries[i], settings), idx)
                yield list(zip(idx, outs))
