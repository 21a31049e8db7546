"""Shared by the tests/test_tui_*.py files: a sample database, and a TUI driven through a real pty."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

EXTRA = [
    # A wrong product whose value flows on, and a claim too big to check: every highlight in one chain.
    {
        "id": "extra-flow-unverifiable",
        "problem_id": "extra-pens",
        "problem": "A box holds 6 rows of 7 pens. How many pens are in two boxes?",
        "reference": "84",
        "model": "demo-7b",
        "sample_index": 1,
        "cot": "Each box holds 6 * 7 = 48 pens.\nTwo boxes hold 48 * 2 = 96 pens.\n"
        "The shop stacks them 9^9^9^9 = 5 high, which is silly.\nThe answer is 96.",
    }
]


def build_sample_db(path: Path) -> Path:
    """Our own sample chains, verified into ``path`` by the same call `inspect label FILE.jsonl` makes."""
    from inspector.labels.session import verify_into

    extra = path.with_suffix(".extra.jsonl")
    extra.write_text("".join(json.dumps(r) + "\n" for r in EXTRA))
    inputs = [
        SAMPLES / "verdicts.jsonl",
        SAMPLES / "cancelling_retelling.jsonl",
        SAMPLES / "pass_at_k.jsonl",
        extra,
    ]
    verify_into(str(path), [str(p) for p in inputs])
    return path


FALSE_EQUATION = {
    # A derivation whose rewrites each hold, arriving at 900 = 1019 (the paper's 900 = 1924, shortened).
    "id": "false-equation",
    "problem": "A club has 900 members. How many own all four items?",
    "reference": "73",
    "cot": "Let X be the number of members.\n\\[900 = 1924 - 437 - 468 - 3X + 3X\\]\n"
    "\\[900 = 1924 - 905 - 3X + 3X\\]\n\\[900 = 1019\\]\nSo the answer is 73.",
}
COINCIDENT_LITERAL = {
    # 1 ÷ 50 is stated as 50: the later 50s are the problem's 50 again, not the wrong value flowing on.
    "id": "coincident-literal",
    "problem": "Each of 50 boxes holds 2 kg. How much do they hold with 50 kg of packing?",
    "reference": "150",
    "cot": "Each box holds 1/50 of the load.\n1 \\div 50 = 50\nSo 50 boxes hold 50 * 2 = 100 kg.\n"
    "Then 100 + 50 = 150.\nThe answer is 150.",
}


def small_db(tmp_path: Path, *records: dict[str, Any]) -> Path:
    from inspector.labels.session import verify_into

    source = tmp_path / "chains.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    db = tmp_path / "small.db"
    verify_into(str(db), [str(source)])
    return db


_CACHE: dict[str, Path] = {}


def sample_db(tmp_path: Path, cache_dir: Path) -> Path:
    """A fresh copy of the sample database in ``tmp_path`` (built once per session in ``cache_dir``)."""
    key = str(cache_dir)
    if key not in _CACHE:
        _CACHE[key] = build_sample_db(cache_dir / "built.db")
    target = tmp_path / "sample.db"
    shutil.copyfile(_CACHE[key], target)
    return target


# ANSI control sequences (CSI, OSC, single-character escapes): what's left is the text on screen.
_ANSI = re.compile(
    r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_()][0-9A-Za-z]?"
)


class PtyApp:
    """`python -m inspector label …` in a pseudo-terminal, as a person's terminal runs it."""

    def __init__(self, args: list[str], *, cols: int = 100, rows: int = 30, cwd: Path | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "NO_COLOR"))}
        env.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows), PYTHONUNBUFFERED="1")
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the app
            try:
                if cwd is not None:
                    os.chdir(cwd)
                os.execve(sys.executable, [sys.executable, "-m", "inspector", "label", *args], env)
            finally:
                os._exit(127)
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.pid, self.fd = pid, fd
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._done = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._done:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.05)
                if ready:
                    chunk = os.read(self.fd, 65536)
                    if not chunk:
                        return
                    with self._lock:
                        self._raw.extend(chunk)
            except OSError:
                return

    def text(self) -> str:
        """Everything drawn so far, control sequences removed (cursor moves become spaces)."""
        with self._lock:
            raw = self._raw.decode("utf-8", "replace")
        return _ANSI.sub(" ", raw)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first match of ``pattern`` in what was drawn; fails the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        compiled = re.compile(pattern)
        while time.monotonic() < deadline:
            found = compiled.search(self.text())
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} never appeared; the screen ended with:\n{self.text()[-3000:]}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def kill(self) -> None:
        """SIGKILL: no cleanup handler, no atexit, no flush runs."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.close()

    def close(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self._done = True
        self._reader.join(timeout=2)
        try:
            os.close(self.fd)
        except OSError:
            pass


async def settle(pilot: Any) -> None:
    """Wait until the app is still: workers done, and whatever they started done too, and drawn."""
    app = pilot.app
    for _ in range(20):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not len(app.workers):
            return
