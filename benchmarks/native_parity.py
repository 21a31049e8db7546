"""The compiled engine against the Python engine, in one run: every record identical, and how much faster.

Runs ``verify_chain`` over every real chain in ../shared/data (the Spurious Rewards set, the other model outputs,
GSM8K test) twice, in two child processes: one with ``INSPECTOR_NATIVE=0`` (the Python engine), one with the
build from ``inspect build-engine``. Each writes one ``to_json()`` line per chain; the two files are compared line
by line, and the per-set CPU throughput of each is printed with the ratio.

    inspect build-engine && python benchmarks/native_parity.py [--rounds 3]

With ``--rounds N`` each engine times each set N times (alternating) and the best is kept: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {bench!r}); sys.path.insert(0, {root!r})
import inspector
from engine_golden import chains
from inspector import verify_chain
out, rounds = sys.argv[1], int(sys.argv[2])
state = inspector.native.status()
by_set = {{}}
for c in chains():
    name = "Spurious Rewards" if c.chain_id.startswith("sr/") else ("other real outputs" if "/" in c.chain_id else "GSM8K test")
    by_set.setdefault(name, []).append(c)
timing = {{}}
with open(out, "w") as f:
    for name, items in by_set.items():
        best = None
        for r in range(rounds):
            t0 = time.process_time()
            records = [verify_chain(c) for c in items]
            cpu = time.process_time() - t0
            best = cpu if best is None else min(best, cpu)
        timing[name] = {{"chains": len(items), "cpu_s": best, "mb": sum(len(c.cot.encode()) for c in items) / 1e6}}
        for r in records:
            f.write(json.dumps(r.to_json(), sort_keys=True) + "\n")
print(json.dumps({{"active": state.active, "reason": state.reason, "timing": timing}}))
"""


def run(mode: str, out: Path, rounds: int) -> dict:  # type: ignore[type-arg]
    env = {**os.environ}
    if mode == "python":
        env["INSPECTOR_NATIVE"] = "0"
    else:
        env.pop("INSPECTOR_NATIVE", None)
    code = _CHILD.format(bench=str(ROOT / "benchmarks"), root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, str(out), str(rounds)], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{mode} engine failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=1, help="time each set this many times per engine, keep the best")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        py_out, native_out = Path(tmp) / "python.jsonl", Path(tmp) / "native.jsonl"
        native = run("native", native_out, args.rounds)
        if not native["active"]:
            sys.exit(f"the compiled engine is not in use ({native['reason']}): run `inspect build-engine` first")
        python = run("python", py_out, args.rounds)
        a, b = py_out.read_text().splitlines(), native_out.read_text().splitlines()
        differ = [json.loads(x)["chain_id"] for x, y in zip(a, b, strict=True) if x != y]
    print(f"records: {len(a)} chains, {len(a) - len(differ)} identical, {len(differ)} differ"
          + (f" (first: {', '.join(differ[:5])})" if differ else ""))
    print("| set | chains | MB | Python chains/s | compiled chains/s | ratio |")
    print("|---|---|---|---|---|---|")
    for name, t in python["timing"].items():
        n = native["timing"][name]
        py_rate, native_rate = t["chains"] / t["cpu_s"], n["chains"] / n["cpu_s"]
        print(f"| {name} | {t['chains']} | {t['mb']:.1f} | {py_rate:,.0f} | {native_rate:,.0f} | "
              f"{native_rate / py_rate:.2f}× |")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
