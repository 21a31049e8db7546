"""Benchmark `inspect sample` on the tiny model: batched against one-at-a-time generation.

Builds the tiny random Qwen2 of ``inspector.sampling.backends.tiny`` (hidden size 32, two layers) in a temporary
directory, loads it as a user's model is loaded, and draws the same samples (same prompts, same seeds,
so the same texts, float near-ties aside) with ``--batch-size 1`` and with larger batches: samples/s, tokens/s, and the
ratio to one-at-a-time. Random weights draw an end token now and then, so some samples stop early
(tokens are counted as generated). A last row runs the whole ``inspect sample`` path (verify
and store included) at the largest batch size.

    python benchmarks/sample_speed.py                     # 64 samples of 64 tokens, batches 1, 8, 32
    python benchmarks/sample_speed.py --samples 256 --batch-sizes 1,16,64,256 --threads 1

On a tiny model the time is per-step overhead (Python, the framework), which batching shares out;
on a real model and a GPU the ratio is set by memory bandwidth instead: the figure is the tool's
overhead, not a prediction for a 7B model. ``--threads`` (default 1) sets torch's CPU threads: on a
two-core machine shared with other work, two threads make small matrix products many times slower.
Numbers are printed as a table and as one JSON line at the end (for the notes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from inspector import store
from inspector.sampling.backends.hf import HFBackend
from inspector.sampling.backends.tiny import build_tiny_model
from inspector.sampling.sample import Problem, SamplingParams, load_template, plan_requests, run_sampling


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=64, help="samples per measurement (default 64)")
    parser.add_argument("--problems", type=int, default=4, help="problems they are spread over (default 4)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-sizes", default="1,8,32", help="comma-separated; 1 is the baseline")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs per batch size")
    args = parser.parse_args()
    sizes = sorted({int(x) for x in args.batch_sizes.split(",")} | {1})

    with tempfile.TemporaryDirectory() as tmp:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = build_tiny_model(Path(tmp) / "tiny")
        backend = HFBackend(str(path), threads=args.threads, batch_size=1)
        template = load_template("auto", has_chat_template=backend.has_chat_template)
        params = SamplingParams(max_new_tokens=args.max_new_tokens, seed=0)
        per = -(-args.samples // args.problems)
        problems = [Problem(f"q{i}", f"Natalia sold {48 + i} clips in April and half as many in May. How many?", "72")
                    for i in range(args.problems)]
        requests = plan_requests(problems, per, lambda p: backend.prompt(template, p), model="tiny", params_hash="bench",
                                 seed=0, done={})[: args.samples]
        backend.batch_size = max(sizes)
        list(backend.generate(requests[: max(sizes)], params))  # warm-up: first calls allocate
        rows = []
        texts: dict[int, list[str]] = {}
        for size in sizes:
            backend.batch_size = size
            best = None
            for _ in range(args.repeat):
                started = time.perf_counter()
                done = [c for group in backend.generate(requests, params) for c in group]
                seconds = time.perf_counter() - started
                if best is None or seconds < best[0]:
                    best = (seconds, done)
            assert best is not None
            seconds, done = best
            texts[size] = [c.text for c in done]
            tokens = sum(c.n_tokens or 0 for c in done)
            rows.append({"batch_size": size, "samples": len(done), "tokens": tokens, "seconds": round(seconds, 3),
                         "samples_per_s": round(len(done) / seconds, 1), "tokens_per_s": round(tokens / seconds)})
        base = rows[0]
        for row in rows:
            row["speedup"] = round(row["samples_per_s"] / base["samples_per_s"], 1)
        same = min(sum(a == b for a, b in zip(t, texts[1], strict=True)) for t in texts.values())

        db = store.open_db(None)
        backend.batch_size = max(sizes)
        started = time.perf_counter()
        summary = run_sampling(db, backend, problems, n=per, params=params, template=template)
        seconds = time.perf_counter() - started
        end_to_end = {"batch_size": max(sizes), "samples": summary.generated, "tokens": summary.tokens,
                      "seconds": round(seconds, 3), "samples_per_s": round(summary.generated / seconds, 1),
                      "tokens_per_s": round(summary.tokens / seconds)}

    print(f"tiny Qwen2 (hidden 32, 2 layers), {args.samples} samples x {args.max_new_tokens} new tokens, "
          f"torch threads {args.threads}, CPU")
    print(f"{'batch':>6} {'samples/s':>10} {'tokens/s':>10} {'seconds':>8} {'vs batch 1':>10}")
    for row in rows:
        print(f"{row['batch_size']:>6} {row['samples_per_s']:>10} {row['tokens_per_s']:>10} {row['seconds']:>8} "
              f"{row['speedup']:>9}x")
    print(f"samples whose text is the same at every batch size: {same} of {len(requests)} (a near-tie in the "
          "float arithmetic of another batch shape can flip a draw)")
    print(f"inspect sample end to end (verify and store too), batch {end_to_end['batch_size']}: "
          f"{end_to_end['samples_per_s']} samples/s, {end_to_end['tokens_per_s']} tokens/s")
    print(json.dumps({"generation": rows, "same_texts": same, "end_to_end": end_to_end}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
