"""Opening a chain in two parts, so that the chain view shows a chain of any length at once (issue 14).

:func:`read_head` reads what the first frame needs: the chain's row (its text, problem, verdict and
answer) and the spans of its first steps, three small reads whatever the chain's length. :func:`load_full`
is the rest, for a worker thread: the whole ``ChainResult`` rebuilt from the store (20,000 steps take half
a second), its highlights, and the rows of every step laid out. It opens its own connection (a
connection belongs to its thread) and stops at once when its worker is cancelled: the annotator moved
on to another chain, or quit.

A short chain is still read whole on the UI thread (:func:`is_long`): it costs a few milliseconds, and
its screen then comes up complete in one frame, exactly as before.

The reads of :func:`read_head` are the TUI's only SQL: they belong in ``inspector.store`` (as
``store.load_head``, beside ``store.load_result``, whose columns they read) and move there once the store's
split into a package is done; nothing else here depends on where they live.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database
from textual.worker import get_current_worker

from inspector import store
from inspector.engine.model import ChainResult

from .widgets.chain_layout import Layout, Prepared, lay_out, prepare_result

LONG_STEPS = 400
"""A chain of more steps than this opens in two parts (reading the whole of one costs ~10 ms)."""
LONG_CHARS = 40_000
"""Nor more characters than this (a chain of few, very long steps)."""
OPENING_CHARS = 64_000
"""The first frame lays out at most this much text: a screen's worth of the longest step."""


@dataclass(frozen=True)
class ChainHead:
    """What the chain view draws before the chain's result is loaded: its header, problem and first steps."""

    chain_id: str
    cot: str
    problem: str | None
    reference: str | None
    model: str | None
    sample_index: int | None
    verdict: str
    final_answer: str | None
    answer_correct: bool | None
    steps: int
    """How many steps the chain has."""
    spans: list[tuple[int, int]]
    """The spans of its first steps (as many as were asked for)."""

    def opening(self, chars: int = OPENING_CHARS) -> tuple[str, list[tuple[int, int]]]:
        """The text and spans of the first steps, cut after ``chars`` characters (a step too long to
        lay out at once shows its beginning)."""
        spans = [(s, min(e, chars)) for s, e in self.spans if s < chars] or [(0, min(len(self.cot), chars))]
        return self.cot[: max(e for _, e in spans)], spans


def is_long(head: ChainHead) -> bool:
    """Whether ``head``'s chain opens in two parts: its first steps now, the rest from a worker."""
    return head.steps > LONG_STEPS or len(head.cot) > LONG_CHARS


_HEAD_SQL = (
    "SELECT c.chain_id, c.cot, p.problem, c.reference, c.model, c.sample_index, c.verdict, c.final_answer, "
    "c.final_answer_start, c.final_answer_end, c.answer_correct "
    "FROM chains c LEFT JOIN problems p ON p.problem_id = c.problem_id WHERE c.chain_id = ?"
)


def read_head(db: Database, chain_id: str, first: int) -> ChainHead | None:
    """The chain's row and the spans of its ``first`` steps, or ``None`` when there is no such chain."""
    row = db.conn.execute(_HEAD_SQL, (chain_id,)).fetchone()
    if row is None:
        return None
    cid, cot, problem, reference, model, sample_index, verdict, answer, start, end, correct = row
    (steps,) = db.conn.execute("SELECT count(*) FROM steps WHERE chain_id = ?", (chain_id,)).fetchone()
    spans = [
        (s, e)
        for s, e in db.conn.execute(
            'SELECT "start", "end" FROM steps WHERE chain_id = ? ORDER BY idx LIMIT ?', (chain_id, first)
        )
    ]
    return ChainHead(
        chain_id=cid,
        cot=cot,
        problem=problem,
        reference=reference,
        model=model,
        sample_index=sample_index,
        verdict=verdict,
        # as store.load_result: an answer is one found at a span
        final_answer=answer if answer is not None and start is not None and end is not None else None,
        answer_correct=None if correct is None else bool(correct),
        steps=int(steps),
        spans=spans,
    )


@dataclass(frozen=True)
class Loaded:
    """A chain loaded whole by :func:`load_full`: ``result`` is None when it is no longer stored."""

    chain_id: str
    result: ChainResult | None
    scores: list[store.Score]
    prepared: Prepared | None
    layout: Layout | None


def load_full(path: str, chain_id: str, as_text: bool, width: int | None) -> Loaded | None:
    """The chain's result, scores, highlighted text and, at ``width`` cells, its rows; ``None`` once the
    worker running this is cancelled. Runs in a worker thread, on a connection of its own."""
    worker = get_current_worker()
    db = store.open_reader(path)
    # SQLite asks this every thousand steps of its VM: a cancelled worker's read stops within a row.
    db.conn.set_progress_handler(lambda: int(worker.is_cancelled), 1000)
    try:
        result = store.load_result(db, chain_id)
        scores = store.scores_for_chain(db, chain_id) if result is not None else []
    except sqlite3.OperationalError:
        if worker.is_cancelled:
            return None
        raise
    finally:
        db.close()
    if worker.is_cancelled:
        return None
    if result is None:
        return Loaded(chain_id, None, [], None, None)
    prepared = prepare_result(result, as_text)
    if worker.is_cancelled:
        return None
    layout = lay_out(prepared, width) if width else None
    return Loaded(chain_id, result, scores, prepared, layout)
