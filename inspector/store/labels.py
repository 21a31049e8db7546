"""The human label tables (chain and step labels, notes): every write to them, and the reads of one chain's.

Two writers, side by side so the tables' rules live in one place: the annotator's, one change at a
time and undoable (``inspect label``), and :func:`add_labels`, which adds labels from a file in bulk,
idempotently (``inspect import``). ``write_results`` never touches these tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlite_utils import Database

from inspector.errors import StoreError
from inspector.labels.labelset import ChainLabel, ChainLabels, StepLabel

from .connection import _immediate, _now, _opt_bool, _rows

# --------------------------------------------------------------------------------------------------
# Labels: what annotators record with `inspect label` (written here and nowhere else)
#
# Every write is one BEGIN IMMEDIATE transaction, committed before the function returns: a label
# the screen shows as saved survives a SIGKILL, and two annotators on one file wait a few
# milliseconds for each other instead of failing or overwriting. History is append-only: a change
# inserts a new row and sets ``superseded_at`` on the row it replaces; an undo sets ``undone_at``
# (and ``superseded_at``) on the row it takes back and makes the row before it current again.

LABEL_TABLES = ("chain_labels", "step_labels", "notes")


class LabelChange(NamedTuple):
    """One row a label write made current and the row it replaced: what an undo takes back."""

    table: str
    new_id: int | None
    """The inserted row; ``None`` when the write only cleared (an emptied note)."""
    previous_id: int | None
    """The row that was current before, now superseded; ``None`` when there was none."""


class CurrentLabels(NamedTuple):
    """One annotator's current labels on one chain."""

    label: str | None
    agrees: bool | None
    steps: dict[int, tuple[int | None, bool]]
    """Step index → (rating -1/0/1 or None, marked as the first error)."""
    note: str | None


_T = TypeVar("_T")


def _label_write(db: Database, what: str, write: Callable[[sqlite3.Connection], _T]) -> _T:
    try:
        with _immediate(db):
            return write(db.conn)
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"{what}: refused by the database: {exc}") from exc
    except sqlite3.OperationalError as exc:  # locked past busy_timeout, read-only file, disk full
        raise StoreError(f"{what}: not saved: {exc}") from exc


def set_chain_label(
    db: Database, chain_id: str, label: str, *, annotator: str, machine_verdict: str | None,
    run_id: int | None, agrees: bool | None, blind: bool | None = None,
) -> LabelChange | None:
    """Make ``label`` the annotator's current label of the chain; ``None`` when it already was.

    ``blind``: the label was given without the machine's verdict or others' labels on screen.
    ``machine_verdict`` and ``run_id`` are those the annotator was shown, so a later re-verify does
    not change what the label was made against; the same label against another verdict is a new row.
    """

    def write(conn: sqlite3.Connection) -> LabelChange | None:
        prev = conn.execute(
            "SELECT id, label, machine_verdict, run_id FROM chain_labels "
            "WHERE chain_id = ? AND annotator = ? AND superseded_at IS NULL",
            (chain_id, annotator),
        ).fetchone()
        if prev is not None and tuple(prev[1:]) == (label, machine_verdict, run_id):
            return None
        now = _now()
        if prev is not None:
            conn.execute("UPDATE chain_labels SET superseded_at = ? WHERE id = ?", (now, prev[0]))
        cursor = conn.execute(
            "INSERT INTO chain_labels (chain_id, annotator, label, created_at, machine_verdict, run_id, "
            "agrees_with_machine, blind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (chain_id, annotator, label, now, machine_verdict, run_id, agrees, None if blind is None else int(blind)),
        )
        return LabelChange("chain_labels", cursor.lastrowid, prev[0] if prev is not None else None)

    return _label_write(db, f"label of chain {chain_id!r}", write)


def _current_step(conn: sqlite3.Connection, chain_id: str, step: int, annotator: str) -> Any:
    return conn.execute(
        "SELECT id, rating, first_error FROM step_labels "
        "WHERE chain_id = ? AND step = ? AND annotator = ? AND superseded_at IS NULL",
        (chain_id, step, annotator),
    ).fetchone()


class StepMachine(NamedTuple):
    """What the machine said, as the annotator saw it, recorded with each step label."""

    run_id: int | None = None
    verdict: str | None = None
    error_steps: frozenset[int] = frozenset()
    """The steps where the machine found an arithmetic error."""

    def agrees(self, step: int, rating: int | None) -> bool | None:
        """A bad step where the machine found an error, or a good one where it found none;
        ``None`` for a neutral or missing rating."""
        if rating is None or rating == 0:
            return None
        return (rating < 0) == (step in self.error_steps)


NO_MACHINE = StepMachine()
"""Step labels made without showing the machine's findings."""


def _replace_step(
    conn: sqlite3.Connection, chain_id: str, step: int, annotator: str, machine: StepMachine,
    rating: int | None, first_error: bool, prev: Any, now: str,
) -> LabelChange | None:
    if prev is not None and (prev[1], bool(prev[2])) == (rating, first_error):
        return None
    if prev is None and rating is None and not first_error:
        return None
    if prev is not None:
        conn.execute("UPDATE step_labels SET superseded_at = ? WHERE id = ?", (now, prev[0]))
    cursor = conn.execute(
        "INSERT INTO step_labels (chain_id, step, annotator, rating, first_error, created_at, run_id, "
        "machine_verdict, agrees_with_machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (chain_id, step, annotator, rating, int(first_error), now, machine.run_id, machine.verdict,
         machine.agrees(step, rating)),
    )  # fmt: skip
    return LabelChange("step_labels", cursor.lastrowid, prev[0] if prev is not None else None)


def _require_step(conn: sqlite3.Connection, chain_id: str, step: int) -> None:
    if conn.execute("SELECT 1 FROM steps WHERE chain_id = ? AND idx = ?", (chain_id, step)).fetchone() is None:
        raise StoreError(f"chain {chain_id!r} has no step {step}")


def rate_step(
    db: Database, chain_id: str, step: int, rating: int, *, annotator: str, machine: StepMachine = NO_MACHINE
) -> LabelChange | None:
    """Rate one step PRM800K-style (1 good, 0 neutral, -1 bad); its first-error mark is kept."""
    if rating not in (-1, 0, 1):
        raise ValueError(f"a step rating is -1, 0 or 1, not {rating!r}")

    def write(conn: sqlite3.Connection) -> LabelChange | None:
        _require_step(conn, chain_id, step)
        prev = _current_step(conn, chain_id, step, annotator)
        first = bool(prev[2]) if prev is not None else False
        return _replace_step(conn, chain_id, step, annotator, machine, rating, first, prev, _now())

    return _label_write(db, f"rating of step {step} of chain {chain_id!r}", write)


def mark_first_error(
    db: Database, chain_id: str, step: int, *, annotator: str, machine: StepMachine = NO_MACHINE
) -> tuple[LabelChange, ...]:
    """Toggle "the first error is here" on a step, in one transaction.

    Marking rates the step bad (the first error is the first bad step, as in PRM800K) and takes the
    mark off any other step of the chain; marking the marked step again takes the mark off it.
    """

    def write(conn: sqlite3.Connection) -> tuple[LabelChange, ...]:
        _require_step(conn, chain_id, step)
        now = _now()
        prev = _current_step(conn, chain_id, step, annotator)
        changes: list[LabelChange | None] = []
        if prev is not None and prev[2]:
            changes.append(_replace_step(conn, chain_id, step, annotator, machine, prev[1], False, prev, now))
        else:
            others = conn.execute(
                "SELECT id, rating, first_error, step FROM step_labels WHERE chain_id = ? AND annotator = ? "
                "AND superseded_at IS NULL AND first_error = 1 AND step != ?",
                (chain_id, annotator, step),
            ).fetchall()
            for other in others:
                changes.append(_replace_step(conn, chain_id, other[3], annotator, machine, other[1], False, other, now))
            changes.append(_replace_step(conn, chain_id, step, annotator, machine, -1, True, prev, now))
        return tuple(c for c in changes if c is not None)

    return _label_write(db, f"first error of chain {chain_id!r}", write)


def set_note(db: Database, chain_id: str, text: str, *, annotator: str) -> LabelChange | None:
    """Make ``text`` the annotator's note on the chain (an empty text clears it); ``None`` if unchanged."""
    text = text.strip()

    def write(conn: sqlite3.Connection) -> LabelChange | None:
        # The latest current note is the one shown and edited; imported ones beside it stay as they are.
        prev = conn.execute(
            "SELECT id, text FROM notes WHERE chain_id = ? AND annotator = ? AND superseded_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (chain_id, annotator),
        ).fetchone()
        if (prev[1] if prev is not None else "") == text:
            return None
        now = _now()
        if prev is not None:
            conn.execute("UPDATE notes SET superseded_at = ? WHERE id = ?", (now, prev[0]))
        new_id = None
        if text:
            cursor = conn.execute(
                "INSERT INTO notes (chain_id, annotator, text, created_at) VALUES (?, ?, ?, ?)",
                (chain_id, annotator, text, now),
            )
            new_id = cursor.lastrowid
        return LabelChange("notes", new_id, prev[0] if prev is not None else None)

    return _label_write(db, f"note on chain {chain_id!r}", write)


class _StaleUndo(Exception):
    pass


def undo_changes(db: Database, changes: Sequence[LabelChange]) -> bool:
    """Take back the changes of one action (all or nothing), newest first.

    Returns False and touches nothing when a row it would take back is no longer current (it was
    changed since, from another terminal say), rather than undo someone else's work.
    """
    for change in changes:
        if change.table not in LABEL_TABLES:
            raise ValueError(f"not a label table: {change.table!r}")
    now = _now()

    def write(conn: sqlite3.Connection) -> bool:
        for change in reversed(changes):
            if change.new_id is not None:
                cursor = conn.execute(
                    f"UPDATE {change.table} SET superseded_at = ?, undone_at = ? "
                    "WHERE id = ? AND superseded_at IS NULL",
                    (now, now, change.new_id),
                )
                if cursor.rowcount != 1:
                    raise _StaleUndo
            if change.previous_id is not None:
                cursor = conn.execute(
                    f"UPDATE {change.table} SET superseded_at = NULL WHERE id = ? AND superseded_at IS NOT NULL",
                    (change.previous_id,),
                )
                if cursor.rowcount != 1:
                    raise _StaleUndo
        return True

    try:
        return _label_write(db, "undo", write)
    except _StaleUndo:
        return False
    except StoreError as exc:
        if isinstance(exc.__cause__, sqlite3.IntegrityError):  # another row became current meanwhile
            return False
        raise


def current_labels(db: Database, chain_id: str, annotator: str) -> CurrentLabels:
    """The annotator's current chain label, step ratings and note on one chain."""
    conn = db.conn
    label = conn.execute(
        "SELECT label, agrees_with_machine FROM chain_labels "
        "WHERE chain_id = ? AND annotator = ? AND superseded_at IS NULL",
        (chain_id, annotator),
    ).fetchone()
    steps = {
        row[0]: (row[1], bool(row[2]))
        for row in conn.execute(
            "SELECT step, rating, first_error FROM step_labels "
            "WHERE chain_id = ? AND annotator = ? AND superseded_at IS NULL",
            (chain_id, annotator),
        )
    }
    note = conn.execute(
        "SELECT text FROM notes WHERE chain_id = ? AND annotator = ? AND superseded_at IS NULL "
        "ORDER BY id DESC LIMIT 1",
        (chain_id, annotator),
    ).fetchone()
    return CurrentLabels(
        label=label[0] if label else None,
        agrees=_opt_bool(label[1]) if label else None,
        steps=steps,
        note=note[0] if note else None,
    )


def other_labels(db: Database, chain_id: str, annotator: str) -> list[tuple[str, str]]:
    """``(annotator, label)`` of every other annotator's current label of the chain."""
    return [
        (row[0], row[1])
        for row in db.conn.execute(
            "SELECT annotator, label FROM chain_labels WHERE chain_id = ? AND superseded_at IS NULL "
            "AND annotator IS NOT ? ORDER BY annotator",
            (chain_id, annotator),
        )
    ]


def label_history(db: Database, chain_id: str) -> list[dict[str, Any]]:
    """Every label row ever written for the chain (all annotators, current or not), oldest first."""
    out: list[dict[str, Any]] = []
    for table in LABEL_TABLES:
        for row in _rows(db, f"SELECT * FROM {table} WHERE chain_id = ? ORDER BY id", (chain_id,)):
            out.append({"table": table, **dict(row)})
    out.sort(key=lambda r: (r["created_at"], r["table"], r["id"]))
    return out


# --------------------------------------------------------------------------------------------------
# Imported labels: what `inspect import` adds, history included


class LabelCounts(NamedTuple):
    """What an import of labels did: rows added, and rows already there (skipped)."""

    added: int
    unchanged: int


def add_labels(db: Database, labels: Iterable[ChainLabels], *, run_id: int | None = None) -> LabelCounts:
    """Store imported human labels, idempotently, keeping each annotator's history straight.

    A label identical to one already stored (same chain, annotator and label, or step and rating) is
    skipped, so importing a file twice changes nothing. A different current label from the same
    annotator supersedes the stored one when it is newer, and goes in already superseded when it is
    older. A superseded label (history from an export) goes in as it is unless already there. The
    machine's verdict at the time is recorded with a chain label (the stored chain's, unless the
    label carries its own). The chains must be stored first.
    """
    added = unchanged = 0
    conn = db.conn
    with _immediate(db):
        for group in labels:
            for lab in group.chain_labels:
                if _add_chain_label(conn, lab, run_id):
                    added += 1
                else:
                    unchanged += 1
            for st in group.step_labels:
                if _add_step_label(conn, st, run_id):
                    added += 1
                else:
                    unchanged += 1
            for note in group.notes:
                if conn.execute(
                    "SELECT 1 FROM notes WHERE chain_id = ? AND annotator IS ? AND text = ? AND undone_at IS NULL",
                    (note.chain_id, note.annotator, note.text),
                ).fetchone():
                    unchanged += 1
                    continue
                conn.execute(
                    "INSERT INTO notes (chain_id, annotator, text, created_at, superseded_at) VALUES (?, ?, ?, ?, ?)",
                    (note.chain_id, note.annotator, note.text, note.created_at, note.superseded_at),
                )
                added += 1
    return LabelCounts(added, unchanged)


def _add_chain_label(conn: sqlite3.Connection, lab: ChainLabel, run_id: int | None) -> bool:
    if lab.superseded_at is not None:
        if conn.execute(
            "SELECT 1 FROM chain_labels WHERE chain_id = ? AND annotator IS ? AND label = ? AND created_at = ?",
            (lab.chain_id, lab.annotator, lab.label, lab.created_at),
        ).fetchone():
            return False
        superseded: str | None = lab.superseded_at
    else:
        current = conn.execute(
            "SELECT id, label, created_at FROM chain_labels WHERE chain_id = ? AND annotator IS ? "
            "AND superseded_at IS NULL AND undone_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
            (lab.chain_id, lab.annotator),
        ).fetchone()
        superseded = None
        if current is not None:
            if current[1] == lab.label:
                return False
            if current[2] <= lab.created_at:
                conn.execute("UPDATE chain_labels SET superseded_at = ? WHERE id = ?", (lab.created_at, current[0]))
            else:
                superseded = current[2]
    verdict = lab.machine_verdict
    if verdict is None:
        found = conn.execute("SELECT verdict FROM chains WHERE chain_id = ?", (lab.chain_id,)).fetchone()
        verdict = found[0] if found else None
    conn.execute(
        "INSERT INTO chain_labels (chain_id, annotator, label, note, created_at, machine_verdict, run_id, "
        "agrees_with_machine, superseded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (lab.chain_id, lab.annotator, lab.label, lab.note, lab.created_at, verdict, run_id,
         None if verdict is None else int(verdict == lab.label), superseded),
    )
    return True


def _add_step_label(conn: sqlite3.Connection, st: StepLabel, run_id: int | None) -> bool:
    if st.superseded_at is not None:
        if conn.execute(
            "SELECT 1 FROM step_labels WHERE chain_id = ? AND step = ? AND annotator IS ? AND rating IS ? "
            "AND created_at = ?",
            (st.chain_id, st.step, st.annotator, st.rating, st.created_at),
        ).fetchone():
            return False
        superseded: str | None = st.superseded_at
    else:
        current = conn.execute(
            "SELECT id, rating, first_error, created_at FROM step_labels WHERE chain_id = ? AND step = ? "
            "AND annotator IS ? AND superseded_at IS NULL AND undone_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
            (st.chain_id, st.step, st.annotator),
        ).fetchone()
        superseded = None
        if current is not None:
            if current[1] == st.rating and bool(current[2]) == st.first_error:
                return False
            if current[3] <= st.created_at:
                conn.execute("UPDATE step_labels SET superseded_at = ? WHERE id = ?", (st.created_at, current[0]))
            else:
                superseded = current[3]
    conn.execute(
        "INSERT INTO step_labels (chain_id, step, annotator, rating, first_error, created_at, run_id, superseded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (st.chain_id, st.step, st.annotator, st.rating, int(st.first_error), st.created_at, run_id, superseded),
    )
    return True
