"""Benchmark: the reward function's time per completion, on GSM8K-length and AIME-length real model outputs.

What an RL run pays per rollout for `inspector.rewards`: `compute_score` (verl's form, one completion a call)
and the TRL reward function (a batch of 16 a call, as ``GRPOTrainer`` calls it), in one process. The inputs are
real generations: Abel-7B on GSM8K (about 1,000 characters) and Qwen2.5-Math-1.5B on AIME 2024/2025, base and
after 1,000 GRPO steps (about 3,000), from ../shared/data/model-outputs; where that folder is absent, our own
samples/ chains stand in (and the figures say so). Every chain is scored once, so no comparison is served from
the answer cache; the math-verify helper process is started before the clock runs, and its start is reported
on its own (once per process, on the first answer our own parser cannot decide).

    python benchmarks/reward_speed.py                 # every chain of each set
    python benchmarks/reward_speed.py --limit 200     # a quicker run

Prints a table, then one JSON line (for the notes). CPU time is reported beside wall time because the machine
is shared: the CPU figure is the steadier one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.engine.answer import _answers_match
from inspector.engine.equivalence import math_verify_equal
from inspector.engine.model import ChainInput
from inspector.formats.load import read_chains
from inspector.rewards import compute_score, make_reward_func

OUTPUTS = ROOT.parent / "shared" / "data" / "model-outputs"
SETS = {
    "gsm8k": [OUTPUTS / "abel-gsm8k" / "7b.jsonl"],
    "aime": [OUTPUTS / "spurious-rewards-qwen2.5-math-1.5b" / folder / f"{prefix}_AIME-{year}.json.gz"
             for folder, prefix in (("base", "Qwen2.5-Math-1.5B"), ("step1000", "export-for-eval-step1000"))
             for year in ("2024", "2025")],
}
FALLBACK = {"gsm8k": [ROOT / "samples" / "gsm8k_format.jsonl", ROOT / "samples" / "verdicts.jsonl"],
            "aime": [ROOT / "samples" / "cancelling_retelling.jsonl", ROOT / "samples" / "pass_at_k.jsonl"]}
BATCH = 16
BOUNDS = {
    "20,000 lines of arithmetic (the line bound)": ("3 + 4 = 7\n" * 20_000 + "The answer is 7.", "7"),
    "20,000 wrong lines": ("3 + 4 = 8\n" * 20_000 + "The answer is 8.", "7"),
    "one line of 1 MB": ("1 + 1 = 2 " * 100_000, "2"),
}
"""Completions at the engine's bounds (``max_chain_lines``, ``max_line_chars``): the most one call can take."""


def chains_of(name: str, limit: int | None) -> tuple[list[ChainInput], str]:
    paths = SETS[name]
    source = "shared data"
    if not all(p.exists() for p in paths):
        paths, source = FALLBACK[name], "samples/ (shared data absent)"
        print(f"note: {SETS[name][0].parent} absent; using {', '.join(p.name for p in paths)}", file=sys.stderr)
    chains = [c for p in paths for c in read_chains(p) if c.reference is not None]
    return (chains[:limit] if limit else chains), source


def per_call(chains: list[ChainInput]) -> tuple[list[float], float, Counter[str]]:
    """`compute_score` one completion a call: wall seconds of each call, total CPU seconds, verdicts."""
    times: list[float] = []
    verdicts: Counter[str] = Counter()
    cpu = time.process_time()
    for c in chains:
        t = time.perf_counter()
        out = compute_score("bench", c.cot, c.reference, {"question": c.problem})
        times.append(time.perf_counter() - t)
        verdicts[str(out["verdict"])] += 1
    return times, time.process_time() - cpu, verdicts


def batched(chains: list[ChainInput]) -> tuple[float, float]:
    """The TRL reward function, a batch of 16 a call: wall and CPU seconds for all."""
    reward = make_reward_func()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(chains), BATCH):
        part = chains[i : i + BATCH]
        reward(completions=[c.cot for c in part], prompts=[c.problem or "" for c in part],
               reference=[c.reference for c in part])
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="at most this many chains of each set")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    math_verify_equal("x^2", "x \\cdot x", 5.0)  # start the helper process before the clock runs
    helper_start = time.perf_counter() - t

    results = {}
    for name in SETS:
        chains, source = chains_of(name, args.limit)
        _answers_match.cache_clear()
        times, cpu, verdicts = per_call(chains)
        _answers_match.cache_clear()
        batch_wall, batch_cpu = batched(chains)
        n = len(chains)
        ordered = sorted(times)
        results[name] = {
            "source": source,
            "completions": n,
            "mean_chars": round(statistics.fmean(len(c.cot) for c in chains)),
            "ms_mean_wall": 1000 * statistics.fmean(times),
            "ms_median_wall": 1000 * statistics.median(times),
            "ms_p99_wall": 1000 * ordered[min(n - 1, int(0.99 * n))],
            "ms_max_wall": 1000 * ordered[-1],
            "ms_mean_cpu": 1000 * cpu / n,
            "ms_batched_wall": 1000 * batch_wall / n,
            "ms_batched_cpu": 1000 * batch_cpu / n,
            "verdicts": dict(verdicts.most_common()),
        }

    bounds = {}
    for label, (text, reference) in BOUNDS.items():
        t = time.perf_counter()
        compute_score("bench", text, reference)
        bounds[label] = time.perf_counter() - t

    print(f"math-verify helper start (once per process): {helper_start * 1000:.0f} ms")
    print(f"{'set':<6} {'n':>5} {'chars':>6} {'mean':>8} {'median':>8} {'p99':>8} {'max':>8} {'cpu':>8} "
          f"{'TRL x16':>8}  (ms per completion)")
    for name, r in results.items():
        print(f"{name:<6} {r['completions']:>5} {r['mean_chars']:>6} {r['ms_mean_wall']:>8.2f} "
              f"{r['ms_median_wall']:>8.2f} {r['ms_p99_wall']:>8.2f} {r['ms_max_wall']:>8.1f} "
              f"{r['ms_mean_cpu']:>8.2f} {r['ms_batched_wall']:>8.2f}")
    for label, seconds in bounds.items():
        print(f"at the bounds: {label}: {seconds:.2f} s")
    print(json.dumps({"helper_start_ms": helper_start * 1000, "results": results, "bounds_s": bounds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
