"""The labelling TUI driven key by key (Textual's Pilot): what an annotator does, and what ends up stored."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from _tui_support import COINCIDENT_LITERAL, FALSE_EQUATION, SAMPLES, sample_db, settle, small_db
from click.testing import CliRunner
from rich.console import Console
from textual.widgets import Static

from inspector import store
from inspector.cli import ExitCode, main
from inspector.errors import StoreError
from inspector.labels.session import label_title
from inspector.report.build import build_report
from inspector.report.render import rich_tables
from inspector.sampling.score import logprob_rows, prm_rows
from inspector.tui import LabelApp, make_app
from inspector.tui.screens import report as report_screen
from inspector.tui.screens.chain import ChainScreen
from inspector.tui.screens.help import HelpScreen
from inspector.tui.screens.queue import QueueScreen
from inspector.tui.screens.report import ReportScreen, ReportView
from inspector.tui.widgets.chain_text import ChainText
from inspector.tui.widgets.queue_list import QueueList
from inspector.tui.widgets.verification import VerificationPanel


@pytest.fixture
def db_path(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_db(tmp_path, tmp_path_factory.getbasetemp())


async def press(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def drive(app: LabelApp, script: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (100, 30)) -> None:
    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await script(pilot)

    asyncio.run(run())


def chain_screen(app: LabelApp) -> ChainScreen:
    assert isinstance(app.screen, ChainScreen), app.screen
    return app.screen


def current_chain(app: LabelApp) -> str:
    result = chain_screen(app).result
    assert result is not None
    return result.chain.chain_id


def current_rows(path: Path, table: str, annotator: str = "alice") -> list[dict[str, Any]]:
    db = store.open_db(path)
    try:
        return [dict(r) for r in db.query(f"SELECT * FROM {table} WHERE annotator = ? AND superseded_at IS NULL "
                                          "ORDER BY id", [annotator])]  # fmt: skip
    finally:
        db.close()


def test_filter_move_label_undo_note_quit(db_path: Path) -> None:
    """The acceptance walk: the database then holds exactly the labels given, and not the undone one."""
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        queue = app.screen.query_one(QueueList)
        assert queue.total == 56
        await press(pilot, "r")  # answer right but errors found
        assert queue.total == 6
        await press(pilot, "v")  # verdict: valid (the first in the cycle) — none among these
        assert queue.total == 0
        await press(pilot, "v")  # canceling_errors
        assert queue.total == 4
        await press(pilot, "c", "r")  # clear, then right-but-errors again
        assert queue.total == 6
        await press(pilot, "down", "enter")
        assert current_chain(app) == "lucky-math-rectangle"
        cot = chain_screen(app).query_one(ChainText)
        await press(pilot, "]")  # next chain of the queue, and back
        assert current_chain(app) == "cancel-gsm-side-remark"
        await press(pilot, "[")
        assert current_chain(app) == "lucky-math-rectangle"
        await press(pilot, "g")  # step 1 good; the selection stays on it
        assert cot.selected == 0
        await press(pilot, "down", "b", "down", "f")  # step 2 bad; step 3 (index 2) is the first error
        await press(pilot, "up", "n")  # step 2 (index 1) becomes neutral
        await press(pilot, "3")  # chain: lucky guess; moves on to the next unlabelled
        assert current_chain(app) == "cancel-gsm-side-remark"
        await press(pilot, "1")  # label it valid, by mistake ...
        assert current_chain(app) == "cancel-math-offsetting"
        await press(pilot, "u")  # ... and undo: back to it, unlabelled again
        assert current_chain(app) == "cancel-gsm-side-remark"
        await press(pilot, "e")
        await pilot.press(*"side remark slip")
        await press(pilot, "enter")
        assert "saved 8" in str(chain_screen(app).query_one("#status").render())
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(QueueList).cursor == 2  # back at the chain last shown
        await press(pilot, "q")

    drive(app, script)
    assert app.return_code == 0
    chains = current_rows(db_path, "chain_labels")
    assert [(r["chain_id"], r["label"], r["machine_verdict"], r["agrees_with_machine"]) for r in chains] == [
        ("lucky-math-rectangle", "lucky_guess", "lucky_guess", 1)
    ]
    assert chains[0]["run_id"] == 1
    steps = current_rows(db_path, "step_labels")
    assert {(r["chain_id"], r["step"], r["rating"], r["first_error"]) for r in steps} == {
        ("lucky-math-rectangle", 0, 1, 0),
        ("lucky-math-rectangle", 1, 0, 0),
        ("lucky-math-rectangle", 2, -1, 1),
    }
    notes = current_rows(db_path, "notes")
    assert [(r["chain_id"], r["text"]) for r in notes] == [("cancel-gsm-side-remark", "side remark slip")]
    db = store.open_db(db_path)
    undone = list(db.query("SELECT chain_id, label FROM chain_labels WHERE undone_at IS NOT NULL"))
    db.close()
    assert undone == [{"chain_id": "cancel-gsm-side-remark", "label": "valid"}]


def test_search_order_and_mouse(db_path: Path) -> None:
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        queue = app.screen.query_one(QueueList)
        await press(pilot, "slash")
        await pilot.press(*"tomato")
        await press(pilot, "enter")
        await pilot.pause(0.4)  # the search waits for a pause in typing
        await settle(pilot)
        assert queue.total == 1 and queue.current is not None
        assert queue.current.chain_id == "lucky-gsm-tomatoes"
        await press(pilot, "c", "o")  # input order
        assert queue.current is not None and queue.current.chain_id == "valid-gsm-change"
        await pilot.click(QueueList, offset=(10, 4))  # the header is line 0: this is row 3
        await settle(pilot)
        assert queue.cursor == 3
        await pilot.click(QueueList, offset=(10, 4), times=2)
        await settle(pilot)
        assert current_chain(app) == "valid-math-display-chain"
        await pilot.click(ChainText, offset=(12, 2))
        await settle(pilot)
        assert chain_screen(app).query_one(ChainText).selected > 0

    drive(app, script)


def test_help_latex_toggle_and_narrow_layout(db_path: Path) -> None:
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        for static in app.screen.query(Static):
            console.print(static.content)
        text = console.export_text()
        for needed in ("first error", "Undo", "Search", "machine's verdict", "LaTeX"):
            assert needed in text
        await press(pilot, "escape")
        await press(pilot, "slash")
        await pilot.press(*"slip-math-fraction")
        await press(pilot, "enter")
        await pilot.pause(0.4)
        await settle(pilot)
        await press(pilot, "enter")
        screen = chain_screen(app)
        assert screen.has_class("-narrow")  # 80 columns: the panes stack
        cot = screen.query_one(ChainText)
        assert "\\frac{2}{3}" in cot._text
        await press(pilot, "t")
        assert "2/3 · 84 = 54" in cot._text
        await press(pilot, "d")  # light theme
        assert not app.current_theme.dark

    drive(app, script, size=(80, 24))


def test_opening_a_jsonl_file_verifies_it_first(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    app = make_app(db, "alice", inputs=[str(SAMPLES / "verdicts.jsonl")])

    async def script(pilot: Any) -> None:
        for _ in range(100):
            await settle(pilot)
            if isinstance(app.screen, QueueScreen):
                break
            await pilot.pause(0.1)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(QueueList).total == 22

    drive(app, script)
    assert store.chain_count(store.open_db(db)) == 22


def test_an_unreadable_jsonl_file_stops_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "cot": "1 + 1 = 2"}) + "\n{not json\n")
    app = make_app(tmp_path / "new.db", "alice", inputs=[str(bad)])

    async def script(pilot: Any) -> None:
        for _ in range(50):
            await settle(pilot)
            if app.error:
                break
            await pilot.pause(0.1)
        assert app.error is not None and f"{bad}:2:" in app.error
        await press(pilot, "q")

    drive(app, script)
    assert app.return_code == 2


def test_cli_label_errors_and_help(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["label", "--help"])
    assert result.exit_code == 0 and "--annotator" in result.output
    result = runner.invoke(main, ["label", str(tmp_path / "missing.db")])
    assert result.exit_code == ExitCode.BAD_INPUT and "no such database" in result.stderr
    not_db = tmp_path / "notes.db"
    not_db.write_text("hello\n")
    result = runner.invoke(main, ["label", str(not_db)])
    assert result.exit_code == ExitCode.BAD_INPUT and "not a SQLite database" in result.stderr
    result = runner.invoke(main, ["label", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == ExitCode.BAD_INPUT and "no such file" in result.stderr


def test_a_label_that_cannot_be_saved_says_so_and_stays(db_path: Path) -> None:
    """Another process holds the write lock past the wait: the screen says NOT SAVED and does not move on."""
    import sqlite3

    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "space")
        first = current_chain(app)
        app.db.execute("PRAGMA busy_timeout = 0")  # give up at once instead of after 5 s
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            await press(pilot, "1")
            status = str(chain_screen(app).query_one("#status").render())
            assert status.startswith("NOT SAVED") and "locked" in status
            assert current_chain(app) == first  # the screen did not move on
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await press(pilot, "1")  # the lock is gone: saved, and on to the next
        assert current_chain(app) != first

    drive(app, script)
    assert [(r["chain_id"], r["label"]) for r in current_rows(db_path, "chain_labels")] == [
        ("lucky-gsm-tomatoes", "valid")
    ]


# --------------------------------------------------------------------------------------------------
# Learned step scores (`inspect score`) beside the exact arithmetic


def panel_text(app: LabelApp) -> str:
    """The verification panel as drawn, its wrapped lines joined again (one space between words)."""
    panel = chain_screen(app).query_one(VerificationPanel)
    return " ".join(" ".join("".join(seg.text for seg in line) for line in panel._lines).split())


def test_learned_scores_show_under_the_selected_steps_arithmetic(db_path: Path) -> None:
    """Scored as `inspect score` scores (the same row makers, the same writer): the panel shows each score
    of the selected step, the claim's quoting its stated result; a chain with none shows no score line."""
    db = store.open_db(db_path)
    result = store.load_result(db, "lucky-gsm-tomatoes")
    assert result is not None
    cot = result.chain.cot
    # One token a character; the wrong result "162" (step 2) written with little confidence.
    tokens = [(i, i + 1) for i, ch in enumerate(cot) if not ch.isspace()]
    wrong = cot.index("<<180-28=162>>") + len("<<180-28=")
    logprobs = [-1.5 if wrong <= a < wrong + 3 else -0.1 for a, _ in tokens]
    store.write_scores(
        db, "logprob", "tiny-lm", {result.chain.chain_id: logprob_rows(result, logprobs, tokens)}
    )
    store.write_scores(
        db, "prm", "tiny-prm", {result.chain.chain_id: prm_rows(result, [0.93, 0.12, 0.4, 0.5])}
    )
    db.close()
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "space")
        assert current_chain(app) == "lucky-gsm-tomatoes"
        text = panel_text(app)  # step 1: 12 * 15 = 180, right
        assert "≈ PRM tiny-prm: P(step correct) = 0.930" in text
        assert '≈ tiny-lm: P("180") = 0.741' in text
        await press(pilot, "down")  # step 2: 180 - 28 = 162, wrong
        text = panel_text(app)
        assert "≈ tiny-lm log-prob: mean" in text
        assert '≈ tiny-lm: P("162") = 0.0111' in text
        assert "≈ PRM tiny-prm: P(step correct) = 0.120" in text
        # under the step's claims, above the chain's verdict
        assert text.index("stated 162") < text.index("≈ tiny-lm") < text.index("Chain")
        await press(pilot, "]")  # the next chain has no scores: nothing drawn
        assert current_chain(app) == "lucky-math-rectangle"
        assert "≈" not in panel_text(app)

    drive(app, script)


# --------------------------------------------------------------------------------------------------
# The report screen: `inspect report`'s tables and plot, from the queue and from the chain view


def report_text(app: LabelApp) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    for static in app.screen.query_one(ReportView).query(Static):
        console.print(static.content)
    return console.export_text()


def test_report_screen_shows_the_reports_tables_and_plot(db_path: Path) -> None:
    db = store.open_db(db_path)
    expected = rich_tables(build_report(db, database=str(db_path)))  # what `inspect report` prints
    db.close()
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "R")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.report is not None and screen.report.chains == 56
        view = screen.query_one(ReportView)
        assert not view.loading and view.has_focus
        assert len(view.query(Static)) == len(expected)  # every part, each in its own Static
        text = report_text(app)
        for needed in (
            "Verdicts (56 chains)",
            "Correct final answers",
            "pass@k (unbiased estimator)",
            "UPPER: raw, lower: valid-only",
            "demo-7b",
            "cancelling_retelling",
            "calculator-repaired",
        ):
            assert needed in text
        assert "demo-…" not in text  # tables keep their width; the screen scrolls sideways instead
        assert "56 chains" in str(screen.query_one("#report-header", Static).render())
        await press(pilot, "right")
        assert view.scroll_x > 0
        await press(pilot, "q")  # back, not quit
        assert isinstance(app.screen, QueueScreen)
        await press(pilot, "slash", "R")  # typing in the search box: no report
        assert isinstance(app.screen, QueueScreen)
        assert "Agreement with people" not in text  # nobody has labelled anything yet
        await press(pilot, "escape", "enter")  # leave the search; open the first chain
        await press(pilot, "a")  # label it with the machine's verdict; on to the next chain
        chain = current_chain(app)
        await press(pilot, "R")  # built again: the label just saved is in it
        assert isinstance(app.screen, ReportScreen)
        assert "Agreement with people — 1 labelled chain(s)" in report_text(app)
        await press(pilot, "backspace")
        assert current_chain(app) == chain
        await press(pilot, "question_mark", "R")  # not over the help screen
        assert isinstance(app.screen, HelpScreen)

    drive(app, script)


def test_report_that_cannot_be_built_says_why(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("sample.db: database is locked")

    monkeypatch.setattr(report_screen, "build_report", broken)
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "R")
        assert isinstance(app.screen, ReportScreen)
        assert "could not be built: sample.db: database is locked" in report_text(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)

    drive(app, script)


def test_report_is_built_off_the_screen_thread(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the report is being built the screen shows a loading indicator and still answers keys; leaving
    before it is done is fine (what the worker finishes then goes nowhere)."""
    gate = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return build_report(*args, **kwargs)

    monkeypatch.setattr(report_screen, "build_report", slow)
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await pilot.press("R")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.query_one(ReportView).loading  # Textual's loading indicator covers the view
        assert "reading the whole database" in str(screen.query_one("#report-header", Static).render())
        await pilot.press("escape")  # the screen thread is free: back at once
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await press(pilot, "R")  # and a new report, built in full
        assert isinstance(app.screen, ReportScreen) and app.screen.report is not None

    drive(app, script)


def test_a_pasted_note_of_several_lines_is_kept_whole(db_path: Path) -> None:
    from textual import events

    from inspector.tui.screens.note import NoteInput

    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "enter")
        chain_id = current_chain(app)
        await press(pilot, "e")
        note = app.screen.query_one(NoteInput)
        note.post_message(events.Paste("step 2 adds wrong\n\n  the answer is still right\n"))
        await settle(pilot)
        assert note.value == "step 2 adds wrong / the answer is still right"
        note.post_message(events.Paste("!"))  # one line: pasted once, by Input itself
        await settle(pilot)
        assert note.value == "step 2 adds wrong / the answer is still right!"
        await press(pilot, "enter")
        assert current_rows(db_path, "notes")[-1]["chain_id"] == chain_id
        await press(pilot, "q")

    drive(app, script)
    assert [r["text"] for r in current_rows(db_path, "notes")] == ["step 2 adds wrong / the answer is still right!"]


def test_a_chain_of_5000_lines_opens_at_once_and_q_quits(tmp_path: Path) -> None:
    """Laying out a chain only finds its row breaks; rows are rendered when on screen (benchmarks/long_chain_open.py
    measures it: a few hundred ms for 5,000 lines on our machine, where it took 18 s before)."""
    import time

    from inspector.labels.session import verify_into

    cot = "\n".join(f"Step {i}: we add {i} + {i} = {2 * i} apples to the pile of the day." for i in range(5000))
    src = tmp_path / "long.jsonl"
    src.write_text(json.dumps({"id": "long", "cot": cot, "reference": "5"}) + "\n")
    db = tmp_path / "long.db"
    verify_into(str(db), [str(src)])
    app = make_app(db, "alice")
    opened: list[float] = []

    async def script(pilot: Any) -> None:
        start = time.perf_counter()
        await press(pilot, "enter")
        opened.append(time.perf_counter() - start)
        text = chain_screen(app).query_one(ChainText)
        assert text.step_count == 5000
        await press(pilot, "end")  # the last step: its rows are rendered when they come on screen
        assert text.selected == 4999
        await press(pilot, "q")

    drive(app, script)
    assert app.return_code == 0
    assert opened[0] < 3.0  # generous for a shared machine: the point is "not 18 s"


# --------------------------------------------------------------------------------------------------
# Issue 13: an annotator's day at 80×24


async def open_chain(pilot: Any, name: str) -> None:
    """Search the queue for ``name`` and open the first match."""
    await press(pilot, "slash")
    await pilot.press(*name)
    await press(pilot, "enter")
    await pilot.pause(0.4)  # the search filters after a pause in typing
    await settle(pilot)
    await press(pilot, "enter")


def header_text(app: LabelApp) -> str:
    return str(chain_screen(app).query_one("#chain-header", Static).render())


def test_80x24_shows_the_question_and_the_whole_problem_on_p(db_path: Path) -> None:
    """Each chain opens on the problem's last lines (the question); ``p`` shows it whole; the next chain
    opens on its question again, whatever the last one was scrolled to."""
    from textual.containers import VerticalScroll

    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await open_chain(pilot, "club-four")
        screen = chain_screen(app)
        box = screen.query_one("#problem", VerticalScroll)
        assert box.max_scroll_y > 0  # the problem is longer than its box at 80×24
        assert box.scroll_y == box.max_scroll_y  # ... and opens on its last lines: the question
        await press(pilot, "p")
        assert screen.has_class("-problem-full")
        assert box.max_scroll_y == 0 and box.scroll_y == 0  # the whole problem, from its start
        await press(pilot, "p")
        assert not screen.has_class("-problem-full")
        await press(pilot, "p", "escape", "enter")  # opened again: the box shrinks, shows the question
        assert not screen.has_class("-problem-full")
        assert box.scroll_y == box.max_scroll_y

    drive(app, script, size=(80, 24))


def test_80x24_header_puts_what_a_label_depends_on_first(db_path: Path) -> None:
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await open_chain(pilot, "club-four")
        header = header_text(app)
        order = [header.index(part) for part in
                 ("cancelling errors", "answer 73 ✓", "yours: —", "[1/1]", "club-four-items-retold")]  # fmt: skip
        assert order == sorted(order)
        await press(pilot, "2")  # labelled: the header of the chain it moved on from is gone; go back
        await press(pilot, "u")
        header = header_text(app)
        assert "yours: —" in header

    drive(app, script, size=(80, 24))


def test_a_long_status_message_wraps_instead_of_being_cut(db_path: Path) -> None:
    app = make_app(db_path, "alice")
    reason = "database is locked by another program (pid 4242, /home/alice/labels.db): nothing was written"

    async def script(pilot: Any) -> None:
        await press(pilot, "space")
        screen = chain_screen(app)

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise StoreError(reason)

        app.session.label_chain = refuse  # type: ignore[method-assign]
        await press(pilot, "1")
        status = screen.query_one("#status", Static)
        assert str(status.render()) == f"NOT SAVED: {reason}"
        assert status.outer_size.height == 2  # wrapped onto a second row, not cut at 80 columns
        await press(pilot, "down")  # a short message again: back to one row
        screen.set_status("ok")
        await settle(pilot)
        assert status.outer_size.height == 1

    drive(app, script, size=(80, 24))


def test_a_false_equation_is_never_green_nor_checked(tmp_path: Path) -> None:
    """``900 = 1019`` follows from the line above (the rewrite check passes), but it is false: red, ✗."""
    from inspector.labels.review import Mark

    app = make_app(small_db(tmp_path, FALSE_EQUATION), "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "space")
        cot = chain_screen(app).query_one(ChainText)
        start = cot._text.index("900 = 1019")
        marks = {m for s, e, m in cot._marks if s <= start < e}
        assert Mark.WRONG in marks and Mark.CORRECT not in marks
        await press(pilot, "down", "down", "down")
        text = panel_text(app)
        assert "900 = 1019" in text and "a false equation" in text and "stated 1019 true 900" in text
        assert "checks out" not in text.split("Chain")[0]
        legend = str(chain_screen(app).query_one("#legend", Static).render())
        for meaning in ("wrong number", "false claim", "can't check", "checks out", "uses wrong value"):
            assert meaning in legend

    drive(app, script, size=(80, 24))


def test_a_literal_equal_to_a_wrong_value_is_not_a_flow(tmp_path: Path) -> None:
    from inspector.labels.review import Mark

    app = make_app(small_db(tmp_path, COINCIDENT_LITERAL), "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "space")
        cot = chain_screen(app).query_one(ChainText)
        assert cot.result is not None and cot.result.flows  # the engine links every later 50 ...
        assert not [m for m in cot._marks if m[2] is Mark.TAINTED]  # ... the view marks none of them
        await press(pilot, "down")
        text = panel_text(app)
        assert "50 (true 0.02): no later use traced" in text and "flows into" not in text

    drive(app, script, size=(80, 24))


def test_step_labels_cannot_contradict_themselves(db_path: Path) -> None:
    """Every step key acts on the highlighted step and stays there; a first error is a bad step."""
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await open_chain(pilot, "extra-flow")
        screen = chain_screen(app)
        cot = screen.query_one(ChainText)
        await press(pilot, "w", "f", "g")  # the first error, then "good" on it: refused, said why
        assert cot.selected == 0
        status = str(screen.query_one("#status").render())
        assert "first error" in status and "f takes the mark off" in status
        assert screen.labels.steps[0] == (-1, True)
        await press(pilot, "n")  # neutral is refused too
        assert screen.labels.steps[0] == (-1, True)
        await press(pilot, "down", "b", "f")  # b then f: both on step 2, which now holds the mark
        assert cot.selected == 1
        assert screen.labels.steps[1] == (-1, True) and screen.labels.steps[0] == (-1, False)
        await press(pilot, "f", "g")  # the mark off, then good: one consistent state
        assert screen.labels.steps[1] == (1, False)

    drive(app, script, size=(80, 24))
    rows = current_rows(db_path, "step_labels")
    assert [(r["step"], r["rating"], r["first_error"]) for r in rows] == [(0, -1, 0), (1, 1, 0)]


def test_keys_are_discoverable_at_80x24(db_path: Path) -> None:
    """The key bar names the labels and always shows ``?``; the help at 80×24 says how to page on."""
    from textual.containers import VerticalScroll

    from inspector.tui.widgets.key_bar import KeyBar

    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        bar = str(app.screen.query_one(KeyBar).render())
        assert "? Help" in bar  # the queue's bar, cut at 80 columns, keeps the help key
        await open_chain(pilot, "club-four")
        bar = str(chain_screen(app).query_one(KeyBar).render())
        assert "1 valid  2 cancel  3 lucky  4 slip  5 wrong  6 unsure" in bar
        assert bar.rstrip().endswith("? Help")
        await press(pilot, "question_mark")
        box = app.screen.query_one("#help-box", VerticalScroll)
        assert box.border_subtitle.startswith("page 1 of ") and "PgDn" in box.border_subtitle
        await press(pilot, "end")
        assert "page" in box.border_subtitle and "PgUp" in box.border_subtitle
        await press(pilot, "escape")
        assert isinstance(app.screen, ChainScreen)

    drive(app, script, size=(80, 24))


def test_a_label_against_the_facts_asks_once_then_saves_at_once(db_path: Path) -> None:
    """valid on a wrong answer: the first press asks, the second saves, committed before the next key."""
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await open_chain(pilot, "extra-flow")  # answer 96, reference 84
        screen = chain_screen(app)
        for key in ("1", "3", "2"):  # valid, lucky guess, cancelling: each asks, none is saved
            await press(pilot, key)
            assert current_chain(app) == "extra-flow-unverifiable"
            assert str(screen.query_one("#status").render()).startswith("Sure?")
            assert current_rows(db_path, "chain_labels") == []
        await press(pilot, "2")  # the same key again: confirmed, saved at once
        assert [(r["chain_id"], r["label"]) for r in current_rows(db_path, "chain_labels")] == [
            ("extra-flow-unverifiable", "canceling_errors")
        ]
        await press(pilot, "escape")
        await open_chain(pilot, "valid-gsm-change")  # a right answer, no error found
        await press(pilot, "4")
        assert str(chain_screen(app).query_one("#status").render()).startswith("Sure? arithmetic slip")
        await press(pilot, "1")  # a label that fits the facts is saved at the first press
        assert ("valid-gsm-change", "valid") in [(r["chain_id"], r["label"])
                                                 for r in current_rows(db_path, "chain_labels")]  # fmt: skip

    drive(app, script, size=(80, 24))


def progress_text(app: LabelApp) -> str:
    return str(chain_screen(app).query_one("#progress", Static).render())


def test_progress_shows_labelled_of_all_left_rate_and_eta_in_queue_and_chain_view(db_path: Path) -> None:
    """Labelled of all, left, this session's pace (labels an hour) and the ETA: in the queue's top bar and,
    compactly, beside the chain view's legend at 80×24."""
    from inspector.tui.progress import Pace

    app = make_app(db_path, "alice")
    now = [0.0]

    async def script(pilot: Any) -> None:
        app.pace = Pace(0, clock=lambda: now[0], started=0.0)  # a clock the test moves on
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        topbar = str(queue.query_one("#topbar", Static).render())
        assert "labelled 0/56 · 56 left · —/h · ETA —" in topbar
        await press(pilot, "space")
        assert progress_text(app) == "0/56 · 56 left · —/h · ETA —"
        now[0] = 300.0
        await press(pilot, "1")  # a lucky guess (right answer): valid saves without asking
        now[0] = 600.0  # two chains in ten minutes: 12 an hour, 54 left: four and a half hours
        await press(pilot, "1")
        assert len(current_rows(db_path, "chain_labels")) == 2
        assert progress_text(app) == "2/56 · 54 left · 12/h · ETA 4h30m"
        await pilot.pause()
        # the line grew from "ETA —": its widget grew with it, so nothing is cut (it once showed "ET")
        assert chain_screen(app).query_one("#progress", Static).content_size.width >= len(progress_text(app))
        await press(pilot, "u")  # undone: one chain labelled in ten minutes
        assert progress_text(app) == "1/56 · 55 left · 6/h · ETA 9h10m"
        await press(pilot, "escape")
        topbar = str(queue.query_one("#topbar", Static).render())
        assert "labelled 1/56 · 55 left · 6/h · ETA 9h10m" in topbar

    drive(app, script, size=(80, 24))


def test_the_position_counts_within_the_filter_and_moves_on_in_the_unlabelled_queue(db_path: Path) -> None:
    """``[n/total]`` in the chain header is the place in the current filter's queue; with the unlabelled
    filter it counts the labelled chains too, so it moves on as you label instead of staying ``[1]``."""
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await press(pilot, "l")  # all -> unlabelled only
        assert app.filter.labelled is False
        await press(pilot, "space")
        assert "[1/56]" in header_text(app)
        await press(pilot, "1")
        assert "[2/56]" in header_text(app)
        await press(pilot, "1")
        assert "[3/56]" in header_text(app)
        await press(pilot, "escape", "l")  # labelled only: 2 chains, the position among them
        assert app.filter.labelled is True
        await press(pilot, "enter")
        assert "[1/2]" in header_text(app)
        await press(pilot, "right_square_bracket")
        assert "[2/2]" in header_text(app)
        await press(pilot, "escape")
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        assert str(queue.query_one("#filters", Static).render()).startswith("2/2 chains")
        await press(pilot, "up")
        assert str(queue.query_one("#filters", Static).render()).startswith("1/2 chains")

    drive(app, script, size=(80, 24))


def test_label_and_next_moves_the_position_on_without_counting_the_queue_again(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a known place, the next unlabelled chain's place is the rows passed over, counted alone: on 200k
    chains a count of all the rows before it took 35 ms of every label key."""
    app = make_app(db_path, "alice")
    counted: list[object] = []
    real = store.queue_position

    def counting(*args: object, **kwargs: object) -> int:
        counted.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    async def script(pilot: Any) -> None:
        await press(pilot, "space")
        assert "[1/56]" in header_text(app)
        monkeypatch.setattr(store, "queue_position", counting)
        await press(pilot, "1")
        assert "[2/56]" in header_text(app)
        await press(pilot, "right_square_bracket", "1")  # the third chain, labelled: the fourth is next
        assert "[4/56]" in header_text(app)
        await press(pilot, "left_square_bracket", "left_square_bracket")
        assert "[2/56]" in header_text(app)
        await press(pilot, "6")  # the second relabelled: the next unlabelled passes over the labelled third
        assert "[4/56]" in header_text(app)
        assert counted == []

    drive(app, script, size=(80, 24))


def test_the_report_is_built_again_only_when_the_database_changed(db_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Reopening the report screen shows the report built before unless a chain or a label changed since."""
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return build_report(*args, **kwargs)

    monkeypatch.setattr(report_screen, "build_report", counted)
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        for expected in (1, 1):  # opened twice, nothing changed in between: built once
            await press(pilot, "R")
            await settle(pilot)
            assert isinstance(app.screen, ReportScreen) and app.screen.report is not None
            assert len(calls) == expected
            await press(pilot, "escape")
        await press(pilot, "enter")  # open a chain and label it: the database changed
        await press(pilot, "1")
        await press(pilot, "escape")
        await press(pilot, "R")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen) and app.screen.report is not None
        assert len(calls) == 2

    drive(app, script)


def _panel_text(app: LabelApp) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(chain_screen(app).query_one(VerificationPanel)._renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_blind_hides_the_verdict_and_others_labels_until_labelled(db_path: Path) -> None:
    """--blind: no verdict in the header, panel or queue, no `others:` line, `a` refused; once labelled
    (recorded as blind), all of it shows; a relabel after seeing the verdict is not blind."""
    db = store.open_db(db_path)
    first = store.queue_page(db, store.QueueFilter(), "alice", 0, 1)[0]
    store.set_chain_label(db, first.chain_id, "valid", annotator="bob", machine_verdict=first.verdict,
                          run_id=first.run_id, agrees=None)  # fmt: skip
    db.close()
    app = make_app(db_path, "alice", blind=True, advance=False)

    async def script(pilot: Any) -> None:
        queue = app.screen.query_one(QueueList)
        assert "hidden" in "".join(seg.text for seg in queue.render_line(1))  # the queue's verdict column
        await press(pilot, "v")  # no filtering by the machine's verdict either
        assert app.filter.verdict is None
        await press(pilot, "enter")
        assert current_chain(app) == first.chain_id
        header = str(chain_screen(app).query_one("#chain-header", Static).render())
        assert "verdict hidden" in header and label_title(first.verdict) not in header
        panel = _panel_text(app)
        assert "verdict hidden" in panel and "bob" not in panel
        await press(pilot, "a")
        assert "Blind" in str(chain_screen(app).query_one("#status").render())
        await press(pilot, "6")  # unsure
        header = str(chain_screen(app).query_one("#chain-header", Static).render())
        assert label_title(first.verdict) in header and "verdict hidden" not in header
        assert "others: bob valid" in _panel_text(app)
        await press(pilot, "5")  # relabelled, having seen the verdict
        await press(pilot, "q")

    drive(app, script)
    db = store.open_db(db_path)
    rows = [dict(r) for r in db.query("SELECT label, blind, superseded_at FROM chain_labels WHERE annotator = 'alice' "
                                      "ORDER BY id")]  # fmt: skip
    db.close()
    assert [(r["label"], r["blind"]) for r in rows] == [("unsure", 1), ("wrong_reasoning", 0)]


def test_disagreements_filter_shows_only_chains_annotators_disagree_on(db_path: Path) -> None:
    db = store.open_db(db_path)
    a, b, c = (r.chain_id for r in store.queue_page(db, store.QueueFilter(), "alice", 0, 3))
    for chain_id, alice, bob in ((a, "valid", "lucky_guess"), (b, "valid", "valid"), (c, "valid", "unsure")):
        store.set_chain_label(db, chain_id, alice, annotator="alice", machine_verdict=None, run_id=None, agrees=None)
        store.set_chain_label(db, chain_id, bob, annotator="bob", machine_verdict=None, run_id=None, agrees=None)
    assert store.queue_count(db, store.QueueFilter(disagreements=True), "carol") == 1
    db.close()
    app = make_app(db_path, "carol", disagreements=True)

    async def script(pilot: Any) -> None:
        queue = app.screen.query_one(QueueList)
        assert queue.total == 1
        assert "annotators disagree" in str(app.screen.query_one("#filters").render())
        await press(pilot, "D")  # off again: every chain
        assert queue.total == 56
        await press(pilot, "D", "c")
        assert queue.total == 56 and not app.filter.disagreements
        await press(pilot, "q")

    drive(app, script)


def test_cli_label_blind_and_adjudicator_options(tmp_path: Path) -> None:
    runner = CliRunner()
    db = sample_db(tmp_path, tmp_path)
    result = runner.invoke(main, ["label", str(db), "--adjudicator", "carol", "--annotator", "bob"])
    assert result.exit_code == 2 and "not both" in result.output
    result = runner.invoke(main, ["label", str(db), "--adjudicator", "carol", "--blind"])
    assert result.exit_code == 2 and "--blind" in result.output
    help_text = runner.invoke(main, ["label", "--help"]).output
    assert "--blind" in help_text and "--adjudicator" in help_text
