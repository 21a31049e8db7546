"""Benchmark: how long the labelling TUI takes to open a chain of 2,000 / 5,000 / 20,000 lines, and to quit.

The chain view lays out a chain by finding where its rows break and renders a row only when it is on
screen, so opening a long chain costs little more than reading it from the database. Measured in process
with Textual's pilot (100×30), from the Enter that opens the chain to the first frame of the chain screen.

    python benchmarks/long_chain_open.py [--lines 2000 5000 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def chain_db(directory: Path, lines: int) -> Path:
    from inspector.labels.session import verify_into

    src = directory / f"long{lines}.jsonl"
    cot = "\n".join(f"Step {i}: we add {i} + {i} = {2 * i} apples to the pile of the day." for i in range(lines))
    src.write_text(json.dumps({"id": f"long-{lines}", "cot": cot, "reference": "5"}) + "\n")
    db = directory / f"long{lines}.db"
    verify_into(str(db), [str(src)])
    return db


def open_and_quit(db: Path) -> tuple[float, float]:
    from inspector.tui import make_app
    from inspector.tui.screens.chain import ChainScreen

    app = make_app(db, "bench")
    times: list[float] = []

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press("enter")
            while not isinstance(app.screen, ChainScreen):
                await asyncio.sleep(0.002)
            await pilot.pause()
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            await pilot.press("q")
            times.append(time.perf_counter() - start)

    asyncio.run(run())
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[2000, 5000, 20000])
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.lines:
            opened, quit_ = open_and_quit(chain_db(Path(tmp), n))
            results[n] = {"open_s": round(opened, 3), "quit_s": round(quit_, 3)}
            print(f"{n:>6} lines: chain view opens in {opened * 1000:6.0f} ms, q quits in {quit_ * 1000:4.0f} ms",
                  flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
