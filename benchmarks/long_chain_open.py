"""Benchmark: how long the labelling TUI takes to open a chain of 2,000 / 5,000 / 20,000 lines, and to quit.

A long chain opens in two parts (``inspector/tui/chain_load.py``): the first frame draws its header, problem
and the steps on screen from a few small reads, and a worker thread loads the rest (the whole result, its
highlights, the layout of every row), which then fill in. Measured in process with Textual's pilot
(100×30), from the Enter that opens the chain:

- ``first``: to the first frame that draws the chain's text;
- ``full``: to the first frame that draws it highlighted (the result loaded, the panel filled in);
- ``q``: from a ``q`` pressed once it is loaded until the app has quit;
- ``q loading``: from a ``q`` pressed at the first frame, while it loads, until the app has quit, and
  until the run is over (``asyncio.run`` returns: the worker thread has stopped too).

Each size is opened twice (once quitting when loaded, once quitting at the first frame), after one
opening of the smallest that is not counted (the first opening in a process imports and compiles more).
``--whole`` opens every chain whole, on the UI thread, as before the two-part opening: the baseline.

    python benchmarks/long_chain_open.py [--lines 2000 5000 20000] [--whole]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMEOUT_S = 30.0


def chain_db(directory: Path, lines: int) -> Path:
    from inspector.labels.session import verify_into

    src = directory / f"long{lines}.jsonl"
    cot = "\n".join(f"Step {i}: we add {i} + {i} = {2 * i} apples to the pile of the day." for i in range(lines))
    src.write_text(json.dumps({"id": f"long-{lines}", "cot": cot, "reference": "5"}) + "\n")
    db = directory / f"long{lines}.db"
    verify_into(str(db), [str(src)])
    return db


class Frames:
    """When the chain text was first drawn, and first drawn with the whole chain loaded."""

    def __init__(self) -> None:
        from inspector.tui.widgets.chain_text import ChainText

        self.first: float | None = None
        self.full: float | None = None
        original = ChainText.render_lines
        frames = self

        def render_lines(text: ChainText, crop: Any) -> Any:
            lines = original(text, crop)
            if text._rows:
                now = time.perf_counter()
                frames.first = frames.first or now
                if text.result is not None:
                    frames.full = frames.full or now
            return lines

        ChainText.render_lines = render_lines  # type: ignore[method-assign]

    def reset(self) -> None:
        self.first = self.full = None

    async def until(self, what: str) -> float:
        deadline = time.perf_counter() + TIMEOUT_S
        while getattr(self, what) is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no {what} frame within {TIMEOUT_S} s")
            await asyncio.sleep(0.001)
        value = getattr(self, what)
        assert value is not None
        return float(value)


async def _until_quit(app: Any) -> float:
    deadline = time.perf_counter() + TIMEOUT_S
    while app.return_code is None:
        if time.perf_counter() > deadline:
            raise TimeoutError("q did not quit")
        await asyncio.sleep(0.001)
    return time.perf_counter()


def open_chain(db: Path, frames: Frames, quit_while_loading: bool) -> dict[str, float]:
    """Open the chain with Enter; quit with q once it is loaded, or at its first frame."""
    from inspector.tui import make_app

    app = make_app(db, "bench")
    out: dict[str, float] = {}

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            frames.reset()
            start = time.perf_counter()
            app.simulate_key("enter")
            first = await frames.until("first")
            out["first"] = first - start
            if quit_while_loading:
                out["loaded_at_q"] = float(frames.full is not None)
                app.simulate_key("q")
                out["q"] = await _until_quit(app) - first
                out["_q_at"] = first
                return
            out["full"] = await frames.until("full") - start
            await pilot.pause()
            q_at = time.perf_counter()
            app.simulate_key("q")
            out["q"] = await _until_quit(app) - q_at

    asyncio.run(run())
    if quit_while_loading:
        out["q_done"] = time.perf_counter() - out.pop("_q_at")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[2000, 5000, 20000])
    parser.add_argument("--whole", action="store_true", help="open every chain whole (the baseline)")
    args = parser.parse_args()
    if args.whole:
        from inspector.tui import chain_load

        chain_load.LONG_STEPS = chain_load.LONG_CHARS = sys.maxsize
    frames = Frames()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {n: chain_db(Path(tmp), n) for n in args.lines}
        open_chain(dbs[min(args.lines)], frames, quit_while_loading=False)  # warm-up, not counted
        for n in args.lines:
            db = dbs[n]
            loaded = open_chain(db, frames, quit_while_loading=False)
            loading = open_chain(db, frames, quit_while_loading=True)
            results[n] = {
                "first_s": round(loaded["first"], 3),
                "full_s": round(loaded["full"], 3),
                "quit_s": round(loaded["q"], 3),
                "quit_loading_s": round(loading["q"], 3),
                "quit_loading_done_s": round(loading["q_done"], 3),
            }
            print(
                f"{n:>6} lines: first frame {loaded['first'] * 1000:5.0f} ms, loaded {loaded['full'] * 1000:5.0f} ms,"
                f" q quits in {loaded['q'] * 1000:4.0f} ms; q while loading quits in {loading['q'] * 1000:4.0f} ms"
                f" (run over in {loading['q_done'] * 1000:4.0f} ms)",
                flush=True,
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
