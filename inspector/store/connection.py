"""Opening the store, and the transaction every write goes through.

Every other module of the store talks to SQLite through what is here: :func:`open_db` (the
pragmas, and the migrations of :mod:`inspector.store.schema`), :func:`open_reader` for a reading
thread, ``_immediate`` (one ``BEGIN IMMEDIATE`` transaction, so ``busy_timeout`` applies to every
write), the timestamp each write records, and the small row converters the readers share.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from sqlite_utils import Database

from inspector.errors import StoreError

from .schema import _KNOWN_MIGRATIONS, MIGRATIONS

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another process's write transaction before giving up."""


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
def read_snapshot(db: Database) -> Iterator[None]:
    """One read transaction around several reads, so that writes made meanwhile (the labelling tool saves
    while the report screen builds) are in all of them or in none. Inside a caller's transaction: that one."""
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("BEGIN")
    try:
        yield
    finally:
        db.conn.rollback()


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


# --------------------------------------------------------------------------------------------------
# Reading rows


def _rows(db: Database, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
    cursor = db.conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params).fetchall()


def _opt_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _opt_span(start: Any, end: Any) -> tuple[int, int] | None:
    return None if start is None or end is None else (int(start), int(end))
