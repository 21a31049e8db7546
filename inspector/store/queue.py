"""What the labelling tool reads of the chains: its queue (filters, search, keyset paging) and its counts.

Reads only, made to answer at once on 200,000 chains: the queue pages through the ``suspicion``
index instead of sorting, and the search goes through the ``chains_fts`` trigram index
(migration 0006). The labels themselves are written by :mod:`inspector.store.labels`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlite_utils import Database

from .connection import _opt_bool
from .schema import _SUSPICION_OF

QUEUE_ORDERS = ("suspicious", "input")
"""``suspicious``: lucky guesses, then cancelling errors, slips, ... valid last; ``input``: as written."""


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


def _queue_where(flt: QueueFilter, annotator: str, *, common: bool = False) -> tuple[list[str], list[Any]]:
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
        condition, found = _search_where(flt.search.strip(), common=common)
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

COMMON = 5_000
"""A search matching this many chains or more is a common one, its first pages read in queue order."""

SHALLOW = 2_000
"""How deep into a common search's queue a page may end and still be read in queue order."""


def _search_sets(term: str) -> tuple[str, str, str, list[Any]]:
    """Where ``term`` (three characters or more) is found, as three SELECTs and their parameters: the row
    ids of the chains with it in their id, problem id, model or text (``chains_fts``, migration 0006), the
    ids of the problems with it in their text, and of the chains with it in a current note (LIKE: few)."""
    like = "LIKE ? ESCAPE '\\'"
    pattern = _like(term)
    return (
        "SELECT rowid FROM chains_fts WHERE chains_fts MATCH ?",
        f"SELECT problem_id FROM problems WHERE problem {like}",
        f"SELECT chain_id FROM notes WHERE superseded_at IS NULL AND text {like}",
        ['"' + term.replace('"', '""') + '"', pattern, pattern],
    )


def _others(problems: str, notes: str) -> str:
    """The row ids of the chains of the problems and of the notes :func:`_search_sets` found."""
    return (
        f"SELECT o.rowid FROM chains o WHERE o.problem_id IN ({problems}) "
        f"UNION SELECT o.rowid FROM chains o WHERE o.chain_id IN ({notes})"
    )


def _union(term: str) -> tuple[str, list[Any]]:
    """The row ids of every chain ``term`` is found in (:func:`_search_sets`), one set."""
    fts, problems, notes, params = _search_sets(term)
    return f"{fts} UNION {_others(problems, notes)}", params


def _search_where(term: str, *, common: bool = False) -> tuple[str, list[Any]]:
    """Chains whose id, problem id, model or text holds ``term`` (case-insensitive), or whose problem or
    current note does (:func:`_search_sets`, for three characters or more).

    One ``rowid IN (… UNION …)``, not an OR of conditions: an OR was evaluated chain by chain, a scan
    of every chain; the union is a set of row ids looked up in the index and probed by rowid. But every
    match is then looked up and sorted before the first page, 0.1-0.3 s for a word in most chains: the
    first pages of a ``common`` search are read the other way round, through the queue's own index in
    order, each chain tested (``+`` keeps SQLite from looking the matches up) until the page is full.
    There the problems and notes are tested by id: their chains' row ids, unsorted, were slow to collect.
    """
    if len(term) < FTS_MIN:
        pattern = _like(term)
        like = "LIKE ? ESCAPE '\\'"
        others = _others(*_search_sets(term)[1:3])
        return (
            f"(c.chain_id {like} OR c.problem_id {like} OR c.model {like} OR c.cot {like} OR c.rowid IN ({others}))",
            [pattern] * 6,
        )
    if common:
        fts, problems, notes, params = _search_sets(term)
        return f"(+c.rowid IN ({fts}) OR +c.problem_id IN ({problems}) OR +c.chain_id IN ({notes}))", params
    union, params = _union(term)
    return f"c.rowid IN ({union})", params


def _found_at_least(db: Database, term: str) -> int:
    """How many chains ``term`` is found in at least, counted no further than :data:`COMMON` (a millisecond
    or two: the first matches of the index, and the chains of the problems with it in their text)."""
    if len(term) < FTS_MIN:
        return 0
    fts, problems, _, params = _search_sets(term)
    row = db.conn.execute(
        f"SELECT (SELECT count(*) FROM ({fts} LIMIT ?)), (SELECT count(*) FROM "
        f"(SELECT 1 FROM chains o WHERE o.problem_id IN ({problems}) LIMIT ?))",
        (params[0], COMMON, params[1], COMMON),
    ).fetchone()
    return max(int(row[0]), int(row[1]))


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


def queue_count(db: Database, flt: QueueFilter, annotator: str, *, cap: int | None = None) -> int:
    """How many chains the filter lets through.

    ``cap``: a search found in more than ``cap`` chains answers ``cap + 1`` ("more than ``cap``") as soon as it
    has found that many, rather than count them all (a word in most chains: 0.1-0.2 s). Without a search,
    the filters are counted through their indexes in milliseconds, and always exactly.
    """
    term = flt.search.strip()
    if cap is not None and term:
        return _capped_count(db, flt, annotator, cap)
    if flt.labelled is False:  # all less the labelled: two index counts, not a probe per chain
        return queue_count(db, flt._replace(labelled=None), annotator) - queue_count(
            db, flt._replace(labelled=True), annotator
        )
    if len(term) >= FTS_MIN and flt == QueueFilter(search=flt.search, order=flt.order):
        union, params = _union(term)  # the search alone: its matches counted, no chain looked up
        return int(db.conn.execute(f"SELECT count(*) FROM ({union})", params).fetchone()[0])
    where, params = _queue_where(flt, annotator)
    sql = "SELECT count(*) FROM chains c" + (" WHERE " + " AND ".join(where) if where else "")
    return int(db.conn.execute(sql, params).fetchone()[0])


def _capped_count(db: Database, flt: QueueFilter, annotator: str, cap: int) -> int:
    """The chains a search lets through, counted up to ``cap + 1``; a common one in queue order."""
    found = _found_at_least(db, flt.search.strip())
    if found > cap and flt == QueueFilter(search=flt.search, order=flt.order):
        return cap + 1  # the search alone, and the index has found more already
    common = found >= COMMON
    where, params = _queue_where(flt, annotator, common=common)
    order = f" ORDER BY {_key_sql(flt, 1)[1]}" if common else ""  # in queue order: through its index
    sql = f"SELECT count(*) FROM (SELECT 1 FROM chains c WHERE {' AND '.join(where)}{order} LIMIT ?)"
    return int(db.conn.execute(sql, [*params, cap + 1]).fetchone()[0])


def queue_page(db: Database, flt: QueueFilter, annotator: str, offset: int, limit: int) -> list[QueueRow]:
    """Rows ``offset`` to ``offset + limit`` of the queue (only what the screen shows is ever read)."""
    common = offset + limit <= SHALLOW and _found_at_least(db, flt.search.strip()) >= COMMON
    where, params = _queue_where(flt, annotator, common=common)
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


def queue_rows_between(
    db: Database, flt: QueueFilter, annotator: str, low: tuple[int, ...], high: tuple[int, ...]
) -> int:
    """How many rows of the queue sort strictly between the keys ``low`` and ``high``: moving from one
    known position to a row a few places on costs a count of those few rows, not of all before it."""
    where, params = _queue_where(flt, annotator)
    after, _ = _key_sql(flt, 1)
    before, _ = _key_sql(flt, -1)
    sql = "SELECT count(*) FROM chains c WHERE " + " AND ".join([*where, after, before])
    return int(db.conn.execute(sql, [*params, *_sql_key(flt, low), *_sql_key(flt, high)]).fetchone()[0])


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
