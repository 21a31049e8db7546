"""SVG snapshots of the main screens at fixed sizes, each reached by a key script.

The screenshots are Textual's own (``App.export_screenshot``), compared with the SVGs committed under
``tests/snapshots/``. After an intended change of the screens, look at the new ones and accept them:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_tui_snapshots.py

(pytest-textual-snapshot does the same with an HTML diff report, but pins pytest below 9.)
Snapshots change with Textual itself, which is why it is pinned exactly.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from _tui_support import FALSE_EQUATION, sample_db, settle, small_db

from inspector.tui import make_app

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

OPEN_EXTRA = ["slash", *"extra-flow", "enter", "PAUSE", "enter"]
OPEN_CLUB = ["slash", *"club-four", "enter", "PAUSE", "enter"]

CASES = {
    # name: (size, theme, keys)
    "queue_80x24": ((80, 24), "dark", []),
    "queue_right_but_errors_120x32": ((120, 32), "dark", ["r", "down", "enter", "3", "escape"]),
    "chain_80x24": ((80, 24), "dark", [*OPEN_EXTRA, "f", "down", "n"]),
    "chain_question_80x24": ((80, 24), "dark", OPEN_CLUB),  # opens on the question, header by priority
    "chain_120x36_light": ((120, 36), "light", [*OPEN_CLUB, "w", "f", "t"]),
    "help_80x24": ((80, 24), "dark", ["question_mark"]),  # pages, and says so
    "help_100x30": ((100, 30), "dark", ["question_mark"]),
    "report_100x30": ((100, 30), "dark", ["R"]),
    "note_80x24": ((80, 24), "dark", [*OPEN_EXTRA, "e", *"wrong 48"]),  # docked under the chain, which stays
    # A wide terminal: the queue's wider columns, the chain beside room to spare, help and report unsqueezed.
    "queue_200x50": ((200, 50), "dark", []),
    "chain_200x50": ((200, 50), "dark", [*OPEN_EXTRA, "f", "down"]),
    "help_200x50": ((200, 50), "dark", ["question_mark"]),
    "report_200x50": ((200, 50), "dark", ["R"]),
}


@pytest.fixture
def db_path(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_db(tmp_path, tmp_path_factory.getbasetemp())


def screenshot(db_path: Path, size: tuple[int, int], theme: str, keys: list[str]) -> str:
    app = make_app(db_path, "alice", theme=theme)

    async def run() -> str:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for key in keys:
                if key == "PAUSE":
                    await pilot.pause(0.4)  # the search filters after a pause in typing
                else:
                    await pilot.press(key)
                await settle(pilot)
            return app.export_screenshot()

    return asyncio.run(run())


@pytest.mark.parametrize("name", sorted(CASES))
def test_snapshot(name: str, db_path: Path, tmp_path: Path) -> None:
    size, theme, keys = CASES[name]
    svg = screenshot(db_path, size, theme, keys)
    check(svg, name, tmp_path)


def check(svg: str, name: str, tmp_path: Path) -> None:
    expected = SNAPSHOTS / f"{name}.svg"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        expected.write_text(svg, encoding="utf-8")
        return
    if not expected.exists():
        pytest.fail(f"no snapshot {expected}; run with UPDATE_SNAPSHOTS=1 to create it")
    if svg != expected.read_text(encoding="utf-8"):
        got = tmp_path / f"{name}.svg"
        got.write_text(svg, encoding="utf-8")
        pytest.fail(f"{name} changed: compare {got} with {expected} (UPDATE_SNAPSHOTS=1 accepts it)")


def test_snapshot_false_equation_80x24(tmp_path: Path) -> None:
    """The paper's kind of false equation (900 = 1019) in red, never green, and the legend saying why."""
    svg = screenshot(small_db(tmp_path, FALSE_EQUATION), (80, 24), "dark", ["space", "down", "down", "down"])
    check(svg, "chain_false_equation_80x24", tmp_path)


def test_the_note_dialog_leaves_the_chain_in_sight(db_path: Path) -> None:
    """The note is written with the chain on screen: the dialog is docked at the foot, over the keys, and
    the chain view above it is drawn (dimmed), not blanked by the app's opaque screen background."""
    svg = screenshot(db_path, (80, 24), "dark", [*OPEN_EXTRA, "e"])
    assert "Note&#160;on&#160;extra-flow-unverifiable" in svg
    for text in ("Each&#160;box&#160;holds", "Two&#160;boxes&#160;hold", "Enter&#160;saves"):
        assert text in svg, text
