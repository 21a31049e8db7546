"""Which answer comparisons on the real data still reach math-verify, and what they cost.

Runs ``verify_chain`` over every chain ``engine_golden`` reads (the 17,887 real chains in ``../shared/data``
with GSM8K's test set) with a counter on math-verify's helper (``equivalence.math_verify_equal``) and a clock
on the answer comparison, and prints each pair that reached math-verify with its time and verdict, then the
chains over ``--slow`` ms and how much of that was the answer comparison.

    python benchmarks/math_verify_calls.py [--slow 50] [--sr-only]

Exits 1 when any pair reached math-verify: the goal is that the real data never needs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine_golden import chains  # noqa: E402
from real_sources import available  # noqa: E402

from inspector import verify_chain  # noqa: E402
from inspector.engine import equivalence, pipeline  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--slow", type=float, default=50.0, help="list chains slower than this many ms")
    ap.add_argument("--sr-only", action="store_true")
    args = ap.parse_args()
    if not available():
        sys.exit("../shared/data is absent")
    current = [""]
    calls: list[tuple[str, str, str, bool | None, float]] = []
    in_answers = [0.0]
    helper, compare = equivalence.math_verify_equal, pipeline.answers_match

    def counted(answer: str, reference: str, timeout: float = 1.0) -> bool | None:
        t = time.perf_counter()
        verdict = helper(answer, reference, timeout)
        calls.append((current[0], answer, reference, verdict, (time.perf_counter() - t) * 1000))
        return verdict

    def clocked(*a: object) -> bool | None:
        t = time.perf_counter()
        try:
            return compare(*a)  # type: ignore[arg-type]
        finally:
            in_answers[0] += time.perf_counter() - t

    equivalence.math_verify_equal = counted  # type: ignore[assignment]
    pipeline.answers_match = clocked  # type: ignore[assignment]
    slow, n = [], 0
    for chain in chains(args.sr_only):
        current[0], in_answers[0] = chain.chain_id, 0.0
        t = time.perf_counter()
        verify_chain(chain)
        ms = (time.perf_counter() - t) * 1000
        n += 1
        if ms > args.slow:
            slow.append((ms, chain.chain_id, in_answers[0] * 1000))
    print(f"{n} chains; {len(calls)} comparison(s) reached math-verify")
    for chain_id, answer, reference, verdict, ms in calls:
        print(f"  {chain_id}: {answer[:60]!r} against {reference[:40]!r}: {verdict} in {ms:.1f} ms")
    print(f"{len(slow)} chain(s) over {args.slow:g} ms (total; of it, answer comparison):")
    for ms, chain_id, answer_ms in sorted(slow, reverse=True):
        print(f"  {chain_id}: {ms:.1f} ms; {answer_ms:.2f} ms")
    sys.exit(1 if calls else 0)


if __name__ == "__main__":
    main()
