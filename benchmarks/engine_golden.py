"""A safety net for speed work on the engine: every chain's full record, written once and compared after.

Speed changes must not change any result; this runs ``verify_chain`` over the Spurious Rewards set, the
other real model outputs in ``../shared/data`` and the GSM8K test set, and writes one ``to_json()`` line per
chain (sorted keys), so two runs diff line by line.

    python benchmarks/engine_golden.py OUT.jsonl [--sr-only|--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from real_sources import SHARED, all_sources, available  # noqa: E402

from inspector import ChainInput, verify_chain  # noqa: E402
from inspector.formats.load import iter_jsonl_lines  # noqa: E402


def chains(sr_only: bool = False) -> Iterator[ChainInput]:
    for name, source in all_sources().items():
        if sr_only and not name.startswith("sr-"):
            continue
        for c in source:
            yield ChainInput(c.chain_id, c.text, reference=c.reference)
    if sr_only:
        return
    gsm8k = SHARED / "gsm8k" / "test.jsonl"
    if gsm8k.exists():
        lines = [line for line in gsm8k.read_bytes().splitlines() if line.strip()]
        yield from iter_jsonl_lines(lines, str(gsm8k))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--sr-only", action="store_true")
    args = ap.parse_args()
    if not available():
        sys.exit("../shared/data is absent")
    with open(args.out, "w", encoding="utf-8") as fh:
        for chain in chains(args.sr_only):
            fh.write(json.dumps(verify_chain(chain).to_json(), sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
