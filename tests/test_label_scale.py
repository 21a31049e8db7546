"""Issue 13 at scale: the report counted in SQL, the search's first page at once, the progress line that fits.

The speeds themselves are measured by ``benchmarks/label_speed.py`` on 200,000 chains; these tests hold
the fast ways to the results of the plain ones, on databases small enough to check.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from _toy import build
from _tui_support import sample_db, settle
from sqlite_utils import Database
from textual.widgets import Static

from inspector import store
from inspector.labels.labelset import parse_resolution
from inspector.report.build import _set_name, build_report, problem_set_of
from inspector.store import queue as queue_store
from inspector.store.reports import iter_report_groups, source_file
from inspector.store.schema import SOURCE_FILE_SQL
from inspector.tui import make_app
from inspector.tui.progress import Progress
from inspector.tui.widgets import queue_list
from inspector.tui.widgets.queue_list import QueueList

# --- the report, counted in SQL ------------------------------------------------------------------------

SOURCES = [
    "data/gsm8k.json:12", "data/gsm8k.json:13", "/x/math_cot_100.jsonl:3", "<stdin>:4", "runs/a.db", "a:", "a:b1",
    ":5", "12", "C:/d/t.csv:2", "x:1:2", "dump.jsonl:007", "", "t.jsonl:١٢", None,
]  # fmt: skip
"""Line numbers and things that look like them: ``a:`` and ``a:b1`` keep their colon, ``x:1:2`` loses one
line number, Arabic-Indic digits are no line number (SQLite's rtrim knows only ASCII digits)."""


@pytest.mark.parametrize("source", SOURCES)
def test_the_source_file_is_the_same_in_sql_and_in_python(source: str | None) -> None:
    db = store.open_db(None)
    (in_sql,) = db.conn.execute(f"SELECT {SOURCE_FILE_SQL} FROM (SELECT ? AS source)", (source,)).fetchone()
    assert in_sql == source_file(source)
    assert problem_set_of(source) == _set_name(in_sql)  # what a group of chains is named by


def odd_toy() -> Database:
    """The report tests' toy world (labels by two annotators) with the cases the groups must keep apart:
    chains without a problem id (labelled ones too), sources with and without line numbers in one problem,
    a problem set named by the input, a chain without a model."""
    db = build(store.open_db(None))
    ids = [r[0] for r in db.conn.execute("SELECT chain_id FROM chains ORDER BY rowid")]
    for n, cid in enumerate(ids):
        db.execute("UPDATE chains SET source = ? WHERE chain_id = ?", (SOURCES[n % len(SOURCES)], cid))
    db.execute("UPDATE chains SET problem_id = NULL WHERE chain_id IN ('rl-p0-s3', 'rl-p0-s1', 'base-p2-s2')")
    db.execute("INSERT INTO problems (problem_id) VALUES ('')")  # an input that said "problem_id": ""
    db.execute("UPDATE chains SET problem_id = '' WHERE chain_id = 'base-p3-s0'")
    db.execute("UPDATE chains SET problem_set = 'gsm8k' WHERE chain_id IN ('rl-p1-s0', 'base-p1-s1')")
    db.execute("UPDATE chains SET model = NULL WHERE chain_id = 'lucky-1'")
    db.conn.commit()
    return db


@pytest.mark.parametrize("resolve", ["latest", "majority", "annotator=bob"])
@pytest.mark.parametrize("models", [(), ("base",), ("rl", "(no model)")])
def test_the_report_counted_in_sql_is_the_report_read_chain_by_chain(resolve: str, models: tuple[str, ...]) -> None:
    db = odd_toy()
    how = parse_resolution(resolve)
    counted = build_report(db, resolution=how, models=models, database="toy.db")
    one_by_one = build_report(db, resolution=how, models=models, database="toy.db", rows=store.iter_report_rows(db))
    assert counted == one_by_one
    assert counted.agreement is not None or models == ("rl", "(no model)")
    assert sum(g.chains for g in iter_report_groups(db)) == store.chain_count(db) == 33


def test_the_report_reads_its_index_in_order_and_the_index_comes_to_old_databases(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = build(store.open_db(path))
    db.execute("DROP INDEX idx_chains_report")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = '0008_report_index'")
    db.conn.commit()
    before = build_report(db)
    db.close()
    db = store.open_db(path)  # migrated again: the index is made for the chains already there
    cols = f"model, problem_set, problem_id, verdict, answer_correct, {SOURCE_FILE_SQL}"
    plan = " ".join(str(r[-1]) for r in db.conn.execute(
        f"EXPLAIN QUERY PLAN SELECT {cols}, count(*) FROM chains WHERE problem_id <> '' GROUP BY {cols}"))  # fmt: skip
    assert "idx_chains_report" in plan and "TEMP B-TREE" not in plan
    assert build_report(db) == before


# --- the search: its first page in queue order, its count no further than needed ------------------------


@pytest.fixture
def bench(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = store.open_db(sample_db(tmp_path, tmp_path_factory.getbasetemp()))
    store.set_chain_label(db, "cancel-gsm-side-remark", "valid", annotator="ann", machine_verdict=None, run_id=None,
                          agrees=None)
    store.set_note(db, "lucky-gsm-tomatoes", "recheck the tomatoes", annotator="ann")
    return db


FILTERS: list[dict[str, Any]] = [
    {}, {"verdict": "valid"}, {"verdict": "lucky_guess"}, {"model": "demo-7b"}, {"order": "input"},
    {"labelled": False}, {"labelled": True}, {"right_but_errors": True},
]  # fmt: skip


@pytest.mark.parametrize("term", ["the", "The answer", "tomatoes", "gsm", "recheck", "no such words", "7b"])
def test_a_common_search_reads_the_same_rows_in_queue_order(
    bench: Database, term: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {}
    for extra in FILTERS:
        flt = store.QueueFilter(search=term, **extra)
        rows = store.queue_page(bench, flt, "ann", 0, 1000)
        expected[str(extra)] = rows
        assert store.queue_count(bench, flt, "ann") == len(rows)
    monkeypatch.setattr(queue_store, "COMMON", 1)  # every search is common now
    for extra in FILTERS:
        flt = store.QueueFilter(search=term, **extra)
        rows = expected[str(extra)]
        assert store.queue_page(bench, flt, "ann", 0, 1000) == rows, extra
        assert store.queue_page(bench, flt, "ann", 3, 5) == rows[3:8], extra
        for cap in (0, 2, 1000):
            assert store.queue_count(bench, flt, "ann", cap=cap) == min(len(rows), cap + 1), (extra, cap)


def test_a_common_search_is_read_through_the_queue_index(bench: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_store, "COMMON", 1)
    where, params = queue_store._queue_where(store.QueueFilter(search="the"), "ann", common=True)
    plan = " ".join(str(r[-1]) for r in bench.conn.execute(
        "EXPLAIN QUERY PLAN SELECT c.rowid FROM chains c WHERE " + " AND ".join(where)
        + " ORDER BY c.suspicion, c.rowid LIMIT 100", params))  # fmt: skip
    assert "idx_chains_suspicion" in plan and "TEMP B-TREE" not in plan


def test_the_queue_says_1000_plus_and_counts_to_the_end_when_it_is_needed(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search is counted no further than the cap ("5+ chains" here, "1,000+" in use); End counts it all
    and goes to the last row; a filter without a search is counted exactly at once."""
    monkeypatch.setattr(queue_list, "COUNT_CAP", 5)
    monkeypatch.setattr(queue_list, "PAGE", 2)  # as 100 rows a page are to 1,000: a short page tells the count
    path = sample_db(tmp_path, tmp_path_factory.getbasetemp())
    db = store.open_db(path)
    everything = store.queue_count(db, store.QueueFilter(search="the"), "alice")
    assert everything > 10
    app = make_app(path, "alice")

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            filters = app.screen.query_one("#filters", Static)
            assert "56 chains" in str(filters.render())
            for key in ["slash", "t", "h", "e", "enter"]:
                await pilot.press(key)
            await settle(pilot)
            qlist = app.screen.query_one(QueueList)
            assert (qlist.total, qlist.more_than) == (None, 5)
            assert "1/5+ chains" in str(filters.render())
            await pilot.press("end")
            await settle(pilot)
            await pilot.pause(0.2)
            await settle(pilot)
            assert (qlist.total, qlist.more_than, qlist.cursor) == (everything, None, everything - 1)
            assert f"{everything:,}/{everything:,} chains" in str(filters.render())

    asyncio.run(run())


# --- progress at 80 columns --------------------------------------------------------------------------------


@pytest.mark.parametrize("progress", [
    Progress(12, 200, 188.0), Progress(12_345, 200_000, 1_234.0), Progress(0, 200_000, None),
    Progress(199_999, 200_000, 0.5), Progress(3, 1_500_000, 12_000.0),
])  # fmt: skip
@pytest.mark.parametrize("width", [80, 60, 45, 30, 20, 12, 4])
def test_progress_fits_its_width_and_is_never_cut_in_a_word(progress: Progress, width: int) -> None:
    forms = progress.forms()
    line = progress.fit(width)
    assert len(line) <= width
    if not line:
        assert all(len(form) > width for form in forms)
        return
    assert line in forms  # a whole form: numbers said shorter, parts left out whole, never cut in a word
    assert all(len(form) > width for form in forms[: forms.index(line)])  # the fullest that fits
    assert line.split(" · ")[0].count("/") == 1
    if width >= 45:
        assert "ETA" in line  # the ETA is what went first at 80 columns; it stays


def test_the_queue_top_bar_keeps_the_eta_at_80_columns(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = make_app(sample_db(tmp_path, tmp_path_factory.getbasetemp()), "a-long-annotator-name")

    async def run() -> str:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app._chains = 200_000  # as on the benchmark's database  # type: ignore[attr-defined]
            app.screen._show_topbar()  # type: ignore[attr-defined]
            await settle(pilot)
            return str(app.screen.query_one("#topbar", Static).render())

    bar = asyncio.run(run())
    assert "ETA —" in bar and "200k" in bar
    assert len(bar[: bar.index("ETA —") + len("ETA —")]) <= 78  # the bar's 80 columns less its padding
