"""Samples and scores: what ``inspect sample`` and ``inspect score`` write (migration 0003).

A sampled chain is stored with its verification rows and where it came from in one transaction
(so a resumed run redoes exactly what is missing); scores are replaced per chain, kind and model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlite_utils import Database

from .connection import _immediate, _now
from .results import ChainRows, _write_batch


class SampleRow(NamedTuple):
    """Where one sampled chain came from; written with the chain's own rows, in one transaction."""

    chain_id: str
    model: str
    problem_id: str
    params_hash: str
    sample_index: int
    params_json: str
    seed: int
    """The sample's own seed (derived from the run's seed, the problem and the sample index)."""
    finish_reason: str
    """``stop`` (the model ended it) or ``length`` (``max_new_tokens`` reached)."""
    n_tokens: int | None
    """Tokens generated, the end-of-sequence token included (``None`` where a server did not say)."""
    prompt_hash: str
    prompt_format: str
    """``text`` (a plain prompt: the tokenizer adds its own start token), ``chat_text`` (a chat template's
    output, which carries its special tokens) or ``messages`` (chat messages as JSON, for a chat endpoint)."""
    prompt: str


class SampleInfo(NamedTuple):
    """A stored sample's provenance, as :func:`sample_for_chain` reads it back."""

    chain_id: str
    model: str
    problem_id: str
    sample_index: int
    params: dict[str, Any]
    seed: int
    finish_reason: str
    n_tokens: int | None
    prompt_format: str
    prompt: str
    created_at: str


class ScoreRow(NamedTuple):
    """One learned score of a step (``claim`` None) or of a claim's stated result (``claim`` = claims.idx)."""

    step: int
    claim: int | None
    score: float
    tokens: int | None
    """How many tokens the score was read from (for a mean, say), where that means something."""
    start: int | None
    end: int | None
    """The span scored, in characters of the chain text."""


class Score(NamedTuple):
    """A stored score, as :func:`scores_for_chain` reads it back."""

    kind: str
    """``logprob``: a step's score is its mean token log-probability, a claim's the probability of the
    tokens of its stated result; ``prm``: a step's positive-class probability from a process reward model."""
    model: str
    step: int
    claim: int | None
    score: float
    tokens: int | None
    start: int | None
    end: int | None
    created_at: str


def start_sampling_run(
    db: Database, *, run_id: int, model: str, model_path: str | None, backend: str, params_hash: str,
    params_json: str,
) -> int:
    """Record the start of one ``inspect sample`` invocation and return its id."""
    with _immediate(db):
        cursor = db.conn.execute(
            "INSERT INTO sampling_runs (run_id, model, model_path, backend, params_hash, params_json, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, model, model_path, backend, params_hash, params_json, _now()),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish_sampling_run(db: Database, sampling_run_id: int, *, requested: int, generated: int, tokens: int) -> None:
    with _immediate(db):
        db.conn.execute(
            "UPDATE sampling_runs SET finished_at = ?, requested = ?, generated = ?, tokens = ? WHERE id = ?",
            (_now(), requested, generated, tokens, sampling_run_id),
        )


def sampled_indices(db: Database, model: str, params_hash: str) -> dict[str, set[int]]:
    """problem_id → the sample indices already stored for this model and these sampling parameters."""
    out: dict[str, set[int]] = {}
    for problem_id, index in db.conn.execute(
        "SELECT problem_id, sample_index FROM samples WHERE model = ? AND params_hash = ?", (model, params_hash)
    ):
        out.setdefault(problem_id, set()).add(index)
    return out


_INSERT_PROMPT = "INSERT OR IGNORE INTO prompts (prompt_hash, format, prompt) VALUES (?, ?, ?)"
_INSERT_SAMPLE = (
    "INSERT OR IGNORE INTO samples (chain_id, model, problem_id, params_hash, sample_index, params_json, seed, "
    "finish_reason, n_tokens, prompt_hash, sampling_run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def write_samples(
    db: Database, run_id: int, sampling_run_id: int | None, items: Sequence[tuple[SampleRow, ChainRows]]
) -> int:
    """Store sampled chains (their verification rows, as ``write_rows`` does) and where they came from.

    One transaction for the batch: a process killed at any moment leaves each sample either wholly
    stored or absent, never a chain without its provenance, so a resumed run redoes exactly what is
    missing. A sample already stored under the same key is left as it is.
    """
    if not items:
        return 0
    now = _now()
    with _immediate(db):
        _write_batch(db, run_id, [rows for _, rows in items])
        conn = db.conn
        conn.executemany(_INSERT_PROMPT, {(s.prompt_hash, s.prompt_format, s.prompt) for s, _ in items})
        conn.executemany(
            _INSERT_SAMPLE,
            [
                (s.chain_id, s.model, s.problem_id, s.params_hash, s.sample_index, s.params_json, s.seed,
                 s.finish_reason, s.n_tokens, s.prompt_hash, sampling_run_id, now)
                for s, _ in items
            ],
        )  # fmt: skip
    return len(items)


def sample_for_chain(db: Database, chain_id: str) -> SampleInfo | None:
    """How a chain was sampled (model, parameters, seed, prompt ...), or ``None`` for a chain not sampled here."""
    row = db.conn.execute(
        "SELECT s.chain_id, s.model, s.problem_id, s.sample_index, s.params_json, s.seed, s.finish_reason, "
        "s.n_tokens, p.format, p.prompt, s.created_at FROM samples s JOIN prompts p ON p.prompt_hash = s.prompt_hash "
        "WHERE s.chain_id = ?",
        (chain_id,),
    ).fetchone()
    if row is None:
        return None
    return SampleInfo(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7], row[8], row[9],
                      row[10])


def scored_chain_ids(db: Database, kind: str, model: str) -> set[str]:
    """The chains that already have scores of this kind from this model (a resumed run skips them)."""
    return {
        r[0]
        for r in db.conn.execute("SELECT DISTINCT chain_id FROM scores WHERE kind = ? AND model = ?", (kind, model))
    }


def write_scores(db: Database, kind: str, model: str, scores: Mapping[str, Sequence[ScoreRow]]) -> int:
    """Replace the chains' scores of this kind from this model with ``scores``, in one transaction."""
    now = _now()
    conn = db.conn
    with _immediate(db):
        conn.executemany(
            "DELETE FROM scores WHERE chain_id = ? AND kind = ? AND model = ?", [(cid, kind, model) for cid in scores]
        )
        conn.executemany(
            'INSERT INTO scores (chain_id, kind, model, step, claim, score, tokens, "start", "end", created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (cid, kind, model, r.step, r.claim, float(r.score), r.tokens, r.start, r.end, now)
                for cid, rows in scores.items()
                for r in rows
            ],
        )
    return sum(len(rows) for rows in scores.values())


def scores_for_chain(db: Database, chain_id: str) -> list[Score]:
    """Every stored score of the chain: by kind, scoring model, step, then the step's own score before its claims'."""
    return [
        Score(*row)
        for row in db.conn.execute(
            'SELECT kind, model, step, claim, score, tokens, "start", "end", created_at FROM scores '
            "WHERE chain_id = ? ORDER BY kind, model, step, claim IS NOT NULL, claim",
            (chain_id,),
        )
    ]
