"""The OpenAI-compatible backend against a small server of our own on 127.0.0.1: concurrency, retries, resuming."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inspector import store
from inspector.cli import ExitCode, main
from inspector.errors import BackendError
from inspector.sampling.backends.openai import OpenAIBackend
from inspector.sampling.sample import Problem, SamplingParams, load_template, run_sampling, sample_seed

PROBLEMS = [Problem(f"q{i}", f"What is {i} + {i}?", str(2 * i)) for i in range(5)]


@dataclass
class Behaviour:
    """What the server does: fail some requests, take its time, and count what it saw."""

    fail_first: int = 0
    """Answer the first N requests with HTTP 500."""
    fail_after: int | None = None
    """Answer every request after the first N successful ones with HTTP 500 (a server going down)."""
    status: int = 500
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def completion_text(body: dict[str, Any]) -> str:
    """Deterministic: the same request (prompt and seed) always gets the same text; every 3rd chain slips."""
    seed = int(body["seed"])
    a = seed % 50
    wrong = seed % 3 == 0
    total = a + 7 + (1 if wrong else 0)
    return f"Step 1: {a} + 7 = {total}\nThe answer is \\boxed{{{total}}}."


class Handler(BaseHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        b = self.behaviour
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        with b.lock:
            b.requests.append(body)
            b.paths.append(self.path)
            number = len(b.requests)
            b.in_flight += 1
            b.max_in_flight = max(b.max_in_flight, b.in_flight)
            fail = number <= b.fail_first or (b.fail_after is not None and b.served >= b.fail_after)
            if not fail:
                b.served += 1
        try:
            if b.delay:
                time.sleep(b.delay)
            if fail:
                status, payload = b.status, {"error": {"message": "the server is busy"}}
            else:
                text = completion_text(body)
                choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
                if self.path.endswith("/chat/completions"):
                    choice["message"] = {"role": "assistant", "content": text}
                else:
                    choice["text"] = text
                status, payload = 200, {"id": f"c{number}", "choices": [choice],
                                        "usage": {"completion_tokens": len(text.split()), "prompt_tokens": 10}}
        finally:
            # done before the reply leaves: the client may send its next request the moment it reads this one
            with b.lock:
                b.in_flight -= 1
        self._send(status, payload)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    handler = type("BoundHandler", (Handler,), {"behaviour": behaviour})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", behaviour
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def backend(url: str, **kwargs: Any) -> OpenAIBackend:
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("timeout", 10)
    return OpenAIBackend(url, "served-model", model_name="m", **kwargs)


def sample(url: str, db: Any, n: int = 4, template: str = "plain", **kwargs: Any) -> Any:
    return run_sampling(db, backend(url, **kwargs), PROBLEMS, n=n, params=SamplingParams(max_new_tokens=32, seed=3),
                        template=load_template(template))


def count(db: Any, sql: str) -> int:
    return int(db.conn.execute(sql).fetchone()[0])


def test_every_sample_is_one_seeded_request_and_is_verified(server: tuple[str, Behaviour]) -> None:
    url, b = server
    db = store.open_db(None)
    summary = sample(url, db, n=3)
    assert (summary.generated, summary.existing, summary.requested) == (15, 0, 15)
    assert len(b.requests) == 15 and set(b.paths) == {"/v1/completions"}
    first = b.requests[0]
    assert {k: first[k] for k in ("model", "max_tokens", "temperature", "top_p", "n")} == {
        "model": "served-model", "max_tokens": 32, "temperature": 0.6, "top_p": 0.95, "n": 1}
    assert sorted(r["seed"] for r in b.requests) == sorted(sample_seed(3, p.problem_id, i) for p in PROBLEMS for i in range(3))
    assert count(db, "SELECT count(*) FROM samples WHERE n_tokens > 0 AND finish_reason = 'stop'") == 15
    # verified as `inspect verify` would: the slips the server wrote are found
    slips = count(db, "SELECT count(*) FROM chains WHERE verdict IN ('arithmetic_slip', 'lucky_guess', "
                      "'wrong_reasoning', 'canceling_errors')")
    wrong = sum(1 for r in b.requests if r["seed"] % 3 == 0)
    assert count(db, "SELECT count(DISTINCT chain_id) FROM findings WHERE severity = 'error'") == wrong
    assert slips >= wrong


def test_the_chat_template_goes_to_the_chat_endpoint(server: tuple[str, Behaviour]) -> None:
    url, b = server
    db = store.open_db(None)
    sample(url, db, n=1, template="chat")
    assert set(b.paths) == {"/v1/chat/completions"}
    # requests arrive concurrently, in any order
    firsts = [r["messages"][-1]["content"] for r in b.requests]
    assert any(c.startswith("What is 0 + 0?\nPlease reason step by step") for c in firsts), firsts
    assert count(db, "SELECT count(*) FROM prompts WHERE format = 'messages'") == 5


def test_no_more_than_concurrency_requests_at_once(server: tuple[str, Behaviour]) -> None:
    url, b = server
    b.delay = 0.03
    db = store.open_db(None)
    sample(url, db, n=4, concurrency=3)
    assert len(b.requests) == 20
    assert b.max_in_flight == 3


def test_a_500_is_retried(server: tuple[str, Behaviour]) -> None:
    url, b = server
    b.fail_first = 2
    db = store.open_db(None)
    be = backend(url, retries=3, concurrency=1)
    summary = run_sampling(db, be, PROBLEMS[:2], n=2, params=SamplingParams(seed=3), template=load_template("plain"))
    assert summary.generated == 4 and be.attempts == 6 and len(b.requests) == 6
    assert count(db, "SELECT count(*) FROM samples") == 4


@pytest.mark.parametrize(("status", "attempts"), [(500, 3), (503, 3), (429, 3), (400, 1), (404, 1)])
def test_what_is_retried_and_what_fails_at_once(server: tuple[str, Behaviour], status: int, attempts: int) -> None:
    url, b = server
    b.fail_first, b.status = 10**6, status
    be = backend(url, retries=2, concurrency=1)
    with pytest.raises(BackendError, match=f"HTTP {status}"):
        run_sampling(store.open_db(None), be, PROBLEMS[:1], n=1, params=SamplingParams(), template=load_template("plain"))
    assert len(b.requests) == attempts


def test_a_server_that_goes_down_leaves_what_finished_and_a_rerun_resumes(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, b = server
    b.fail_after = 7
    db = store.open_db(tmp_path / "s.db")
    with pytest.raises(BackendError, match="failed after 2 attempt"):
        sample(url, db, n=4, retries=1, concurrency=2)
    stored = count(db, "SELECT count(*) FROM samples")
    assert stored == 7
    run = db.conn.execute("SELECT requested, generated, finished_at IS NOT NULL FROM sampling_runs").fetchone()
    assert run == (20, 7, 1)
    b.fail_after, b.requests[:] = None, []
    summary = sample(url, db, n=4)
    assert (summary.generated, summary.existing) == (13, 7) and len(b.requests) == 13
    assert count(db, "SELECT count(*) FROM samples") == count(db, "SELECT count(DISTINCT chain_id) FROM chains") == 20
    # the same seeds as a run that never failed: the same texts
    other = store.open_db(None)
    sample(url, other, n=4)
    mine = dict(db.conn.execute("SELECT chain_id, cot FROM chains").fetchall())
    assert mine == dict(other.conn.execute("SELECT chain_id, cot FROM chains").fetchall())


def test_cli_with_a_server(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, b = server
    problems = tmp_path / "p.jsonl"
    problems.write_text("".join(json.dumps({"id": p.problem_id, "problem": p.problem, "answer": p.reference}) + "\n"
                                for p in PROBLEMS))
    db = tmp_path / "s.db"
    args = ["sample", "--backend", "openai", "--base-url", url, "--model", "served-model", "--problems", str(problems),
            "--n", "2", "--db", str(db), "--concurrency", "4", "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "sampled 10 new chain(s), 0 already there, of 10" in result.stderr
    assert set(b.paths) == {"/v1/chat/completions"}  # auto: a server applies its own chat template
    again = CliRunner().invoke(main, args)
    assert again.exit_code == ExitCode.OK and "sampled 0 new chain(s), 10 already there" in again.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), min(model), max(model) FROM samples").fetchone() == (10, "served-model", "served-model")
    conn.close()
    # no server at all: a connection error, retried, then exit 4 with what to do
    gone = CliRunner().invoke(main, [*args[:4], "http://127.0.0.1:9/v1", *args[5:], "--retries", "0", "--n", "3"])
    assert gone.exit_code == ExitCode.BACKEND_FAILED and "run the same command again" in gone.stderr


def test_openai_needs_a_base_url(tmp_path: Path) -> None:
    problems = tmp_path / "p.jsonl"
    problems.write_text('{"problem": "1+1?"}\n')
    result = CliRunner().invoke(main, ["sample", "--backend", "openai", "--model", "m", "--problems", str(problems)])
    assert result.exit_code == 2 and "--base-url" in result.stderr
