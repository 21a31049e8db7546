"""An OpenAI-compatible server (vLLM, SGLang, TGI): one request per sample, a bounded pool, retries.

Standard library only (``urllib`` in a thread pool): sampling at scale is the server's work, and the
client's is to keep ``concurrency`` requests in flight, retry what failed for a passing reason, and
hand back each completion as soon as it is done so that it is stored at once.

One request per sample (``n=1`` with the sample's own seed), not one per problem with ``n`` samples:
a sample's text then depends only on its seed, a resumed run asks for exactly what is missing, and
the server's prefix cache makes the repeated prompt cheap. Text prompts go to ``/completions``; the
``chat`` template sends messages to ``/chat/completions``, where the server applies the model's own
chat template.

Retries: connection errors, timeouts, HTTP 408, 429 and 5xx, with exponential backoff and jitter
(a ``Retry-After`` header is honoured, within the cap), at most ``retries`` times per request. Any
other HTTP error is the request's fault and fails at once with the server's message.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ...errors import BackendError
from ..sample import Completion, Problem, Prompt, Request, SamplingParams, Template

__all__ = ["OpenAIBackend"]

_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OpenAIBackend:
    """Samples from ``base_url`` (``http://host:8000/v1``), ``concurrency`` requests at a time."""

    name = "openai"

    def __init__(
        self, base_url: str, model: str, *, model_name: str | None = None, api_key: str | None = None,
        concurrency: int = 16, retries: int = 5, timeout: float = 600.0, backoff: float = 1.0,
        max_backoff: float = 60.0, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise BackendError(f"--base-url must be an http(s) URL, not {base_url!r}")
        if concurrency < 1 or retries < 0:
            raise ValueError("concurrency must be at least 1 and retries at least 0")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.model_name = model_name or model
        self.location = self.base_url
        self.api_key = api_key
        self.concurrency = concurrency
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._random = random.Random()
        self._lock = threading.Lock()
        self.attempts = 0
        """Requests sent, retries included (for the run's record)."""

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "server_model": self.model, "concurrency": self.concurrency}

    def prompt(self, template: Template, problem: Problem) -> Prompt:
        if template.is_chat:
            return Prompt("messages", json.dumps(template.messages(problem.problem), ensure_ascii=False))
        return Prompt("text", template.render(problem.problem))

    # -- one request ----------------------------------------------------------------------------

    def _body(self, request: Request, params: SamplingParams) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.model, "max_tokens": params.max_new_tokens, "temperature": params.temperature,
            "top_p": params.top_p, "seed": request.seed, "n": 1,
        }  # fmt: skip
        if request.prompt.format == "messages":
            body["messages"] = json.loads(request.prompt.text)
            return "/chat/completions", body
        body["prompt"] = request.prompt.text
        return "/completions", body

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method="POST")
        with self._lock:
            self.attempts += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = _error_text(exc)
            if exc.code in _RETRY_STATUS:
                raise _Transient(f"HTTP {exc.code}: {detail}", _retry_after(exc)) from None
            raise BackendError(f"{self.base_url}{path}: HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _Transient(f"{type(exc).__name__}: {reason}") from None
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise _Transient(f"not JSON: {raw[:200]!r}") from None
        if not isinstance(parsed, dict):
            raise BackendError(f"{self.base_url}{path}: unexpected answer: {raw[:200]!r}")
        return parsed

    def complete(self, request: Request, params: SamplingParams) -> Completion:
        """One sample, retried as the module says; ``BackendError`` when it cannot be had."""
        path, body = self._body(request, params)
        last = ""
        for attempt in range(self.retries + 1):
            try:
                answer = self._post(path, body)
                return _completion(request, answer, f"{self.base_url}{path}")
            except _Transient as exc:
                last = str(exc)
                if attempt == self.retries:
                    break
                delay = min(self.max_backoff, self.backoff * 2**attempt) * (0.5 + self._random.random() / 2)
                if exc.retry_after is not None:
                    delay = min(self.max_backoff, max(delay, exc.retry_after))
                self._sleep(delay)
        raise BackendError(f"{self.base_url}{path}: failed after {self.retries + 1} attempt(s): {last}")

    # -- many -----------------------------------------------------------------------------------

    def generate(self, requests: Sequence[Request], params: SamplingParams) -> Iterator[list[Completion]]:
        """Completions as they finish, in groups of whatever finished together; at most ``concurrency`` in
        flight. On a request that fails for good, nothing new is sent, what is in flight is waited for
        and handed back, then the error is raised."""
        pending: set[Future[Completion]] = set()
        todo = iter(requests)
        failure: BaseException | None = None
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="inspect-openai")
        try:
            while True:
                while failure is None and len(pending) < self.concurrency:
                    request = next(todo, None)
                    if request is None:
                        break
                    pending.add(pool.submit(self.complete, request, params))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                group = []
                for future in done:
                    exc = future.exception()
                    if exc is None:
                        group.append(future.result())
                    elif failure is None:
                        failure = exc
                if group:
                    yield group
        finally:
            # Stopped early (Ctrl-C, the caller's error): don't wait here for requests still in flight.
            pool.shutdown(wait=not pending, cancel_futures=True)
        if failure is not None:
            raise failure


def _completion(request: Request, answer: dict[str, Any], where: str) -> Completion:
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BackendError(f"{where}: no choices in the answer: {json.dumps(answer)[:200]}")
    choice = choices[0]
    if "message" in choice:
        text = (choice.get("message") or {}).get("content")
    else:
        text = choice.get("text")
    if not isinstance(text, str):
        raise BackendError(f"{where}: the answer has no text: {json.dumps(choice)[:200]}")
    reason = choice.get("finish_reason") or "stop"
    usage = answer.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return Completion(request, text, str(reason), tokens if isinstance(tokens, int) else None)


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read()[:500]
    except OSError:
        return exc.reason if isinstance(exc.reason, str) else str(exc)
    try:
        parsed = json.loads(raw)
        message = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
        if isinstance(message, dict):
            message = message.get("message", message)
        return str(message)[:300]
    except ValueError:
        return raw.decode("utf-8", "replace")[:300] or str(exc.reason)


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
