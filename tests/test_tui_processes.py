"""`inspect label` as real processes in real (pseudo-)terminals: SIGKILL loses nothing shown as saved,
and two annotators on one database at once neither block nor overwrite each other."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
from _tui_support import PtyApp, sample_db

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


@pytest.fixture
def db_path(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_db(tmp_path, tmp_path_factory.getbasetemp())


def rows(db_path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as con:
        return con.execute(sql, params).fetchall()


def saved_count(app: PtyApp) -> int:
    import re

    found = re.findall(r"saved (\d+):", app.text())
    return max(map(int, found)) if found else 0


def test_sigkill_loses_nothing_shown_as_saved(db_path: Path) -> None:
    app = PtyApp([str(db_path), "--annotator", "kim"])
    try:
        app.wait_for(r"56 chains")
        app.send(" ")  # the first unlabelled chain: lucky-gsm-tomatoes (4 steps)
        app.wait_for(r"lucky-gsm-tomatoes")
        for n, key in enumerate("gnb", 1):  # rate steps 1-3, one save at a time, moving on with j
            app.send(key)
            app.wait_for(rf"saved {n}:")
            app.send("j")
        app.send("f")  # step 4 is the first error
        app.wait_for(r"saved 4:")
        app.send("3")  # lucky guess: saved, and the next unlabelled chain opens
        app.wait_for(r"saved 5:")
        app.wait_for(r"lucky-math-rectangle")
        # Now keys faster than anyone types, and the kill lands in the middle of them.
        app.send("gjg1gjb2")
        time.sleep(0.15)
        shown = saved_count(app)
    finally:
        app.kill()
    assert shown >= 5
    assert rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    current = "annotator = 'kim' AND superseded_at IS NULL"
    steps = rows(
        db_path, f"SELECT chain_id, step, rating, first_error FROM step_labels WHERE {current} ORDER BY id"
    )
    chains = rows(db_path, f"SELECT chain_id, label FROM chain_labels WHERE {current} ORDER BY id")
    assert steps[:4] == [
        ("lucky-gsm-tomatoes", 0, 1, 0),
        ("lucky-gsm-tomatoes", 1, 0, 0),
        ("lucky-gsm-tomatoes", 2, -1, 0),
        ("lucky-gsm-tomatoes", 3, -1, 1),
    ]
    assert chains[0] == ("lucky-gsm-tomatoes", "lucky_guess")
    # Every save the screen showed is in the database (the ones after it may be too: they were committed
    # before the screen could say so).
    written = rows(db_path, "SELECT count(*) FROM step_labels WHERE annotator = 'kim'")[0][0]
    written += rows(db_path, "SELECT count(*) FROM chain_labels WHERE annotator = 'kim'")[0][0]
    assert written >= shown


FIRST_THREE = ["lucky-gsm-tomatoes", "lucky-math-rectangle", "cancel-gsm-side-remark"]
"""The first chains of the queue (suspicious first), each with at least four steps."""


def test_two_annotators_at_once(db_path: Path) -> None:
    """Two terminals label the same chains at the same moments; each keeps exactly its own labels."""
    plans = {"ann": "gnbg1", "bob": "bbgn5"}
    apps = {name: PtyApp([str(db_path), "--annotator", name]) for name in plans}
    errors: list[BaseException] = []

    def label(name: str) -> None:
        try:
            app = apps[name]
            app.wait_for(r"56 chains")
            app.send(" ")  # the first unlabelled chain; each chain label then opens the next one
            app.wait_for(r"lucky-gsm-tomatoes")
            for n, key in enumerate(plans[name] * 3, 1):
                started = time.monotonic()
                app.send(key)
                app.wait_for(rf"saved {n}:", timeout=10)
                if key in "gnb":
                    app.send("j")  # a step key stays on its step: move on to the next
                assert time.monotonic() - started < 5, "a save waited on the other annotator"
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=label, args=(name,)) for name in plans]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
    finally:
        for app in apps.values():
            app.kill()
    if errors:
        raise errors[0]
    ratings = {"g": 1, "n": 0, "b": -1}
    labels = {"1": "valid", "5": "wrong_reasoning"}
    for name, plan in plans.items():
        chains = rows(db_path, "SELECT chain_id, label FROM chain_labels WHERE annotator = ? "
                      "AND superseded_at IS NULL ORDER BY id", name)  # fmt: skip
        assert chains == [(chain, labels[plan[-1]]) for chain in FIRST_THREE], name
        for chain, _ in chains:
            steps = rows(db_path, "SELECT step, rating FROM step_labels WHERE annotator = ? AND chain_id = ? "
                         "AND superseded_at IS NULL ORDER BY step", name, chain)  # fmt: skip
            assert steps == [(i, ratings[k]) for i, k in enumerate(plan[:-1])], (name, chain)
    assert rows(db_path, "SELECT count(*) FROM chain_labels WHERE superseded_at IS NOT NULL") == [(0,)]
