"""The store: results go in, come back out equal, and human labels survive every rewrite."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from inspector import store
from inspector.engine.model import (
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
from inspector.errors import StoreError

COT = "She buys 3 packs of 4 eggs: 3 * 4 = 13 eggs. She eats 2, so 13 - 2 = 11 left. The answer is 11."


def slip(chain_id: str = "gsm8k-0001#0", *, problem: str | None = "How many eggs are left?") -> ChainResult:
    """A wrong multiplication whose value flows into the next step: an arithmetic slip."""
    wrong = Claim(
        step=0, span=(27, 37), text="3 * 4 = 13", stated="13", actual="12", status=ClaimStatus.WRONG,
        kind="inline", rule="arithmetic", reason="3 * 4 is 12", stated_span=(35, 37),
    )  # fmt: skip
    carried = Claim(
        step=1, span=(60, 71), text="13 - 2 = 11", stated="11", actual="11", status=ClaimStatus.CORRECT,
        kind="inline", rule="arithmetic",
    )  # fmt: skip
    return ChainResult(
        chain=ChainInput(
            chain_id=chain_id,
            cot=COT,
            problem_id="gsm8k-0001",
            problem=problem,
            reference="10",
            model="tiny-llm",
            sample_index=0,
            source="samples.jsonl:1",
        ),
        steps=(Step(0, (0, 44), (wrong,)), Step(1, (45, 78), (carried,)), Step(2, (79, 97))),
        findings=(
            Finding("arithmetic", Severity.ERROR, 0, (27, 37), "3 * 4 = 12, not 13", "13", "12"),
            Finding("carried_error", Severity.INFO, 1, (60, 62), "uses the wrong 13 from step 0"),
        ),
        final_answer=FinalAnswer("11", (94, 96), "answer_is"),
        answer_correct=False,
        repaired_answer="10",
        repaired_correct=True,
        verdict=Verdict.ARITHMETIC_SLIP,
        explanation="The answer is wrong, but fixing 3 * 4 = 13 gives the reference.",
        rules_name="default",
        rules_hash="abc123",
        flows=(ValueFlow(step=1, span=(60, 62), value="13", from_step=0, tainted=True),),
    )


def bare(chain_id: str, *, model: str | None = None, verdict: Verdict = Verdict.NO_ANSWER) -> ChainResult:
    """The least a result can carry: no problem, no steps, no final answer."""
    return ChainResult(
        chain=ChainInput(chain_id=chain_id, cot="I am not sure.", model=model),
        steps=(),
        findings=(),
        final_answer=None,
        answer_correct=None,
        repaired_answer=None,
        repaired_correct=None,
        verdict=verdict,
        explanation="No final answer could be found.",
    )


def row_counts(db: Database) -> dict[str, int]:
    tables = ("runs", "problems", "chains", "steps", "claims", "findings", "flows", "chain_labels")
    return {t: db[t].count for t in tables}


@pytest.fixture
def db() -> Database:
    return store.open_db(None)


def test_a_result_comes_back_equal(db: Database) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="samples.jsonl", argv=["x"])
    written = store.write_results(db, run, [slip(), bare("other")])

    assert written == 2
    assert store.load_result(db, "gsm8k-0001#0") == slip()
    assert store.load_result(db, "other") == bare("other")
    assert store.load_result(db, "no-such-chain") is None


def test_presegmented_steps_come_back(db: Database) -> None:
    result = replace(bare("pb-1"), chain=ChainInput(chain_id="pb-1", cot="a\n\nb", steps=("a", "b")))
    store.write_results(db, store.start_run(db, rules_name="d", rules_hash="", source="", argv=[]), [result])

    loaded = store.load_result(db, "pb-1")
    assert loaded is not None and loaded.chain.steps == ("a", "b")


def test_writing_the_same_results_twice_changes_no_row_counts(db: Database) -> None:
    results = [slip(), slip("gsm8k-0001#1"), bare("other")]
    first = store.start_run(db, rules_name="default", rules_hash="abc123", source="s", argv=[])
    store.write_results(db, first, results)
    before = row_counts(db)
    steps_before = list(db["claims"].rows)

    second = store.start_run(db, rules_name="default", rules_hash="abc123", source="s", argv=[])
    store.write_results(db, second, iter(results), batch_size=2)

    assert row_counts(db) == {**before, "runs": 2}
    assert list(db["claims"].rows) == steps_before
    assert {row["run_id"] for row in db["chains"].rows} == {second}


def test_a_rewrite_replaces_a_chains_findings(db: Database) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="s", argv=[])
    store.write_results(db, run, [slip()])
    fixed = bare("gsm8k-0001#0", verdict=Verdict.VALID)
    store.write_results(db, run, [fixed])

    assert db["findings"].count == 0 and db["claims"].count == 0 and db["flows"].count == 0
    loaded = store.load_result(db, "gsm8k-0001#0")
    assert loaded is not None and loaded.verdict is Verdict.VALID


def test_human_labels_survive_a_rewrite(db: Database) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="s", argv=[])
    store.write_results(db, run, [slip()])
    db.table("chain_labels").insert(
        {"chain_id": "gsm8k-0001#0", "annotator": "ana", "label": "arithmetic_slip", "created_at": "now",
         "machine_verdict": "arithmetic_slip", "run_id": run, "agrees_with_machine": 1}
    )  # fmt: skip
    db.table("notes").insert(
        {"chain_id": "gsm8k-0001#0", "annotator": "ana", "text": "classic", "created_at": "now"}
    )

    store.write_results(
        db, store.start_run(db, rules_name="d", rules_hash="h", source="s", argv=[]), [slip()]
    )

    assert [row["label"] for row in db["chain_labels"].rows] == ["arithmetic_slip"]
    assert db["notes"].count == 1


def test_a_problems_text_is_kept_when_a_later_chain_lacks_it(db: Database) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="s", argv=[])
    store.write_results(db, run, [slip()])
    store.write_results(db, run, [slip("gsm8k-0001#1", problem=None)])

    assert list(db["problems"].rows) == [
        {"problem_id": "gsm8k-0001", "problem": "How many eggs are left?", "reference": "10"}
    ]
    loaded = store.load_result(db, "gsm8k-0001#1")
    assert loaded is not None and loaded.chain.problem == "How many eggs are left?"


def test_chain_ids_come_in_the_order_first_written_and_can_be_filtered(db: Database) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="", source="s", argv=[])
    store.write_results(
        db, run, [bare("c"), bare("a", model="m1"), bare("b", model="m1", verdict=Verdict.VALID)]
    )
    store.write_results(db, run, [bare("c")])  # a rewrite does not move a chain to the end

    assert list(store.iter_chain_ids(db)) == ["c", "a", "b"]
    assert list(store.iter_chain_ids(db, model="m1")) == ["a", "b"]
    assert list(store.iter_chain_ids(db, verdict=Verdict.NO_ANSWER)) == ["c", "a"]
    assert list(store.iter_chain_ids(db, verdict="valid", model="m1")) == ["b"]


def test_a_run_records_its_start_and_finish(db: Database) -> None:
    run = store.start_run(
        db, rules_name="strict", rules_hash="h1", source="in.jsonl", argv=["check", "in.jsonl"]
    )
    store.finish_run(db, run, chains=3, counts={"valid": 2, "lucky_guess": 1})

    row = db.table("runs").get(run)
    assert row["rules_name"] == "strict" and row["chains"] == 3
    assert row["argv"] == '["check", "in.jsonl"]'
    assert row["counts_json"] == '{"lucky_guess": 1, "valid": 2}'
    assert row["started_at"] <= row["finished_at"]


def test_results_are_consumed_lazily(db: Database) -> None:
    pulled = 0

    def generate() -> Iterator[ChainResult]:
        nonlocal pulled
        for i in range(25):
            pulled += 1
            # never more than one batch ahead of what has been written
            assert pulled <= db["chains"].count + 10
            yield bare(f"c{i}")

    run = store.start_run(db, rules_name="d", rules_hash="", source="s", argv=[])
    assert store.write_results(db, run, generate(), batch_size=10) == 25


def test_a_file_database_uses_wal(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "results.db")

    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_reopening_a_file_database_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    db = store.open_db(path)
    store.write_results(db, store.start_run(db, rules_name="d", rules_hash="", source="s", argv=[]), [slip()])
    db.close()

    assert store.load_result(store.open_db(str(path)), "gsm8k-0001#0") == slip()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    path.write_text('{"chain_id": "a", "cot": "1 + 1 = 2"}\n' * 200)

    with pytest.raises(StoreError, match="not a SQLite database"):
        store.open_db(path)


def test_a_schema_newer_than_this_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    store.open_db(path).table("_sqlite_migrations").insert(
        {"migration_set": "cot-inspector", "name": "9999_from_the_future", "applied_at": "later"}
    )

    with pytest.raises(StoreError, match="newer"):
        store.open_db(path)


def test_two_connections_to_one_file_can_both_write(tmp_path: Path) -> None:
    path = tmp_path / "results.db"
    first = store.open_db(path)
    run = store.start_run(first, rules_name="d", rules_hash="", source="s", argv=[])
    errors: list[BaseException] = []

    def other_process() -> None:
        try:
            second = store.open_db(path)  # a connection of its own, as another process would have
            store.write_results(second, run, [bare("from-second")])
            second.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    first.conn.execute("BEGIN IMMEDIATE")  # the first writer holds the lock...
    store_thread = threading.Thread(target=other_process)
    store_thread.start()
    time.sleep(0.3)  # ...long enough that the second must wait for it, not fail
    first.conn.execute("INSERT INTO problems (problem_id) VALUES ('from-first')")
    first.conn.execute("COMMIT")
    store_thread.join(timeout=10)

    assert errors == []
    assert list(store.iter_chain_ids(first)) == ["from-second"]
    assert first.table("problems").get("from-first")


def test_a_label_must_point_at_a_stored_chain(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        db.table("chain_labels").insert({"chain_id": "nowhere", "label": "valid", "created_at": "now"})


# --------------------------------------------------------------------------------------------------
# The queue's search: FTS5 (migration 0006) finds what the LIKE over every chain found


def _like_search(db: Database, term: str) -> set[str]:
    """The search as it was before the index: a LIKE over every chain's fields, problem and notes."""
    pattern = store.queue._like(term)
    like = "LIKE ? ESCAPE '\\'"
    rows = db.conn.execute(
        f"SELECT c.chain_id FROM chains c WHERE c.chain_id {like} OR c.problem_id {like} OR c.model {like} "
        f"OR c.cot {like} OR c.problem_id IN (SELECT problem_id FROM problems WHERE problem {like}) "
        f"OR c.chain_id IN (SELECT chain_id FROM notes WHERE superseded_at IS NULL AND text {like})",
        [pattern] * 6,
    )
    return {r[0] for r in rows}


def _searched(db: Database, term: str) -> set[str]:
    flt = store.QueueFilter(search=term)
    rows = store.queue_page(db, flt, "alice", 0, 1000)
    assert store.queue_count(db, flt, "alice") == len(rows)
    return {r.chain_id for r in rows}


SEARCHES = [
    # in the chain text, any case, mid-word
    "3 * 4 = 13", "EGGS", "ggs: 3", "not sure",
    # ids, models, problems, notes
    "gsm8k-0001#1", "tiny-", "other", "How many eggs", "recheck this",
    # shorter than a trigram (LIKE), characters FTS5 would read as syntax, nothing at all
    "13", "#", '"quoted"', "a*b OR c", "NEAR(x", "no such text",
]  # fmt: skip


@pytest.mark.parametrize("term", SEARCHES)
def test_the_search_index_finds_what_like_found(db: Database, term: str) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="s.jsonl", argv=[])
    store.write_results(db, run, [slip(), slip("gsm8k-0001#1"), bare("other", model="tiny-llm"),
                                  bare("weird", model='say "quoted" a*b OR c NEAR(x')])  # fmt: skip
    store.set_note(db, "other", "Recheck this one", annotator="bob")
    assert _searched(db, term) == _like_search(db, term)


def test_the_search_uses_the_index_and_follows_rewrites(db: Database) -> None:
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="s.jsonl", argv=[])
    store.write_results(db, run, [slip(), bare("other")])
    where, params = store.queue._queue_where(store.QueueFilter(search="eggs"), "alice")
    plan = " ".join(str(r[-1]) for r in db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM chains c WHERE " + " AND ".join(where), params))  # fmt: skip
    assert "VIRTUAL TABLE INDEX" in plan and "chains_fts" in plan
    assert _searched(db, "eggs") == {"gsm8k-0001#0"}
    store.write_results(db, run, [replace(slip(), chain=replace(slip().chain, cot="No eggs here at all."))])
    assert _searched(db, "eggs") == {"gsm8k-0001#0"}
    assert _searched(db, "3 * 4") == set()  # the old text is gone from the index
    db.execute("DELETE FROM chains WHERE chain_id = 'gsm8k-0001#0'")
    assert _searched(db, "eggs") == set()
    db.execute("INSERT INTO chains_fts (chains_fts) VALUES ('integrity-check')")  # raises when out of step


def test_a_database_made_before_the_search_index_is_indexed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = store.open_db(path)
    run = store.start_run(db, rules_name="default", rules_hash="abc123", source="s.jsonl", argv=[])
    store.write_results(db, run, [slip(), bare("other")])
    # Back to the schema of migration 0005: no index, no triggers, chains already there.
    for trigger in ("chains_fts_insert", "chains_fts_delete", "chains_fts_update"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE chains_fts")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = '0006_chains_fts'")
    db.conn.commit()
    db.close()
    db = store.open_db(path)
    assert _searched(db, "eggs") == {"gsm8k-0001#0"}
    assert _searched(db, "I am not") == {"other"}
    db.close()
