"""What ``inspect report`` and ``inspect export`` read: every chain and every label, streamed in pages.

Whole-database reads, kept apart from the labelling tool's one-chain reads: they stream millions of
chains in pages of ``rowid`` (never OFFSET) and read no chain text unless an export asks for it.
:func:`iter_report_groups` is what ``inspect report`` reads instead of every chain: chains that count alike,
counted by SQLite through one index (migration 0008). :func:`report_state` is what a cached report is
checked against.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlite_utils import Database

from inspector.engine.model import ChainResult
from inspector.labels.labelset import ChainLabel, ChainLabels, Note, StepLabel

from .connection import _opt_bool, _rows
from .results import load_result
from .schema import SOURCE_FILE_SQL


def report_state(db: Database) -> tuple[object, ...]:
    """What a report of the whole database depends on, cheap to read: it changes whenever a chain is written
    or rewritten, or a chain or step label is made, replaced or undone (an undo changes no id, so the
    counts of superseded and undone labels are part of it). Equal states give equal reports."""
    row = db.conn.execute(
        "SELECT (SELECT count(*) FROM chains), (SELECT max(rowid) FROM chains), (SELECT max(updated_at) FROM chains), "
        "(SELECT count(*) FROM chain_labels), (SELECT max(id) FROM chain_labels), "
        "(SELECT count(superseded_at) FROM chain_labels), (SELECT count(undone_at) FROM chain_labels), "
        "(SELECT count(*) FROM step_labels), (SELECT max(id) FROM step_labels), "
        "(SELECT count(superseded_at) FROM step_labels), (SELECT count(undone_at) FROM step_labels), "
        "(SELECT count(*) FROM notes), (SELECT max(rowid) FROM notes)"
    ).fetchone()
    return tuple(row)


class ReportRow(NamedTuple):
    """What ``inspect report`` needs of one chain: no text, so millions of chains stream cheaply."""

    chain_id: str
    problem_id: str | None
    model: str | None
    source: str | None
    verdict: str
    answer_correct: bool | None
    repaired_correct: bool | None
    first_error_step: int | None
    """The step of the chain's first arithmetic error (a finding of severity ``error``), if any."""
    steps: int
    problem_set: str | None = None


_REPORT_ROW_SQL = (
    "SELECT c.rowid, c.chain_id, c.problem_id, c.model, c.source, c.verdict, c.answer_correct, "
    "c.repaired_correct, "
    "(SELECT MIN(f.step) FROM findings f WHERE f.chain_id = c.chain_id AND f.severity = 'error'), "
    "(SELECT COUNT(*) FROM steps s WHERE s.chain_id = c.chain_id), c.problem_set FROM chains c"
)


def _report_row(row: Sequence[Any]) -> ReportRow:
    return ReportRow(
        row[1], row[2], row[3], row[4], row[5], _opt_bool(row[6]), _opt_bool(row[7]), row[8], row[9], row[10]
    )


def iter_report_rows(db: Database, *, batch_size: int = 5000) -> Iterator[ReportRow]:
    """Every stored chain as a :class:`ReportRow`, in the order first written, read in pages."""
    sql = f"{_REPORT_ROW_SQL} WHERE c.rowid > ? ORDER BY c.rowid LIMIT ?"
    last = 0
    while rows := db.conn.execute(sql, (last, batch_size)).fetchall():
        for row in rows:
            last = row[0]
            yield _report_row(row)


def report_rows_of(db: Database, chain_ids: Sequence[str]) -> list[ReportRow]:
    """The given chains as report rows (those stored), in the order first written: the few a
    report needs one by one (the labelled ones)."""
    found: list[tuple[int, ReportRow]] = []
    for start in range(0, len(chain_ids), 500):
        ids = list(chain_ids[start : start + 500])
        sql = f"{_REPORT_ROW_SQL} WHERE c.chain_id IN ({', '.join('?' * len(ids))})"
        found.extend((row[0], _report_row(row)) for row in db.conn.execute(sql, ids))
    return [row for _, row in sorted(found, key=lambda pair: pair[0])]


class ReportGroup(NamedTuple):
    """Chains that count alike in a report: one model, problem set, input file, problem, verdict and answer."""

    model: str | None
    problem_set: str | None
    source_file: str | None
    """The chains' ``source`` without its line number (:func:`source_file`)."""
    problem: str
    """The problem id, or ``chain:<chain id>`` for a chain without one (a problem of its own)."""
    verdict: str
    answer_correct: bool | None
    chains: int


def source_file(source: str | None) -> str | None:
    """``data/gsm8k.json:12`` → ``data/gsm8k.json``: a chain's source without its line number, as
    ``SOURCE_FILE_SQL`` computes it in SQL (ASCII digits after the last colon; ``a:`` and ``a:b1`` stay)."""
    if source is None:
        return None
    head, sep, tail = source.rpartition(":")
    return head if sep and tail.isascii() and tail.isdigit() else source


def iter_report_groups(db: Database) -> Iterator[ReportGroup]:
    """Every stored chain, counted in groups: what a report needs of the chains no one labelled.

    Counted by SQLite in the order of ``idx_chains_report`` (migration 0008), which holds every column read:
    200,000 chains in about 0.1 s, where reading them one by one took seconds. Chains without a problem id
    are each a problem of their own, and come one by one (through ``idx_chains_problem_id``).
    """
    cols = f"model, problem_set, problem_id, verdict, answer_correct, {SOURCE_FILE_SQL}"
    sql = f"SELECT {cols}, count(*) FROM chains WHERE problem_id <> '' GROUP BY {cols}"
    for r in db.conn.execute(sql):
        yield ReportGroup(r[0], r[1], r[5], r[2], r[3], _opt_bool(r[4]), r[6])
    sql = (
        f"SELECT model, problem_set, chain_id, verdict, answer_correct, {SOURCE_FILE_SQL} FROM chains "
        "WHERE problem_id IS NULL OR problem_id = ''"
    )
    for r in db.conn.execute(sql):
        yield ReportGroup(r[0], r[1], r[5], f"chain:{r[2]}", r[3], _opt_bool(r[4]), 1)


def iter_labelled_chain_ids(db: Database) -> Iterator[str]:
    """Chains with at least one human chain label, step label or note, in the order first written.

    Rows the labelling tool marked undone (``undone_at``) don't count, here or anywhere below. Read from
    the label tables (few rows), not by probing them for every chain.
    """
    sql = (
        "SELECT c.chain_id FROM chains c WHERE c.chain_id IN ("
        "SELECT chain_id FROM chain_labels WHERE undone_at IS NULL "
        "UNION SELECT chain_id FROM step_labels WHERE undone_at IS NULL "
        "UNION SELECT chain_id FROM notes WHERE undone_at IS NULL) ORDER BY c.rowid"
    )
    for (chain_id,) in db.conn.execute(sql):
        yield chain_id


def labels_for(db: Database, chain_ids: Sequence[str]) -> dict[str, ChainLabels]:
    """Every human label and note (history included) of the given chains; chains without any are absent."""
    chain: dict[str, list[ChainLabel]] = {}
    steps: dict[str, list[StepLabel]] = {}
    notes: dict[str, list[Note]] = {}
    for start in range(0, len(chain_ids), 500):
        ids = list(chain_ids[start : start + 500])
        marks = ", ".join("?" * len(ids))
        for r in _rows(
            db,
            "SELECT chain_id, annotator, label, note, created_at, superseded_at, machine_verdict, blind "
            f"FROM chain_labels WHERE chain_id IN ({marks}) AND undone_at IS NULL ORDER BY id",
            ids,
        ):
            chain.setdefault(r["chain_id"], []).append(
                ChainLabel(r["chain_id"], r["annotator"], r["label"], r["created_at"], r["note"],
                           r["superseded_at"], r["machine_verdict"], _opt_bool(r["blind"]))
            )
        for r in _rows(
            db,
            "SELECT chain_id, step, annotator, rating, first_error, created_at, superseded_at "
            f"FROM step_labels WHERE chain_id IN ({marks}) AND undone_at IS NULL ORDER BY id",
            ids,
        ):
            steps.setdefault(r["chain_id"], []).append(
                StepLabel(r["chain_id"], r["step"], r["annotator"], r["rating"], r["created_at"],
                          bool(r["first_error"]), r["superseded_at"])
            )
        for r in _rows(
            db,
            "SELECT chain_id, annotator, text, created_at, superseded_at FROM notes "
            f"WHERE chain_id IN ({marks}) AND undone_at IS NULL ORDER BY id",
            ids,
        ):
            notes.setdefault(r["chain_id"], []).append(
                Note(r["chain_id"], r["annotator"], r["text"], r["created_at"], r["superseded_at"])
            )
    return {
        cid: ChainLabels(tuple(chain.get(cid, ())), tuple(steps.get(cid, ())), tuple(notes.get(cid, ())))
        for cid in chain_ids
        if cid in chain or cid in steps or cid in notes
    }


def iter_selected_chain_ids(
    db: Database, *, models: Sequence[str] = (), verdicts: Sequence[str] = (), labelled_only: bool = False
) -> Iterator[str]:
    """Stored chain ids of any of ``models`` and ``verdicts`` (all when empty), in the order first written."""
    where: list[str] = []
    params: list[str] = []
    if models:
        where.append(f"c.model IN ({', '.join('?' * len(models))})")
        params.extend(models)
    if verdicts:
        where.append(f"c.verdict IN ({', '.join('?' * len(verdicts))})")
        params.extend(verdicts)
    if labelled_only:
        where.append(
            "(EXISTS (SELECT 1 FROM chain_labels l WHERE l.chain_id = c.chain_id AND l.undone_at IS NULL) "
            "OR EXISTS (SELECT 1 FROM step_labels s WHERE s.chain_id = c.chain_id AND s.undone_at IS NULL))"
        )
    sql = "SELECT c.chain_id FROM chains c" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.rowid"
    for (chain_id,) in db.conn.execute(sql, params):
        yield chain_id


def iter_results_with_labels(
    db: Database,
    *,
    models: Sequence[str] = (),
    verdicts: Sequence[str] = (),
    labelled_only: bool = False,
    batch_size: int = 200,
) -> Iterator[tuple[ChainResult, ChainLabels]]:
    """Stored chains with everything people said about them, streamed ``batch_size`` at a time."""
    ids = iter_selected_chain_ids(db, models=models, verdicts=verdicts, labelled_only=labelled_only)
    empty = ChainLabels()
    while batch := list(itertools.islice(ids, batch_size)):
        labels = labels_for(db, batch)
        for cid in batch:
            result = load_result(db, cid)
            if result is not None:
                yield result, labels.get(cid, empty)
