"""The machine's results: the runs that write them, and each chain's rows, written and read back.

``inspect verify``, ``inspect import`` and the worker processes of a large run all write here (the
rows of a result can be built anywhere, see :func:`result_rows`; only :func:`write_rows` writes them),
and :func:`load_result` rebuilds a :class:`ChainResult` from them. Human labels are never touched
here; a chain whose labels were given on another text is refused instead.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlite_utils import Database

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

from .connection import _immediate, _now, _opt_bool, _opt_span, _rows

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


@dataclass(frozen=True)
class ChainHead:
    """What the chain view draws before the chain's result is loaded: its header, problem and first steps.

    Three small reads whatever the chain's length, where :func:`load_result` rebuilds every step and claim
    (20,000 steps take half a second): the labelling tool shows this at once and loads the rest in a worker.
    """

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


_HEAD_SQL = (
    "SELECT c.chain_id, c.cot, p.problem, c.reference, c.model, c.sample_index, c.verdict, c.final_answer, "
    "c.final_answer_start, c.final_answer_end, c.answer_correct "
    "FROM chains c LEFT JOIN problems p ON p.problem_id = c.problem_id WHERE c.chain_id = ?"
)


def load_head(db: Database, chain_id: str, first: int) -> ChainHead | None:
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
