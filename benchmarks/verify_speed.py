"""Benchmark `inspect verify` on GSM8K-style chains: chains per second, with and without the database,
with two worker processes, against a baseline that parses every claim with sympy, and peak memory.

The input is the GSM8K test set (../shared/data/gsm8k/test.jsonl) repeated to N chains, streamed line
by line (never held in memory); each repetition gets its own ids so the database sees new chains.

    python benchmarks/verify_speed.py                      # 1,000,000 chains engine-only, 200,000 for the rest
    python benchmarks/verify_speed.py --chains 100000 --other-chains 20000   # a quicker run

Numbers are printed as a table and as one JSON line at the end (for the notes). CPU time is reported
beside wall time because the machine is shared: chains/s (cpu) is the steadier figure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector import store
from inspector.engine.rules import default_rules
from inspector.formats.load import iter_jsonl_lines
from inspector.scale import workers as batch

GSM8K = ROOT.parent / "shared" / "data" / "gsm8k" / "test.jsonl"


def source_lines() -> list[bytes]:
    if GSM8K.exists():
        return [line for line in GSM8K.read_bytes().splitlines() if line.strip()]
    fallback = ROOT / "samples" / "gsm8k_format.jsonl"
    print(f"note: {GSM8K} absent; repeating {fallback}", file=sys.stderr)
    return [line for line in fallback.read_bytes().splitlines() if line.strip()]


def repeated(lines: list[bytes], n: int) -> Iterator[bytes]:
    """N JSONL lines: the set over and over, each copy with its own ids (streamed)."""
    for i, line in enumerate(itertools.islice(itertools.cycle(lines), n)):
        yield b'{"id": "r%d",' % i + line.lstrip()[1:]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, n: int, run) -> dict[str, float]:  # type: ignore[no-untyped-def]
    checkpoints: list[float] = []

    def counted(results):  # type: ignore[no-untyped-def]
        for i, r in enumerate(results, 1):
            if i in (n // 10, n):
                checkpoints.append(rss_mib())
            yield r

    w0, c0 = time.perf_counter(), time.process_time()
    done = run(counted)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    out = {
        "chains": done,
        "chains_per_s_wall": done / wall,
        "chains_per_s_cpu": done / cpu if cpu else 0.0,
        "rss_mib_at_10pct": checkpoints[0] if checkpoints else 0.0,
        "rss_mib_at_end": checkpoints[-1] if checkpoints else 0.0,
    }
    print(f"{label:<34} {done:>9,} chains  {out['chains_per_s_wall']:>8,.0f}/s wall  "
          f"{out['chains_per_s_cpu']:>8,.0f}/s cpu  rss {out['rss_mib_at_10pct']:.0f} -> {out['rss_mib_at_end']:.0f} MiB",
          flush=True)
    return out


def works(lines: list[bytes], n: int) -> Iterator[batch.Work]:
    """The stream in the chunks `inspect verify` hands to workers: numbered raw lines."""
    numbered = enumerate(repeated(lines, n), 1)
    while chunk := list(itertools.islice(numbered, batch.CHUNK)):
        yield ("bench.jsonl", chunk)


def engine_only(lines: list[bytes], n: int, workers: int = 1):  # type: ignore[no-untyped-def]
    """What `inspect verify --no-db` does: parse, verify, summarise (no output written)."""
    job = batch.Job(default_rules(), want_json=False, want_rows=False)

    def run(counted):  # type: ignore[no-untyped-def]
        return sum(1 for _ in counted(batch.run(works(lines, n), job, workers=workers)))

    return run


def with_db(lines: list[bytes], n: int, db_path: Path):  # type: ignore[no-untyped-def]
    """What `inspect verify --db FILE` does: the same, plus every row written to SQLite."""
    job = batch.Job(default_rules(), want_json=False, want_rows=True)

    def run(counted):  # type: ignore[no-untyped-def]
        db = store.open_db(db_path)
        run_id = store.start_run(db, rules_name="default", rules_hash="", source="bench", argv=[])
        outcomes = counted(batch.run(works(lines, n), job))
        return store.write_rows(db, run_id, (o.rows for o in outcomes))

    return run


_ANNOTATION = re.compile(r"<<([^<>\n]*)=([^<>\n=]*)>>")
_INLINE = re.compile(r"(\d[\d.]*(?:\s*[-+*/x]\s*\d[\d.]*)+)\s*=\s*\$?(\d[\d.]*)")


def sympy_baseline(lines: list[bytes], n: int):  # type: ignore[no-untyped-def]
    """The naive way: hand every claim's sides to sympy's parser and compare them.

    Only here, on trusted public benchmark data, to measure what our own parser saves; the tool
    itself never passes text to sympy's parser (it calls eval).
    """
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    def run(counted):  # type: ignore[no-untyped-def]
        def results():  # type: ignore[no-untyped-def]
            for chain in iter_jsonl_lines(repeated(lines, n)):
                wrong = 0
                claims = [(a, b) for a, b in _ANNOTATION.findall(chain.cot)]
                claims += [(a.replace("x", "*"), b) for a, b in _INLINE.findall(chain.cot)]
                for lhs, rhs in claims:
                    try:
                        left = parse_expr(lhs, evaluate=True)
                        right = parse_expr(rhs, evaluate=True)
                        wrong += sympy.nsimplify(left - right) != 0
                    except Exception:  # noqa: BLE001 - a baseline: count what it can't parse as unchecked
                        pass
                yield wrong

        count = 0
        for _ in counted(results()):
            count += 1
        return count

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chains", type=int, default=1_000_000, help="chains for the engine-only run")
    ap.add_argument("--other-chains", type=int, default=200_000, help="chains for the db and workers runs")
    ap.add_argument("--baseline-chains", type=int, default=5_000, help="chains for the sympy baseline")
    args = ap.parse_args()
    lines = source_lines()
    results = {}
    results["engine_1_core"] = measure("engine, 1 process, no db", args.chains, engine_only(lines, args.chains))
    with tempfile.TemporaryDirectory() as tmp:
        results["engine_db"] = measure("engine + sqlite db", args.other_chains,
                                       with_db(lines, args.other_chains, Path(tmp) / "bench.db"))
    results["engine_1_core_same_n"] = measure("engine, 1 process (same n)", args.other_chains,
                                              engine_only(lines, args.other_chains))
    results["engine_2_workers"] = measure("engine, --workers 2", args.other_chains,
                                          engine_only(lines, args.other_chains, workers=2))
    results["sympy_baseline"] = measure("baseline: sympy parse of each claim", args.baseline_chains,
                                        sympy_baseline(lines, args.baseline_chains))
    one = results["engine_1_core"]["chains_per_s_cpu"]
    summary = {
        "ratio_vs_sympy_baseline_cpu": one / results["sympy_baseline"]["chains_per_s_cpu"],
        "workers_2_speedup_wall": results["engine_2_workers"]["chains_per_s_wall"]
        / results["engine_1_core_same_n"]["chains_per_s_wall"],
        "db_over_engine_cpu": results["engine_db"]["chains_per_s_cpu"] / one,
    }
    print(f"speed-up over the sympy baseline: {summary['ratio_vs_sympy_baseline_cpu']:.1f}x (cpu)")
    print(f"--workers 2 over 1 process: {summary['workers_2_speedup_wall']:.2f}x (wall)")
    print(json.dumps({"results": results, "summary": summary}))


if __name__ == "__main__":
    main()
