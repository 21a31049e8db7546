"""The store: one module over sqlite-utils (>=4) with migrations; nothing else in the package writes SQL."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, Any, TypeVar

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from inspector.errors import StoreError
from inspector.model import (
    ChainInput,
    ChainResult,
    Claim,
    ClaimStatus,
    FinalAnswer,
    Finding,
    Severity,
    Step,
    ValueFlow,
    Verdict,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "finish_run",
    "iter_chain_ids",
    "load_result",
    "open_db",
    "start_run",
    "write_results",
]

_MigrationFn = TypeVar("_MigrationFn", bound=Callable[[Database], None])

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another process's write transaction before giving up."""

MIGRATIONS = Migrations("cot-inspector")
"""The schema history. Add a new numbered ``@_migration`` function at the end; never edit an applied one."""

_KNOWN_MIGRATIONS: list[str] = []


def _migration(name: str) -> Callable[[_MigrationFn], _MigrationFn]:
    _KNOWN_MIGRATIONS.append(name)
    return MIGRATIONS(name=name)


# --------------------------------------------------------------------------------------------------
# Migrations


@_migration("0001_initial")
def _m0001_initial(db: Database) -> None:
    """Machine results (rewritten on every run) and human labels (never touched by a run)."""
    statements = [
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            rules_name TEXT,
            rules_hash TEXT,
            source TEXT,
            argv TEXT,
            chains INTEGER,
            counts_json TEXT
        )""",
        """
        CREATE TABLE problems (
            problem_id TEXT PRIMARY KEY,
            problem TEXT,
            reference TEXT
        )""",
        """
        CREATE TABLE chains (
            chain_id TEXT PRIMARY KEY,
            problem_id TEXT REFERENCES problems(problem_id),
            model TEXT,
            sample_index INTEGER,
            cot TEXT NOT NULL,
            reference TEXT,
            final_answer TEXT,
            final_answer_method TEXT,
            final_answer_start INTEGER,
            final_answer_end INTEGER,
            answer_correct INTEGER,
            verdict TEXT NOT NULL,
            explanation TEXT,
            repaired_answer TEXT,
            repaired_correct INTEGER,
            run_id INTEGER REFERENCES runs(id),
            rules_name TEXT,
            rules_hash TEXT,
            source TEXT,
            input_steps TEXT,
            updated_at TEXT NOT NULL
        )""",
        """
        CREATE TABLE steps (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            PRIMARY KEY (chain_id, idx)
        )""",
        """
        CREATE TABLE claims (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            stated TEXT NOT NULL,
            actual TEXT,
            status TEXT NOT NULL,
            kind TEXT NOT NULL,
            rule TEXT NOT NULL,
            reason TEXT,
            stated_start INTEGER,
            stated_end INTEGER,
            PRIMARY KEY (chain_id, idx)
        )""",
        """
        CREATE TABLE findings (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            step INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            message TEXT NOT NULL,
            stated TEXT,
            actual TEXT,
            PRIMARY KEY (chain_id, idx)
        )""",
        """
        CREATE TABLE flows (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            step INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            value TEXT NOT NULL,
            from_step INTEGER NOT NULL,
            tainted INTEGER NOT NULL,
            PRIMARY KEY (chain_id, idx)
        )""",
        # Human labels: written by the annotation tool, never by write_results. History is kept:
        # a changed label inserts a new row and sets superseded_at on the old one.
        """
        CREATE TABLE chain_labels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id),
            annotator TEXT,
            label TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL,
            machine_verdict TEXT,
            run_id INTEGER REFERENCES runs(id),
            agrees_with_machine INTEGER,
            superseded_at TEXT
        )""",
        """
        CREATE TABLE step_labels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id),
            step INTEGER NOT NULL,
            annotator TEXT,
            rating INTEGER CHECK (rating IN (-1, 0, 1)),
            first_error INTEGER,
            created_at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            superseded_at TEXT
        )""",
        """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id),
            annotator TEXT,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_chains_verdict ON chains(verdict)",
        "CREATE INDEX idx_chains_model ON chains(model)",
        "CREATE INDEX idx_chains_problem_id ON chains(problem_id)",
        "CREATE INDEX idx_chain_labels_chain_id ON chain_labels(chain_id)",
        "CREATE INDEX idx_step_labels_chain_id ON step_labels(chain_id)",
        "CREATE INDEX idx_notes_chain_id ON notes(chain_id)",
    ]
    for sql in statements:
        db.execute(sql)


# --------------------------------------------------------------------------------------------------
# Opening


def open_db(path: str | os.PathLike[str] | None) -> Database:
    """Open (creating if need be) and migrate the store at ``path``; ``None`` means in memory.

    File databases use WAL, so readers never block the writer, and a busy timeout, so two processes
    can write to one file (the second waits for the first's transaction). Foreign keys are enforced.

    Raises :class:`StoreError` when the file is not a SQLite database, or was migrated by a newer
    version of this package than the one running.
    """
    where = "in-memory database" if path is None else os.fspath(path)
    try:
        db = Database(memory=True) if path is None else Database(os.fspath(path))
    except sqlite3.Error as exc:
        raise StoreError(f"{where}: cannot open the database: {exc}") from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if path is not None:
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")  # safe under WAL; only the last commit may be lost
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db, where)
    except StoreError:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise StoreError(f"{where}: not a SQLite database (or a damaged one): {exc}") from exc
        raise StoreError(f"{where}: cannot use the database: {exc}") from exc
    return db


def _migrate(db: Database, where: str) -> None:
    known = set(_KNOWN_MIGRATIONS)
    applied = [m.name for m in MIGRATIONS.applied(db)]
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StoreError(
            f"{where}: the schema is newer than this version of cot-inspector knows "
            f"(unknown migrations: {', '.join(unknown)}); upgrade cot-inspector"
        )
    if not MIGRATIONS.pending(db):
        return
    # Take the write lock before migrating, so that two processes opening a new file at once do not
    # both create the tables: the second waits here, then finds nothing pending.
    with _immediate(db):
        MIGRATIONS.apply(db)


@contextlib.contextmanager
def _immediate(db: Database) -> Iterator[None]:
    """One write transaction, taking the write lock up front so ``busy_timeout`` applies to it.

    (A deferred ``BEGIN`` that reads before it writes can fail with "database is locked" at once
    under WAL, without waiting.) Inside a caller's own transaction it becomes a savepoint of it.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


# --------------------------------------------------------------------------------------------------
# Runs


def start_run(db: Database, *, rules_name: str, rules_hash: str, source: str, argv: list[str]) -> int:
    """Record the start of a run and return its id (``chains.run_id`` of what it writes)."""
    with _immediate(db):
        cursor = db.conn.execute(
            "INSERT INTO runs (started_at, rules_name, rules_hash, source, argv) VALUES (?, ?, ?, ?, ?)",
            (_now(), rules_name, rules_hash, source, json.dumps(argv)),
        )
    run_id = cursor.lastrowid
    assert run_id is not None
    return run_id


def finish_run(db: Database, run_id: int, *, chains: int, counts: dict[str, int]) -> None:
    """Record the end of a run: how many chains it wrote and its counts (by verdict, say)."""
    with _immediate(db):
        cursor = db.conn.execute(
            "UPDATE runs SET finished_at = ?, chains = ?, counts_json = ? WHERE id = ?",
            (_now(), chains, json.dumps(counts, sort_keys=True), run_id),
        )
    if cursor.rowcount != 1:
        raise StoreError(f"no run with id {run_id}")


# --------------------------------------------------------------------------------------------------
# Writing results

_CHAIN_COLUMNS = (
    "chain_id", "problem_id", "model", "sample_index", "cot", "reference", "final_answer",
    "final_answer_method", "final_answer_start", "final_answer_end", "answer_correct", "verdict",
    "explanation", "repaired_answer", "repaired_correct", "run_id", "rules_name", "rules_hash", "source",
    "input_steps", "updated_at",
)  # fmt: skip

# Upsert, not INSERT OR REPLACE: a replace deletes the row, which would change its rowid (the order
# iter_chain_ids gives) and would fire the foreign keys of the labels that point at it.
_UPSERT_CHAIN = (
    f"INSERT INTO chains ({', '.join(_CHAIN_COLUMNS)}) VALUES ({', '.join('?' * len(_CHAIN_COLUMNS))}) "
    "ON CONFLICT (chain_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _CHAIN_COLUMNS if c != "chain_id")
)

# Problems are shared by every sample of a problem: keep the text already stored, fill in what's missing.
_UPSERT_PROBLEM = (
    "INSERT INTO problems (problem_id, problem, reference) VALUES (?, ?, ?) "
    "ON CONFLICT (problem_id) DO UPDATE SET "
    "problem = COALESCE(problems.problem, excluded.problem), "
    "reference = COALESCE(problems.reference, excluded.reference)"
)

_CHILD_TABLES = ("steps", "claims", "findings", "flows")
_DELETE_CHILDREN = {table: f"DELETE FROM {table} WHERE chain_id = ?" for table in _CHILD_TABLES}

_INSERT_STEP = 'INSERT OR REPLACE INTO steps (chain_id, idx, "start", "end") VALUES (?, ?, ?, ?)'
_INSERT_CLAIM = (
    'INSERT OR REPLACE INTO claims (chain_id, step, idx, "start", "end", text, stated, actual, status, '
    "kind, rule, reason, stated_start, stated_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FINDING = (
    'INSERT OR REPLACE INTO findings (chain_id, idx, step, "start", "end", rule, severity, message, '
    "stated, actual) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FLOW = (
    'INSERT OR REPLACE INTO flows (chain_id, idx, step, "start", "end", value, from_step, tainted) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class ChainRows(NamedTuple):
    """One result as the rows the store writes: built anywhere (a worker process), written here."""

    chain_id: str
    problem: tuple[Any, ...] | None
    chain: tuple[Any, ...]
    """The chain row without ``run_id`` and ``updated_at``, which the writer adds."""
    steps: list[tuple[Any, ...]]
    claims: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]
    flows: list[tuple[Any, ...]]


def result_rows(result: ChainResult) -> ChainRows:
    """The rows of one result. Pure: no database needed, so worker processes can build them."""
    chain = result.chain
    cid = chain.chain_id
    final = result.final_answer
    row = (
        cid, chain.problem_id, chain.model, chain.sample_index, chain.cot, chain.reference,
        final.text if final else None, final.method if final else None,
        final.span[0] if final else None, final.span[1] if final else None,
        result.answer_correct, result.verdict.value, result.explanation, result.repaired_answer,
        result.repaired_correct, result.rules_name, result.rules_hash, chain.source,
        json.dumps(list(chain.steps)) if chain.steps is not None else None,
    )  # fmt: skip
    steps: list[tuple[Any, ...]] = []
    claims: list[tuple[Any, ...]] = []
    n = 0
    for step in result.steps:
        steps.append((cid, step.index, step.span[0], step.span[1]))
        for c in step.claims:
            ss = c.stated_span
            claims.append((
                cid, c.step, n, c.span[0], c.span[1], c.text, c.stated, c.actual, c.status.value,
                c.kind, c.rule, c.reason, ss[0] if ss else None, ss[1] if ss else None,
            ))  # fmt: skip
            n += 1
    findings = [
        (cid, i, f.step, f.span[0], f.span[1], f.rule, f.severity.value, f.message, f.stated, f.actual)
        for i, f in enumerate(result.findings)
    ]
    flows = [
        (cid, i, fl.step, fl.span[0], fl.span[1], fl.value, fl.from_step, fl.tainted)
        for i, fl in enumerate(result.flows)
    ]
    problem = (chain.problem_id, chain.problem, chain.reference) if chain.problem_id is not None else None
    return ChainRows(cid, problem, row, steps, claims, findings, flows)


def write_results(db: Database, run_id: int, results: Iterable[ChainResult], *, batch_size: int = 500) -> int:
    """Store results and return how many chains were written.

    Each chain's row is upserted by ``chain_id`` and its steps, claims, findings and flows are
    replaced, so writing the same results again leaves the same rows (bar ``run_id`` and
    ``updated_at``). Human labels and notes are never touched. ``results`` is consumed lazily, one
    transaction per ``batch_size`` chains.
    """
    return write_rows(db, run_id, map(result_rows, results), batch_size=batch_size)


def write_rows(db: Database, run_id: int, rows: Iterable[ChainRows], *, batch_size: int = 500) -> int:
    """``write_results`` for rows built elsewhere (``result_rows``, in worker processes)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    iterator = iter(rows)
    written = 0
    while batch := list(itertools.islice(iterator, batch_size)):
        _write_batch(db, run_id, batch)
        written += len(batch)
    return written


def _write_batch(db: Database, run_id: int, batch: Sequence[ChainRows]) -> None:
    now = _now()
    problems = [r.problem for r in batch if r.problem is not None]
    chains = [(*r.chain[:15], run_id, *r.chain[15:], now) for r in batch]
    ids = [(r.chain_id,) for r in batch]
    conn = db.conn
    with _immediate(db):
        conn.executemany(_UPSERT_PROBLEM, problems)
        conn.executemany(_UPSERT_CHAIN, chains)
        for table in _CHILD_TABLES:
            conn.executemany(_DELETE_CHILDREN[table], ids)
        conn.executemany(_INSERT_STEP, [s for r in batch for s in r.steps])
        conn.executemany(_INSERT_CLAIM, [c for r in batch for c in r.claims])
        conn.executemany(_INSERT_FINDING, [f for r in batch for f in r.findings])
        conn.executemany(_INSERT_FLOW, [f for r in batch for f in r.flows])


# --------------------------------------------------------------------------------------------------
# Reading results


def _rows(db: Database, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
    cursor = db.conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params).fetchall()


def _opt_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _opt_span(start: Any, end: Any) -> tuple[int, int] | None:
    return None if start is None or end is None else (int(start), int(end))


def load_result(db: Database, chain_id: str) -> ChainResult | None:
    """Rebuild a stored chain's :class:`ChainResult`, or ``None`` when there is no such chain.

    The problem text comes from the ``problems`` table, so it is the one stored for the chain's
    ``problem_id`` (the first non-null text written), and it is ``None`` for a chain without one.
    """
    found = _rows(
        db,
        "SELECT c.*, p.problem FROM chains c LEFT JOIN problems p ON p.problem_id = c.problem_id "
        "WHERE c.chain_id = ?",
        (chain_id,),
    )
    if not found:
        return None
    r = found[0]
    where = (chain_id,)
    try:
        claims_by_step: dict[int, list[Claim]] = {}
        for c in _rows(db, "SELECT * FROM claims WHERE chain_id = ? ORDER BY idx", where):
            claims_by_step.setdefault(c["step"], []).append(
                Claim(
                    step=c["step"],
                    span=(c["start"], c["end"]),
                    text=c["text"],
                    stated=c["stated"],
                    actual=c["actual"],
                    status=ClaimStatus(c["status"]),
                    kind=c["kind"],
                    rule=c["rule"],
                    reason=c["reason"],
                    stated_span=_opt_span(c["stated_start"], c["stated_end"]),
                )
            )
        steps = tuple(
            Step(index=s["idx"], span=(s["start"], s["end"]), claims=tuple(claims_by_step.get(s["idx"], ())))
            for s in _rows(db, "SELECT * FROM steps WHERE chain_id = ? ORDER BY idx", where)
        )
        findings = tuple(
            Finding(
                rule=f["rule"],
                severity=Severity(f["severity"]),
                step=f["step"],
                span=(f["start"], f["end"]),
                message=f["message"],
                stated=f["stated"],
                actual=f["actual"],
            )
            for f in _rows(db, "SELECT * FROM findings WHERE chain_id = ? ORDER BY idx", where)
        )
        flows = tuple(
            ValueFlow(
                step=fl["step"],
                span=(fl["start"], fl["end"]),
                value=fl["value"],
                from_step=fl["from_step"],
                tainted=bool(fl["tainted"]),
            )
            for fl in _rows(db, "SELECT * FROM flows WHERE chain_id = ? ORDER BY idx", where)
        )
        final_span = _opt_span(r["final_answer_start"], r["final_answer_end"])
        final = (
            FinalAnswer(text=r["final_answer"], span=final_span, method=r["final_answer_method"])
            if r["final_answer"] is not None and final_span is not None
            else None
        )
        chain = ChainInput(
            chain_id=r["chain_id"],
            cot=r["cot"],
            problem_id=r["problem_id"],
            problem=r["problem"],
            reference=r["reference"],
            model=r["model"],
            sample_index=r["sample_index"],
            source=r["source"],
            steps=None if r["input_steps"] is None else tuple(json.loads(r["input_steps"])),
        )
        return ChainResult(
            chain=chain,
            steps=steps,
            findings=findings,
            final_answer=final,
            answer_correct=_opt_bool(r["answer_correct"]),
            repaired_answer=r["repaired_answer"],
            repaired_correct=_opt_bool(r["repaired_correct"]),
            verdict=Verdict(r["verdict"]),
            explanation=r["explanation"] or "",
            rules_name=r["rules_name"] if r["rules_name"] is not None else "default",
            rules_hash=r["rules_hash"] or "",
            flows=flows,
        )
    except (ValueError, TypeError) as exc:
        raise StoreError(f"chain {chain_id!r}: a stored row cannot be read back: {exc}") from exc


def iter_chain_ids(db: Database, *, verdict: str | None = None, model: str | None = None) -> Iterator[str]:
    """The stored chain ids, optionally of one verdict and/or model, in the order first written."""
    where: list[str] = []
    params: list[str] = []
    if verdict is not None:
        where.append("verdict = ?")
        params.append(str(verdict))
    if model is not None:
        where.append("model = ?")
        params.append(model)
    sql = "SELECT chain_id FROM chains"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY rowid"
    for (chain_id,) in db.conn.execute(sql, params):
        yield chain_id


def iter_chain_inputs(db: Database, *, batch_size: int = 1000) -> Iterator[ChainInput]:
    """Every stored chain as input again (to re-verify a database with other rules), in order."""
    sql = (
        "SELECT c.rowid, c.chain_id, c.cot, c.problem_id, p.problem, c.reference, c.model, c.sample_index, "
        "c.source, c.input_steps FROM chains c LEFT JOIN problems p ON p.problem_id = c.problem_id "
        "WHERE c.rowid > ? ORDER BY c.rowid LIMIT ?"
    )
    last = 0
    while True:
        rows = db.conn.execute(sql, (last, batch_size)).fetchall()
        if not rows:
            return
        for row in rows:
            last = row[0]
            yield ChainInput(
                chain_id=row[1], cot=row[2], problem_id=row[3], problem=row[4], reference=row[5],
                model=row[6], sample_index=row[7], source=row[8],
                steps=None if row[9] is None else tuple(json.loads(row[9])),
            )
