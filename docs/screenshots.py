"""Make the README's screenshots of `inspect label` (docs/label-*.svg) from our own sample chains.

    python docs/screenshots.py

Each is the app driven by a key script, as the snapshot tests do, and saved as Textual's SVG.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.labels.session import verify_into
from inspector.tui import make_app

SHOTS = {
    # file: (size, theme, keys)
    "label-queue.svg": ((110, 26), "light", ["space", "3", "a", "escape", "down", "down"]),
    "label-chain.svg": (
        (120, 30),
        "dark",
        ["slash", *"club-four", "enter", "PAUSE", "enter", "g", "g", "n", "n", "g", "f", "t"],
    ),
}


async def shoot(db: Path, out: Path, size: tuple[int, int], theme: str, keys: list[str]) -> None:
    app = make_app(db, "alice", theme=theme)
    async with app.run_test(size=size) as pilot:

        async def settle() -> None:  # until workers, and what they started, are done and drawn
            for _ in range(20):
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
                if not len(app.workers):
                    return

        await settle()
        for key in keys:
            if key == "PAUSE":
                await pilot.pause(0.4)
            else:
                await pilot.press(key)
            await settle()
        out.write_text(app.export_screenshot(title="inspect label"), encoding="utf-8")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "samples.db"
        samples = ROOT / "samples"
        verify_into(
            str(db),
            [str(samples / n) for n in ("verdicts.jsonl", "cancelling_retelling.jsonl", "pass_at_k.jsonl")],
        )
        for name, (size, theme, keys) in SHOTS.items():
            out = ROOT / "docs" / name
            asyncio.run(shoot(db, out, size, theme, keys))
            print(out)


if __name__ == "__main__":
    main()
