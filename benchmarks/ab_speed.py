"""This engine against the engine of another checkout, on the Spurious Rewards set, interleaved block by block.

The machine is shared: runs of a few seconds each, old then new, drift with whatever else runs (two such rounds
of the same engines have differed by a tenth). Here both engines stay loaded, each in its own process, and take
turns on the same blocks of chains (old, new; then new, old; …), so that a slow spell falls on both alike. The
ratio is the old engine's total time over this one's, over every chain of the set; each block's ratio is printed
too, and their spread.

    git worktree add ../old 57008f3
    python benchmarks/ab_speed.py ../old [--old-python] [--block 400] [--rounds 2]

``--old-python`` runs the other checkout's engine as Python (``INSPECTOR_NATIVE=0``; an engine from before
``inspect build-engine`` is Python anyway). This engine runs as whatever ``inspect build-engine --status`` says.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_CHILD = r"""
import gc, json, sys, time
sys.path.insert(0, {bench!r}); sys.path.insert(0, {root!r})
from real_sources import SR_CHECKPOINTS, spurious_rewards
from inspector import ChainInput, verify_chain
chains = [ChainInput(c.chain_id, c.text, reference=c.reference) for k in SR_CHECKPOINTS for c in spurious_rewards(k)]
for c in chains[:50]:
    verify_chain(c)  # (warm: imports made on first use, caches of compiled patterns)
print(len(chains), flush=True)
for line in sys.stdin:
    start, end = map(int, line.split())
    t = time.perf_counter()
    for c in chains[start:end]:
        verify_chain(c)
    print(time.perf_counter() - t, flush=True)
"""


class Engine:
    """One checkout's engine in a child process, verifying the blocks it is given."""

    def __init__(self, checkout: Path, python_only: bool) -> None:
        env = dict(os.environ)
        if python_only:
            env["INSPECTOR_NATIVE"] = "0"
        code = _CHILD.format(bench=str(HERE), root=str(checkout))
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env, cwd=checkout)
        assert self.proc.stdout is not None
        self.chains = int(self.proc.stdout.readline())

    def run(self, start: int, end: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{start} {end}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old", type=Path, help="the other checkout (a git worktree of an older commit)")
    ap.add_argument("--old-python", action="store_true", help="run the other checkout's engine as Python")
    ap.add_argument("--block", type=int, default=400, help="chains per turn")
    ap.add_argument("--rounds", type=int, default=1, help="passes over the whole set")
    args = ap.parse_args()
    if not (HERE / "real_sources.py").exists() or not (ROOT.parent / "shared" / "data" / "model-outputs").is_dir():
        sys.exit("../shared/data/model-outputs is not here")
    old, new = Engine(args.old.resolve(), args.old_python), Engine(ROOT, False)
    if old.chains != new.chains:
        sys.exit(f"the two checkouts read {old.chains} and {new.chains} chains")
    old_total = new_total = 0.0
    ratios: list[float] = []
    turn = 0
    for _ in range(args.rounds):
        for start in range(0, new.chains, args.block):
            end = min(start + args.block, new.chains)
            if turn % 2 == 0:
                t_old, t_new = old.run(start, end), new.run(start, end)
            else:
                t_new, t_old = new.run(start, end), old.run(start, end)
            turn += 1
            old_total += t_old
            new_total += t_new
            ratios.append(t_old / t_new)
    old.close()
    new.close()
    chains = new.chains * args.rounds
    quartiles = statistics.quantiles(ratios, n=4)
    print(json.dumps({
        "chains": chains, "blocks": len(ratios),
        "old_chains_per_s": round(chains / old_total), "new_chains_per_s": round(chains / new_total),
        "ratio": round(old_total / new_total, 2),
        "block_ratio_min": round(min(ratios), 2), "block_ratio_quartiles": [round(q, 2) for q in quartiles],
        "block_ratio_max": round(max(ratios), 2),
    }))


if __name__ == "__main__":
    main()
