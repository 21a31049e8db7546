"""The store: one module over sqlite-utils (>=4) with migrations; nothing else in the package writes SQL."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from inspector.engine.model import (
    ChainInput,
    ChainResult,
    Claim,
    ClaimStatus,
    Coverage,
    FinalAnswer,
    Finding,
    Severity,
    Step,
    ValueFlow,
    Verdict,
)
from inspector.errors import InputError, StoreError

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

_SUSPICION_OF = {
    "lucky_guess": 0, "canceling_errors": 1, "arithmetic_slip": 2, "wrong_reasoning": 3, "undecided": 4,
    "unreferenced": 5, "no_answer": 6, "unchecked": 7, "valid": 8,
}  # fmt: skip
"""The ``chains.suspicion`` of each verdict (migration 0004; 0002 had them without ``undecided`` and
``unchecked``), to filter by verdict through its index."""
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


@_migration("0002_labelling")
def _m0002_labelling(db: Database) -> None:
    """What the labelling tool needs: a queue order, one current label per annotator, undo marks.

    ``suspicion`` ranks verdicts so the right answers reached by wrong arithmetic come first; it is
    a virtual generated column, so the write path stays as it is and the index pages the queue of
    200,000 chains without sorting. The partial unique indexes say, in the schema, that an
    annotator has at most one current (not superseded) label per chain and per step, and find it.
    """
    statements = [
        """
        ALTER TABLE chains ADD COLUMN suspicion INTEGER GENERATED ALWAYS AS (
            CASE verdict WHEN 'lucky_guess' THEN 0 WHEN 'canceling_errors' THEN 1
                         WHEN 'arithmetic_slip' THEN 2 WHEN 'wrong_reasoning' THEN 3
                         WHEN 'unreferenced' THEN 4 WHEN 'no_answer' THEN 5 WHEN 'valid' THEN 6
                         ELSE 7 END
        ) VIRTUAL""",
        "CREATE INDEX idx_chains_suspicion ON chains(suspicion)",
        "CREATE INDEX idx_chains_model_suspicion ON chains(model, suspicion)",
        "ALTER TABLE chain_labels ADD COLUMN undone_at TEXT",
        "ALTER TABLE step_labels ADD COLUMN undone_at TEXT",
        "ALTER TABLE step_labels ADD COLUMN machine_verdict TEXT",
        "ALTER TABLE step_labels ADD COLUMN agrees_with_machine INTEGER",
        "ALTER TABLE notes ADD COLUMN superseded_at TEXT",
        "ALTER TABLE notes ADD COLUMN undone_at TEXT",
        (
            "CREATE UNIQUE INDEX idx_chain_labels_current ON chain_labels(chain_id, annotator) "
            "WHERE superseded_at IS NULL"
        ),
        "CREATE INDEX idx_chain_labels_annotator ON chain_labels(annotator) WHERE superseded_at IS NULL",
        (
            "CREATE UNIQUE INDEX idx_step_labels_current ON step_labels(chain_id, annotator, step) "
            "WHERE superseded_at IS NULL"
        ),
        "CREATE INDEX idx_notes_current ON notes(chain_id, annotator) WHERE superseded_at IS NULL",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0003_samples_scores")
def _m0003_samples_scores(db: Database) -> None:
    """What ``inspect sample`` and ``inspect score`` write: where a sampled chain came from, learned scores.

    A sample is keyed by (model, problem, sampling parameters, sample index): the UNIQUE constraint is
    what makes a resumed or repeated run add nothing twice. A prompt is stored once, not once per
    sample (a problem's 1024 samples share it). A score is keyed by chain, kind, scoring model, step
    and claim; a NULL claim is the step's own score (the unique index reads it as -1, since NULLs are
    never equal in SQL). ``start``/``end`` keep the span scored, so a re-segmented chain can be told.
    """
    statements = [
        """
        CREATE TABLE sampling_runs (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            model TEXT NOT NULL,
            model_path TEXT,
            backend TEXT NOT NULL,
            params_hash TEXT NOT NULL,
            params_json TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            requested INTEGER,
            generated INTEGER,
            tokens INTEGER
        )""",
        """
        CREATE TABLE prompts (
            prompt_hash TEXT PRIMARY KEY,
            format TEXT NOT NULL,
            prompt TEXT NOT NULL
        )""",
        """
        CREATE TABLE samples (
            chain_id TEXT PRIMARY KEY REFERENCES chains(chain_id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            params_hash TEXT NOT NULL,
            sample_index INTEGER NOT NULL,
            params_json TEXT NOT NULL,
            seed INTEGER NOT NULL,
            finish_reason TEXT NOT NULL,
            n_tokens INTEGER,
            prompt_hash TEXT NOT NULL REFERENCES prompts(prompt_hash),
            sampling_run_id INTEGER REFERENCES sampling_runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (model, problem_id, params_hash, sample_index)
        )""",
        """
        CREATE TABLE scores (
            id INTEGER PRIMARY KEY,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            model TEXT NOT NULL,
            step INTEGER NOT NULL,
            claim INTEGER,
            score REAL NOT NULL,
            tokens INTEGER,
            "start" INTEGER,
            "end" INTEGER,
            created_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX idx_scores_key ON scores(chain_id, kind, model, step, IFNULL(claim, -1))",
        "CREATE INDEX idx_scores_kind_model ON scores(kind, model)",
        "CREATE INDEX idx_samples_sampling_run ON samples(sampling_run_id)",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0004_coverage_verdicts")
def _m0004_coverage_verdicts(db: Database) -> None:
    """What a verdict rests on (``coverage``), and the queue rank of the verdicts ``unchecked`` and
    ``undecided``: a right answer with nothing checked sits just above ``valid``; an answer that could not
    be compared sits with the wrong ones."""
    statements = [
        "ALTER TABLE chains ADD COLUMN coverage_json TEXT",
        "DROP INDEX idx_chains_model_suspicion",
        "DROP INDEX idx_chains_suspicion",
        "ALTER TABLE chains DROP COLUMN suspicion",
        f"""
        ALTER TABLE chains ADD COLUMN suspicion INTEGER GENERATED ALWAYS AS (
            CASE verdict {" ".join(f"WHEN '{v}' THEN {rank}" for v, rank in _SUSPICION_OF.items())}
                         ELSE {len(_SUSPICION_OF)} END
        ) VIRTUAL""",
        "CREATE INDEX idx_chains_suspicion ON chains(suspicion)",
        "CREATE INDEX idx_chains_model_suspicion ON chains(model, suspicion)",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0005_problem_set")
def _m0005_problem_set(db: Database) -> None:
    """The data set a chain's problem is from, when its input says (an evaluation dump's ``dataset``)."""
    db.execute("ALTER TABLE chains ADD COLUMN problem_set TEXT")


_FTS_COLUMNS = ("chain_id", "problem_id", "model", "cot")
"""What the queue's search finds through ``chains_fts`` (problems and notes are few: LIKE finds those)."""


@_migration("0006_chains_fts")
def _m0006_chains_fts(db: Database) -> None:
    """A full-text index of the chains' ids, models and text, so the queue's search does not read every chain.

    FTS5 with the trigram tokenizer finds any substring of three characters or more, case-insensitively,
    as the LIKE it replaces did (a scan of 200,000 chains' text took 0.4-1.1 s). It is an external-content
    table over ``chains`` (the text is not stored twice), kept in step by triggers; an upsert that leaves
    the indexed columns as they were does not touch it. Databases made before it are indexed here, once.
    """
    cols = ", ".join(_FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in _FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in _FTS_COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _FTS_COLUMNS)
    statements = [
        f"CREATE VIRTUAL TABLE chains_fts USING fts5({cols}, content='chains', content_rowid='rowid', "
        "tokenize='trigram')",
        f"CREATE TRIGGER chains_fts_insert AFTER INSERT ON chains BEGIN "
        f"INSERT INTO chains_fts (rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER chains_fts_delete AFTER DELETE ON chains BEGIN "
        f"INSERT INTO chains_fts (chains_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER chains_fts_update AFTER UPDATE ON chains WHEN {changed} BEGIN "
        f"INSERT INTO chains_fts (chains_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO chains_fts (rowid, {cols}) VALUES (new.rowid, {new}); END",
        "INSERT INTO chains_fts (chains_fts) VALUES ('rebuild')",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0007_blind_labels")
def _m0007_blind_labels(db: Database) -> None:
    """Whether a chain label was given blind (``inspect label --blind``: neither the machine's verdict nor
    other annotators' labels shown before it); ``NULL`` for labels made before, or imported."""
    db.execute("ALTER TABLE chain_labels ADD COLUMN blind INTEGER")


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
    "input_steps", "coverage_json", "problem_set", "updated_at",
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
        json.dumps(result.coverage.to_json()) if result.coverage is not None else None, chain.problem_set,
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


OnConflict = Callable[[InputError], None]
"""Told of a chain the store refuses (an id used twice, a labelled chain whose text changed); it may raise."""


def write_rows(db: Database, run_id: int, rows: Iterable[ChainRows], *, batch_size: int = 500,
               on_conflict: OnConflict | None = None) -> int:
    """``write_results`` for rows built elsewhere (``result_rows``, in worker processes).

    An identity never silently collides: a chain id this run already wrote (the same id twice in the
    input), or a labelled chain whose text is not the text its labels were given on, is refused. It is
    reported to ``on_conflict`` (an ``InputError`` naming the chain's ``FILE:LINE`` and the other place)
    and not written; without ``on_conflict`` the error is raised.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    iterator = iter(rows)
    written = 0
    while batch := list(itertools.islice(iterator, batch_size)):
        refused = _conflicts(db, run_id, batch)
        if refused:
            kept: list[ChainRows] = []
            for k, r in enumerate(batch):
                if k not in refused:
                    kept.append(r)
                    continue
                try:
                    if on_conflict is None:
                        raise refused[k]
                    on_conflict(refused[k])
                except BaseException:
                    _write_batch(db, run_id, kept)  # what came before the refused chain is kept
                    raise
            batch = kept
        _write_batch(db, run_id, batch)
        written += len(batch)
    return written


_SOURCE = _CHAIN_COLUMNS.index("source") - 1  # the row a worker builds has no run_id before it
_COT = _CHAIN_COLUMNS.index("cot")


def _conflicts(db: Database, run_id: int, batch: Sequence[ChainRows]) -> dict[int, InputError]:
    """The rows of ``batch`` (by position) that would overwrite what must not be overwritten."""
    ids = list({r.chain_id for r in batch})
    marks = ", ".join("?" * len(ids))
    stored = {row[0]: row[1:] for row in db.conn.execute(
        f"SELECT chain_id, run_id, source, cot FROM chains WHERE chain_id IN ({marks})", ids)}
    refused: dict[int, InputError] = {}
    first_here: dict[str, str | None] = {}  # id → where this batch has it first
    changed: dict[int, ChainRows] = {}
    for k, r in enumerate(batch):
        source = r.chain[_SOURCE]
        # the same id from another place of this run's input is a collision; from the same place (or from a
        # library caller that names no place) it is the chain written again
        other = first_here[r.chain_id] if r.chain_id in first_here else (
            stored[r.chain_id][1] if r.chain_id in stored and stored[r.chain_id][0] == run_id else None)
        if other is not None and source is not None and other != source:
            refused[k] = InputError.at(source, f"chain id {r.chain_id!r} is already used by {other} in this input: "
                                       "give each record its own id")
            continue
        first_here[r.chain_id] = source
        if r.chain_id in stored and stored[r.chain_id][2] != r.chain[_COT]:
            changed[k] = r
    if changed:
        marks = ", ".join("?" * len(changed))
        changed_ids = [r.chain_id for r in changed.values()]
        labelled = {row[0]: row[1] for row in db.conn.execute(
            f"SELECT chain_id, group_concat(DISTINCT annotator) FROM (SELECT chain_id, annotator FROM chain_labels "
            f"WHERE chain_id IN ({marks}) UNION ALL SELECT chain_id, annotator FROM step_labels WHERE chain_id IN "
            f"({marks}) UNION ALL SELECT chain_id, annotator FROM notes WHERE chain_id IN ({marks})) GROUP BY chain_id",
            changed_ids * 3)}
        for k, r in changed.items():
            if r.chain_id in labelled:
                refused[k] = InputError.at(
                    r.chain[_SOURCE],
                    f"chain {r.chain_id!r} is labelled (by {labelled[r.chain_id]}) on another text in this "
                    "database: its labels stay with the text they were given on; give this chain another id, or "
                    "use another database")
    return refused


def _write_batch(db: Database, run_id: int, batch: Sequence[ChainRows]) -> None:
    if not batch:
        return
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
        # plain tuples, not sqlite3.Row: a chain of 20,000 steps loads in a tenth of the time
        claims_by_step: dict[int, list[Claim]] = {}
        for step, start, end, text, stated, actual, status, kind, rule, reason, s0, s1 in db.conn.execute(
                'SELECT step, "start", "end", text, stated, actual, status, kind, rule, reason, stated_start, '
                "stated_end FROM claims WHERE chain_id = ? ORDER BY idx", where):
            claims_by_step.setdefault(step, []).append(
                Claim(step=step, span=(start, end), text=text, stated=stated, actual=actual,
                      status=ClaimStatus(status), kind=kind, rule=rule, reason=reason,
                      stated_span=None if s0 is None or s1 is None else (s0, s1))
            )
        no_claims: tuple[Claim, ...] = ()
        steps = tuple(
            Step(index=idx, span=(start, end), claims=tuple(claims_by_step[idx]) if idx in claims_by_step else no_claims)
            for idx, start, end in db.conn.execute(
                'SELECT idx, "start", "end" FROM steps WHERE chain_id = ? ORDER BY idx', where)
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
            problem_set=r["problem_set"],
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
            coverage=Coverage(**json.loads(r["coverage_json"])) if r["coverage_json"] else None,
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
        "c.source, c.input_steps, c.problem_set FROM chains c LEFT JOIN problems p ON p.problem_id = c.problem_id "
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
                steps=None if row[9] is None else tuple(json.loads(row[9])), problem_set=row[10],
            )


# --------------------------------------------------------------------------------------------------
# Reading for reports and exports; writing imported human labels

from inspector.labels.labelset import ChainLabel, ChainLabels, Note, StepLabel  # here, with its users


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


def iter_report_rows(db: Database, *, batch_size: int = 5000) -> Iterator[ReportRow]:
    """Every stored chain as a :class:`ReportRow`, in the order first written, read in pages."""
    sql = (
        "SELECT c.rowid, c.chain_id, c.problem_id, c.model, c.source, c.verdict, c.answer_correct, "
        "c.repaired_correct, "
        "(SELECT MIN(f.step) FROM findings f WHERE f.chain_id = c.chain_id AND f.severity = 'error'), "
        "(SELECT COUNT(*) FROM steps s WHERE s.chain_id = c.chain_id), c.problem_set "
        "FROM chains c WHERE c.rowid > ? ORDER BY c.rowid LIMIT ?"
    )
    last = 0
    while rows := db.conn.execute(sql, (last, batch_size)).fetchall():
        for row in rows:
            last = row[0]
            yield ReportRow(
                row[1], row[2], row[3], row[4], row[5], _opt_bool(row[6]), _opt_bool(row[7]), row[8], row[9],
                row[10],
            )


def iter_labelled_chain_ids(db: Database) -> Iterator[str]:
    """Chains with at least one human chain label, step label or note, in the order first written.

    Rows the labelling tool marked undone (``undone_at``) don't count, here or anywhere below.
    """
    sql = (
        "SELECT c.chain_id FROM chains c WHERE "
        "EXISTS (SELECT 1 FROM chain_labels l WHERE l.chain_id = c.chain_id AND l.undone_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM step_labels s WHERE s.chain_id = c.chain_id AND s.undone_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM notes n WHERE n.chain_id = c.chain_id AND n.undone_at IS NULL) ORDER BY c.rowid"
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


__all__ += [
    "LabelCounts",
    "ReportRow",
    "add_labels",
    "iter_labelled_chain_ids",
    "iter_report_rows",
    "iter_results_with_labels",
    "iter_selected_chain_ids",
    "labels_for",
]


# --------------------------------------------------------------------------------------------------
# Labels: what annotators record with `inspect label` (written here and nowhere else)
#
# Every write is one BEGIN IMMEDIATE transaction, committed before the function returns: a label
# the screen shows as saved survives a SIGKILL, and two annotators on one file wait a few
# milliseconds for each other instead of failing or overwriting. History is append-only: a change
# inserts a new row and sets ``superseded_at`` on the row it replaces; an undo sets ``undone_at``
# (and ``superseded_at``) on the row it takes back and makes the row before it current again.

LABEL_TABLES = ("chain_labels", "step_labels", "notes")

QUEUE_ORDERS = ("suspicious", "input")
"""``suspicious``: lucky guesses, then cancelling errors, slips, ... valid last; ``input``: as written."""




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


class QueueFilter(NamedTuple):
    """Which chains the labelling queue shows, and in what order."""

    verdict: str | None = None
    model: str | None = None
    """A model name; ``""`` means chains without one."""
    labelled: bool | None = None
    """True: only chains the annotator has labelled; False: only those not yet labelled; None: all."""
    right_but_errors: bool = False
    """Only answers that match the reference although errors were found (cancelling, lucky)."""
    disagreements: bool = False
    """Only chains whose current labels by different annotators differ (``unsure`` aside)."""
    search: str = ""
    """Case-insensitive substring of the chain id, problem id, model, chain text, problem or note."""
    order: str = "suspicious"


class QueueRow(NamedTuple):
    """One line of the queue."""

    key: tuple[int, ...]
    """Where the row sorts (keyset paging: next and previous never use OFFSET)."""
    chain_id: str
    problem_id: str | None
    model: str | None
    sample_index: int | None
    answer_correct: bool | None
    verdict: str
    errors: int
    label: str | None
    """The annotator's current chain label, if any."""
    run_id: int | None


def open_reader(path: str | os.PathLike[str]) -> Database:
    """A connection for reading only, for a worker thread (a connection belongs to its thread).

    No migration and no WAL switch: the database was opened with :func:`open_db` first.
    """
    try:
        conn = sqlite3.connect(os.fspath(path))
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error as exc:
        raise StoreError(f"{os.fspath(path)}: cannot open the database: {exc}") from exc
    return Database(conn)


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


def chain_run(db: Database, chain_id: str) -> tuple[str, int | None] | None:
    """The chain's stored verdict and the run that wrote it, or ``None`` when there is no such chain."""
    row = db.conn.execute("SELECT verdict, run_id FROM chains WHERE chain_id = ?", (chain_id,)).fetchone()
    return None if row is None else (row[0], row[1])


def labelled_count(db: Database, annotator: str) -> int:
    """How many chains the annotator has a current label on."""
    row = db.conn.execute(
        "SELECT count(*) FROM chain_labels WHERE annotator = ? AND superseded_at IS NULL", (annotator,)
    ).fetchone()
    return int(row[0])


def chain_count(db: Database) -> int:
    return int(db.conn.execute("SELECT count(*) FROM chains").fetchone()[0])


def queue_models(db: Database) -> list[str]:
    """The distinct models of the stored chains (``""`` for chains without one), sorted."""
    return sorted({row[0] or "" for row in db.conn.execute("SELECT DISTINCT model FROM chains")})


_QUEUE_COLUMNS = (
    "SELECT c.suspicion, c.rowid, c.chain_id, c.problem_id, c.model, c.sample_index, c.answer_correct, "
    "c.verdict, (SELECT count(*) FROM findings f WHERE f.chain_id = c.chain_id AND f.severity = 'error'), "
    "(SELECT l.label FROM chain_labels l WHERE l.chain_id = c.chain_id AND l.annotator = ? "
    "AND l.superseded_at IS NULL), c.run_id FROM chains c"
)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _queue_where(flt: QueueFilter, annotator: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if flt.order not in QUEUE_ORDERS:
        raise ValueError(f"unknown queue order {flt.order!r} (one of {', '.join(QUEUE_ORDERS)})")
    if flt.verdict:
        if flt.verdict in _SUSPICION_OF:  # through idx_chains_suspicion, already in queue order
            where.append("c.suspicion = ?")
            params.append(_SUSPICION_OF[flt.verdict])
        else:
            where.append("c.verdict = ?")
            params.append(flt.verdict)
    if flt.model is not None:
        if flt.model:
            where.append("c.model = ?")
            params.append(flt.model)
        else:
            where.append("c.model IS NULL")
    if flt.right_but_errors:
        where.append("c.suspicion IN (0, 1)")
    if flt.labelled:  # from the annotator's labels (few), not a scan of every chain for them
        where.append(
            "c.chain_id IN (SELECT l.chain_id FROM chain_labels l WHERE l.annotator = ? "
            "AND l.superseded_at IS NULL)"
        )
        params.append(annotator)
    elif flt.labelled is False:  # the queue order finds unlabelled chains at once
        where.append(
            "NOT EXISTS (SELECT 1 FROM chain_labels l WHERE l.chain_id = c.chain_id AND l.annotator = ? "
            "AND l.superseded_at IS NULL)"
        )
        params.append(annotator)
    if flt.disagreements:
        where.append(f"c.chain_id IN ({_DISAGREEMENTS})")
    if flt.search.strip():
        condition, found = _search_where(flt.search.strip())
        where.append(condition)
        params.extend(found)
    return where, params


_DISAGREEMENTS = (
    "SELECT l.chain_id FROM chain_labels l WHERE l.superseded_at IS NULL AND l.label != 'unsure' "
    "GROUP BY l.chain_id HAVING count(DISTINCT l.label) > 1"
)
"""Chains whose current labels (one per annotator; ``unsure`` is no vote) are not all the same."""


FTS_MIN = 3
"""The shortest search the trigram index answers; a shorter one is a LIKE over every chain."""


def _search_where(term: str) -> tuple[str, list[Any]]:
    """Chains whose id, problem id, model or text holds ``term`` (case-insensitive), or whose problem or
    current note does: through ``chains_fts`` (migration 0006) for three characters or more.

    One ``rowid IN (… UNION …)``, not an OR of conditions: an OR was evaluated chain by chain, a scan
    of every chain; the union is a set of row ids looked up in the index and probed by rowid.
    """
    pattern = _like(term)
    like = "LIKE ? ESCAPE '\\'"
    others = (
        f"SELECT o.rowid FROM chains o WHERE o.problem_id IN (SELECT problem_id FROM problems WHERE problem {like}) "
        f"UNION SELECT o.rowid FROM chains o WHERE o.chain_id IN "
        f"(SELECT chain_id FROM notes WHERE superseded_at IS NULL AND text {like})"
    )
    if len(term) < FTS_MIN:
        return (
            f"(c.chain_id {like} OR c.problem_id {like} OR c.model {like} OR c.cot {like} OR c.rowid IN ({others}))",
            [pattern] * 6,
        )
    phrase = '"' + term.replace('"', '""') + '"'
    return f"c.rowid IN (SELECT rowid FROM chains_fts WHERE chains_fts MATCH ? UNION {others})", [phrase, pattern, pattern]


def _key_sql(flt: QueueFilter, direction: int) -> tuple[str, str]:
    """The keyset condition (rows after/before a key) and the ORDER BY of the queue."""
    op, desc = (">", "") if direction > 0 else ("<", " DESC")
    if flt.order == "input":
        return f"c.rowid {op} ?", f"c.rowid{desc}"
    return f"(c.suspicion, c.rowid) {op} (?, ?)", f"c.suspicion{desc}, c.rowid{desc}"


def _sql_key(flt: QueueFilter, key: tuple[int, ...]) -> list[int]:
    return [key[-1]] if flt.order == "input" else [key[0], key[-1]]


def _queue_row(flt: QueueFilter, r: Any) -> QueueRow:
    key = (r[1],) if flt.order == "input" else (r[0], r[1])
    return QueueRow(key, r[2], r[3], r[4], r[5], _opt_bool(r[6]), r[7], int(r[8]), r[9], r[10])


def queue_count(db: Database, flt: QueueFilter, annotator: str) -> int:
    """How many chains the filter lets through."""
    if flt.labelled is False:  # all less the labelled: two index counts, not a probe per chain
        return queue_count(db, flt._replace(labelled=None), annotator) - queue_count(
            db, flt._replace(labelled=True), annotator
        )
    where, params = _queue_where(flt, annotator)
    sql = "SELECT count(*) FROM chains c" + (" WHERE " + " AND ".join(where) if where else "")
    return int(db.conn.execute(sql, params).fetchone()[0])


def queue_page(db: Database, flt: QueueFilter, annotator: str, offset: int, limit: int) -> list[QueueRow]:
    """Rows ``offset`` to ``offset + limit`` of the queue (only what the screen shows is ever read)."""
    where, params = _queue_where(flt, annotator)
    _, order = _key_sql(flt, 1)
    sql = _QUEUE_COLUMNS + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT ? OFFSET ?"
    rows = db.conn.execute(sql, [annotator, *params, limit, offset]).fetchall()
    return [_queue_row(flt, r) for r in rows]


def queue_position(db: Database, flt: QueueFilter, annotator: str, key: tuple[int, ...]) -> int:
    """The index in the queue of the row with this key (how many rows sort before it)."""
    where, params = _queue_where(flt, annotator)
    cond, _ = _key_sql(flt, -1)
    sql = "SELECT count(*) FROM chains c WHERE " + " AND ".join([*where, cond])
    return int(db.conn.execute(sql, [*params, *_sql_key(flt, key)]).fetchone()[0])


def queue_row(db: Database, chain_id: str, annotator: str, order: str = "suspicious") -> QueueRow | None:
    """One chain as a queue row (its key for ``order``), whatever the filters; None if there is none."""
    row = db.conn.execute(_QUEUE_COLUMNS + " WHERE c.chain_id = ?", (annotator, chain_id)).fetchone()
    return None if row is None else _queue_row(QueueFilter(order=order), row)


def queue_next(
    db: Database, flt: QueueFilter, annotator: str, key: tuple[int, ...] | None, direction: int = 1,
    *, unlabelled: bool = False, exclude: Iterable[str] = (),
) -> QueueRow | None:
    """The row after (``direction`` 1) or before (-1) ``key`` in the queue; from an end when ``key`` is None.

    ``unlabelled`` keeps to chains the annotator has not labelled yet; ``exclude`` skips chain ids
    (the ones skipped this session).
    """
    where, params = _queue_where(flt, annotator)
    cond, order = _key_sql(flt, direction)
    if key is not None:
        where.append(cond)
        params.extend(_sql_key(flt, key))
    if unlabelled and flt.labelled is not False:
        where.append(
            "NOT EXISTS (SELECT 1 FROM chain_labels l WHERE l.chain_id = c.chain_id AND l.annotator = ? "
            "AND l.superseded_at IS NULL)"
        )
        params.append(annotator)
    excluded = list(exclude)
    if excluded:
        where.append(f"c.chain_id NOT IN ({', '.join('?' * len(excluded))})")
        params.extend(excluded)
    sql = _QUEUE_COLUMNS + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT 1"
    row = db.conn.execute(sql, [annotator, *params]).fetchone()
    return None if row is None else _queue_row(flt, row)


__all__ += [
    "CurrentLabels",
    "LabelChange",
    "QueueFilter",
    "QueueRow",
    "StepMachine",
    "chain_run",
    "current_labels",
    "label_history",
    "labelled_count",
    "mark_first_error",
    "open_reader",
    "other_labels",
    "queue_count",
    "queue_models",
    "queue_next",
    "queue_page",
    "queue_position",
    "queue_row",
    "rate_step",
    "set_chain_label",
    "set_note",
    "undo_changes",
]


# --------------------------------------------------------------------------------------------------
# Samples and scores: what `inspect sample` and `inspect score` write (migration 0003)

from collections.abc import Mapping  # here, with its users (the imports above are shared)


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


__all__ += [
    "SampleInfo",
    "SampleRow",
    "Score",
    "ScoreRow",
    "finish_sampling_run",
    "sample_for_chain",
    "sampled_indices",
    "scored_chain_ids",
    "scores_for_chain",
    "start_sampling_run",
    "write_samples",
    "write_scores",
]
