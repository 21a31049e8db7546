"""Opening a chain in two parts, so that the chain view shows a chain of any length at once (issue 14).

``store.load_head`` reads what the first frame needs: the chain's row (its text, problem, verdict and
answer) and the spans of its first steps, three small reads whatever the chain's length. :func:`load_full`
is the rest, for a worker thread: the whole ``ChainResult`` rebuilt from the store (20,000 steps take half
a second), its highlights, and the rows of every step laid out. It opens its own connection (a
connection belongs to its thread) and stops at once when its worker is cancelled: the annotator moved
on to another chain, or quit.

A short chain is still read whole on the UI thread (:func:`is_long`): it costs a few milliseconds, and
its screen then comes up complete in one frame, exactly as before.

The first frame's reads are ``store.load_head`` (the store runs every query; the TUI runs none).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from textual.worker import get_current_worker

from inspector import store
from inspector.engine.model import ChainResult
from inspector.store import ChainHead

from .widgets.chain_layout import Layout, Prepared, lay_out, prepare_result

LONG_STEPS = 400
"""A chain of more steps than this opens in two parts (reading the whole of one costs ~10 ms)."""
LONG_CHARS = 40_000
"""Nor more characters than this (a chain of few, very long steps)."""
OPENING_CHARS = 64_000
"""The first frame lays out at most this much text: a screen's worth of the longest step."""


def opening(head: ChainHead, chars: int = OPENING_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """The text and spans of ``head``'s first steps, cut after ``chars`` characters (a step too long to
    lay out at once shows its beginning)."""
    spans = [(s, min(e, chars)) for s, e in head.spans if s < chars] or [(0, min(len(head.cot), chars))]
    return head.cot[: max(e for _, e in spans)], spans


def is_long(head: ChainHead) -> bool:
    """Whether ``head``'s chain opens in two parts: its first steps now, the rest from a worker."""
    return head.steps > LONG_STEPS or len(head.cot) > LONG_CHARS


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
