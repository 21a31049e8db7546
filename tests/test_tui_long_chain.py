"""Issue 14: a chain of any length opens at once, and the keys work while its checks load.

A long chain opens in two parts (inspector/tui/chain_load.py): its header, problem and first steps at
once, then the rest from a worker thread. These drive a 20,000-line chain with Textual's Pilot. The time
limits are generous (the machine running them is shared); benchmarks/long_chain_open.py measures.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from _tui_support import settle
from textual.widgets import Static
from textual.worker import get_current_worker

from inspector.tui import LabelApp, make_app
from inspector.tui.screens import chain_view
from inspector.tui.screens.chain import ChainScreen
from inspector.tui.screens.queue import QueueScreen
from inspector.tui.widgets.chain_text import ChainText
from inspector.tui.widgets.verification import VerificationPanel

LINES = 20_000
LONG = "long-chain"
SHORT = "short-chain"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of one 20,000-line chain (a wrong answer: first in the queue) and one short chain."""
    from inspector.labels.session import verify_into

    directory = tmp_path_factory.mktemp("long-chain")
    cot = "\n".join(f"Step {i}: we add {i} + {i} = {2 * i} apples to the pile of the day." for i in range(LINES))
    records = [
        {"id": LONG, "cot": cot, "reference": "5"},
        {"id": SHORT, "cot": "We add 2 + 2 = 4.\nThe answer is 4.", "reference": "4"},
    ]
    source = directory / "chains.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    db = directory / "long.db"
    verify_into(str(db), [str(source)])
    return db


@pytest.fixture
def db_path(template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "long.db"
    shutil.copy(template, db)
    return db


class Gate(threading.Event):
    """Set, it lets the chain view's loading workers go on; ``calls`` are the arguments each was given."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Holds every chain's loading worker until set (as a slow disk would), so keys land while it loads."""
    opened = Gate()
    load_full = chain_view.load_full

    def held(*args: Any) -> Any:
        opened.calls.append(args)
        worker = get_current_worker()
        while not opened.wait(0.01):
            if worker.is_cancelled:
                return None
        return load_full(*args)

    monkeypatch.setattr(chain_view, "load_full", held)
    return opened


def drive(app: LabelApp, script: Callable[[Any], Awaitable[None]]) -> None:
    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await script(pilot)

    asyncio.run(run())


async def until(condition: Callable[[], bool], limit_s: float = 10.0) -> float:
    """Seconds until ``condition()`` holds (polled every few ms); fails after ``limit_s``."""
    start = time.perf_counter()
    while not condition():
        assert time.perf_counter() - start < limit_s, "timed out"
        await asyncio.sleep(0.003)
    return time.perf_counter() - start


def screen_of(app: LabelApp) -> ChainScreen:
    assert isinstance(app.screen, ChainScreen), app.screen
    return app.screen


def text(widget: Any) -> str:
    return str(widget.render())


def chain_labels(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT chain_id, label FROM chain_labels WHERE superseded_at IS NULL ORDER BY id").fetchall()


def step_label_count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT count(*) FROM step_labels").fetchone()[0])


def test_a_chain_of_20000_lines_shows_at_once_and_q_quits_while_it_loads(db_path: Path) -> None:
    app = make_app(db_path, "alice")
    seen: dict[str, Any] = {}

    async def script(pilot: Any) -> None:
        app.simulate_key("enter")
        seen["shown"] = await until(
            lambda: isinstance(app.screen, ChainScreen) and bool(app.screen.query_one(ChainText)._rows)
        )
        screen = screen_of(app)
        assert screen.head is not None and screen.head.chain_id == LONG
        seen["loading"] = screen.result is None
        assert LONG in text(screen.query_one("#chain-header", Static))
        assert screen.query_one(ChainText).step_count == LINES
        seen["q_at"] = time.perf_counter()
        app.simulate_key("q")
        seen["quit"] = await until(lambda: app.return_code is not None)

    drive(app, script)
    over = time.perf_counter() - seen["q_at"]  # the app is gone and its loading thread stopped too
    assert seen["loading"], "the first frame came only once the whole chain was loaded"
    assert seen["shown"] < 2.0
    assert seen["quit"] < 2.0
    assert over < 3.0
    assert app.return_code == 0


def test_a_label_pressed_while_the_chain_loads_is_saved_on_that_chain(
    db_path: Path, gate: Gate
) -> None:
    app = make_app(db_path, "alice")  # moves on to the next unlabelled chain after a chain label

    async def script(pilot: Any) -> None:
        await pilot.press("enter")
        screen = screen_of(app)
        assert screen.head is not None and screen.head.chain_id == LONG and screen.result is None
        assert screen.head.answer_correct is False
        assert "Loading the checks of 20,000 steps" in "".join(
            strip.text for strip in screen.query_one(VerificationPanel)._lines
        )
        await pilot.press("g")  # a step rating records the machine's errors: it waits for them
        assert "still loading" in text(screen.query_one("#status"))
        await pilot.press("1")  # valid on a wrong answer: asks first, from the header's answer
        assert "Sure?" in text(screen.query_one("#status"))
        await pilot.press("5")
        assert f"saved 1: chain label wrong reasoning on {LONG}" in text(screen.query_one("#status"))
        assert screen.head.chain_id == SHORT  # moved on, and the long chain's load was dropped
        gate.set()
        await settle(pilot)
        assert screen.head.chain_id == SHORT and screen.result is not None
        assert screen.result.chain.chain_id == SHORT
        await pilot.press("q")

    drive(app, script)
    assert app.return_code == 0
    assert chain_labels(db_path) == [(LONG, "wrong_reasoning")]
    assert step_label_count(db_path) == 0


def test_the_checks_fill_in_where_the_annotator_stands_and_esc_goes_back_at_once(
    db_path: Path, gate: Gate
) -> None:
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await pilot.press("enter")
        screen = screen_of(app)
        cot = screen.query_one(ChainText)
        assert cot.partial and not cot._marks
        await pilot.press("j", "j", "j")  # moving through the first steps works while it loads
        assert cot.selected == 3
        gate.set()
        await settle(pilot)
        assert screen.result is not None and not cot.partial
        assert cot.selected == 3  # the selection stays where it was
        assert cot._marks  # the highlights are in
        assert len(cot._first_line) == LINES
        panel = "".join(strip.text for strip in screen.query_one(VerificationPanel)._lines)
        assert "Step 4 of 20000" in panel
        assert "1-6 label the chain" in text(screen.query_one("#status"))
        await pilot.press("g")  # now the step keys work
        assert "saved 1: " in text(screen.query_one("#status"))
        await pilot.press("end")
        assert cot.selected == LINES - 1

        gate.clear()  # Esc while a chain loads: back at once, and the load is dropped
        await pilot.press("escape", "down", "enter")
        assert screen.head is not None and screen.head.chain_id == SHORT and screen.result is not None
        await pilot.press("escape", "up", "enter")
        assert screen.head.chain_id == LONG and screen.result is None
        started = time.perf_counter()
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        assert time.perf_counter() - started < 2.0
        gate.set()
        await settle(pilot)
        await pilot.press("q")

    drive(app, script)
    assert app.return_code == 0
    assert step_label_count(db_path) == 1


def test_latex_as_text_toggled_while_it_loads_loads_as_shown(db_path: Path, gate: Gate) -> None:
    app = make_app(db_path, "alice")

    async def script(pilot: Any) -> None:
        await pilot.press("enter", "t")
        screen = screen_of(app)
        cot = screen.query_one(ChainText)
        assert screen.result is None and cot.readable and cot._prep.as_text
        gate.set()
        await settle(pilot)
        assert screen.result is not None and not cot.partial
        assert cot._prep.as_text and cot._marks and len(cot._first_line) == LINES
        assert gate.calls[-1][2] is True  # loaded again as shown, by a worker (not on the UI thread)
        await pilot.press("q")

    drive(app, script)
    assert app.return_code == 0
