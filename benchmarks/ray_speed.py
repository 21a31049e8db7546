"""Benchmark `inspect verify --ray` on a local Ray of 2 CPUs against `inspect verify --workers 2`: chains/s
of each on the same GSM8K-length chains, their CPU seconds, and the overhead ratio.

The input is the GSM8K test set's gold solutions (../shared/data/gsm8k/test.jsonl; samples/gsm8k_format.jsonl
where it is absent) repeated to N chains, each copy with its own id, written once to one JSONL file that both
runs read. Both write the same records to disk: `--workers 2` as JSONL (`--no-db --format jsonl > FILE`),
`--ray` as parquet shards. Ray runs in this process (`ray.init(num_cpus=2)`, started before the clock, as a
cluster is up before one verifies on it) through `distributed.verify_on_ray`, the function `inspect verify
--ray` calls; `--workers 2` runs as the command itself.

    python benchmarks/ray_speed.py                    # 1,000,000 chains (11 to 12 minutes on 2 cores)
    python benchmarks/ray_speed.py --chains 100000    # a quicker run

Wall time on a shared machine moves with other people's work (and Ray runs its workers at a lower priority),
so the CPU seconds of every process of each run are measured too, from /proc, and split by kind of process:
that says where Ray's overhead goes. Beside them: the machine's load average, Ray's start, and the cost per
chain, in one process, of a shard row against a JSONL line. The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GSM8K = ROOT.parent / "shared" / "data" / "gsm8k" / "test.jsonl"
INSPECT = [sys.executable, "-m", "inspector"]


def source_lines() -> tuple[list[bytes], str]:
    if GSM8K.exists():
        path = GSM8K
    else:
        path = ROOT / "samples" / "gsm8k_format.jsonl"
        print(f"note: {GSM8K} absent; repeating {path}", file=sys.stderr)
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    return lines, str(path.relative_to(ROOT.parent))


def write_input(path: Path, lines: list[bytes], n: int) -> None:
    """N JSONL lines: the set over and over, each copy with its own id, streamed to disk."""
    with path.open("wb") as f:
        for i, line in enumerate(itertools.islice(itertools.cycle(lines), n)):
            f.write(b'{"id": "r%d",' % i + line.lstrip()[1:] + b"\n")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min) / {five:.2f} (5 min)"


class TreeCpu:
    """CPU seconds of this process and every process under it (Ray's raylet, GCS and workers are), by kind,
    sampled from /proc while it runs: a process that ends is counted to its last sample. CPU is the steadier
    figure where other people's work moves wall time (and Ray runs its workers at a lower priority)."""

    def __init__(self, interval: float = 0.25) -> None:
        self._seen: dict[int, float] = {}
        self._kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._interval = interval
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _classify(pid: int, parent: int, me: int) -> str:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return "other"
        if " -m inspector " in cmd:  # the pool's processes are forks of the command: the same command line
            return "--workers: parent (reads, writes)" if parent == me else "--workers: pool processes"
        if "MapWorker" in cmd:
            return "Ray: verifying actors"
        if cmd.startswith("ray::"):
            return "Ray: read and write tasks, ErrorLog"
        if "raylet" in cmd or "gcs_server" in cmd:
            return "Ray: raylet and GCS"
        if "/ray/" in cmd:
            return "Ray: its other processes"
        return "other"

    def _sample(self) -> None:
        parents: dict[int, int] = {}
        times: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            times[int(entry)] = (int(fields[11]) + int(fields[12])) / self._tick
        me = os.getpid()
        for pid, cpu in times.items():
            p, hops = pid, 0
            while p not in (me, 0, 1) and hops < 20:
                p, hops = parents.get(p, 0), hops + 1
            if p == me and pid != me:
                self._seen[pid] = max(self._seen.get(pid, 0.0), cpu)
                kind = self._classify(pid, parents[pid], me)
                if kind != "other" or pid not in self._kind:
                    self._kind[pid] = kind

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def __enter__(self) -> Self:
        self._sample()
        self._start = dict(self._seen)
        self._self0 = time.process_time()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.by_kind: dict[str, float] = {"this process (the driver)": time.process_time() - self._self0}
        for pid, cpu in self._seen.items():
            kind = self._kind.get(pid, "other")
            self.by_kind[kind] = self.by_kind.get(kind, 0.0) + cpu - self._start.get(pid, 0.0)
        self.seconds = sum(self.by_kind.values())


def per_chain_costs(lines: list[bytes], n: int = 3000) -> dict[str, float]:
    """Microseconds per chain, in one process: verifying, then a JSONL line (what --workers writes) or a shard
    row (what --ray writes) from the result."""
    from inspector.engine.pipeline import verify_chain
    from inspector.engine.rules import default_rules
    from inspector.formats.load import parse_line
    from inspector.scale import shards

    rules = default_rules()
    chains = [c for k, line in enumerate(itertools.islice(itertools.cycle(lines), n), 1)
              for c in parse_line(line, "x", k)]
    t = time.perf_counter()
    results = [verify_chain(c, rules) for c in chains]
    verify = time.perf_counter() - t
    t = time.perf_counter()
    for r in results:
        json.dumps(r.to_json(), ensure_ascii=False)
    as_json = time.perf_counter() - t
    t = time.perf_counter()
    for start in range(0, len(results), 256):
        shards.table(results[start:start + 256])
    as_shard = time.perf_counter() - t
    return {k: v / len(results) * 1e6 for k, v in (("verify", verify), ("jsonl_line", as_json),
                                                   ("shard_row", as_shard))}


def run_workers(src: Path, out: Path, cpus: int) -> dict[str, Any]:
    """``inspect verify --workers N``, its records to a file: wall and CPU seconds."""
    with TreeCpu() as cpu, out.open("wb") as f:
        t = time.perf_counter()
        subprocess.run([*INSPECT, "verify", str(src), "--workers", str(cpus), "--no-db", "--format", "jsonl",
                        "--no-progress"], stdout=f, check=True)
        wall = time.perf_counter() - t
    return {"wall": wall, "cpu": cpu.seconds, "by_kind": cpu.by_kind}


def run_ray(src: Path, out: Path, cpus: int, chains: int) -> dict[str, Any]:
    """``verify_on_ray`` on a local Ray started (and stopped) here: wall seconds of Ray's start and of the
    run, and the CPU seconds of everything (Ray's own processes, its start and stop included)."""
    import ray

    from inspector.engine.rules import default_rules
    from inspector.scale import ray_data as distributed

    with TreeCpu() as cpu:
        t = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        start = time.perf_counter() - t
        try:
            t = time.perf_counter()
            run = distributed.verify_on_ray([str(src)], str(out), default_rules())
            wall = time.perf_counter() - t
        finally:
            ray.shutdown()
    assert run.summary.chains == chains, run.summary.chains
    return {"start": start, "wall": wall, "cpu": cpu.seconds, "shards": run.summary.shards,
            "by_kind": cpu.by_kind}


def idle_ray_cpu(cpus: int) -> float:
    """CPU seconds of starting and stopping a local Ray that does nothing: the part of ``run_ray``'s CPU that
    is not the work's."""
    import ray

    with TreeCpu() as cpu:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        ray.shutdown()
    return cpu.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chains", type=int, default=1_000_000)
    parser.add_argument("--cpus", type=int, default=2, help="Ray's CPUs, and --workers")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, alternating; the best is kept")
    parser.add_argument("--keep", action="store_true", help="keep the input and the outputs (printed)")
    args = parser.parse_args()

    lines, source = source_lines()
    work = Path(tempfile.mkdtemp(prefix="ray_speed_"))
    src = work / "chains.jsonl"
    write_input(src, lines, args.chains)
    n = args.chains
    print(f"{n:,} chains from {source} ({src.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores, "
          f"load {load()}", flush=True)
    figures: dict[str, object] = {"chains": n, "source": source, "cpus": args.cpus, "cores": os.cpu_count(),
                                  "load_before": [round(x, 2) for x in os.getloadavg()[:2]]}
    workers_runs: list[dict[str, Any]] = []
    ray_runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        w = run_workers(src, work / "workers.jsonl", args.cpus)
        workers_runs.append(w)
        print(f"--workers {args.cpus}: {w['wall']:,.1f} s wall, {n / w['wall']:,.0f} chains/s; "
              f"{w['cpu']:,.1f} CPU s ({n / w['cpu']:,.0f} chains per CPU second); load {load()}", flush=True)
        shutil.rmtree(work / "shards", ignore_errors=True)
        r = run_ray(src, work / "shards", args.cpus, n)
        ray_runs.append(r)
        print(f"--ray (a local Ray of {args.cpus} CPUs, started in {r['start']:.1f} s before the clock): "
              f"{r['wall']:,.1f} s wall, {n / r['wall']:,.0f} chains/s; {r['cpu']:,.1f} CPU s with Ray's "
              f"start and stop; load {load()}", flush=True)
    idle = idle_ray_cpu(args.cpus)
    best_w = min(workers_runs, key=lambda w: w["wall"])
    best_r = min(ray_runs, key=lambda r: r["wall"])
    costs = per_chain_costs(lines)
    figures.update(
        workers_seconds=round(best_w["wall"], 1), workers_chains_per_s=round(n / best_w["wall"]),
        workers_cpu_seconds=round(best_w["cpu"], 1),
        ray_start_seconds=round(best_r["start"], 1), ray_seconds=round(best_r["wall"], 1),
        ray_chains_per_s=round(n / best_r["wall"]), ray_cpu_seconds=round(best_r["cpu"], 1),
        ray_idle_cpu_seconds=round(idle, 1), ray_shards=best_r["shards"],
        wall_ratio=round(best_r["wall"] / best_w["wall"], 3),
        cpu_ratio=round((best_r["cpu"] - idle) / best_w["cpu"], 3),
        cpu_by_kind={"workers": {k: round(v, 1) for k, v in sorted(best_w["by_kind"].items()) if v >= 0.05},
                     "ray": {k: round(v, 1) for k, v in sorted(best_r["by_kind"].items()) if v >= 0.05}},
        per_chain_us={k: round(v, 1) for k, v in costs.items()},
        runs={"workers": [[round(w["wall"], 1), round(w["cpu"], 1)] for w in workers_runs],
              "ray": [[round(r["wall"], 1), round(r["cpu"], 1)] for r in ray_runs]},
        shards_mb=round(sum(p.stat().st_size for p in (work / "shards").iterdir()) / 1e6),
        workers_jsonl_mb=round((work / "workers.jsonl").stat().st_size / 1e6),
        load_after=[round(x, 2) for x in os.getloadavg()[:2]],
    )  # fmt: skip
    print(f"overhead: --ray takes {figures['wall_ratio']}x the wall time of --workers {args.cpus}, and "
          f"{figures['cpu_ratio']}x its CPU (less {idle:.1f} CPU s that an idle Ray's start and stop take)")
    for name, runs in (("--workers", best_w), ("--ray", best_r)):
        kinds = sorted(runs["by_kind"].items(), key=lambda x: -x[1])
        parts = ", ".join(f"{kind} {cpu:,.1f}" for kind, cpu in kinds if cpu >= 0.05)
        print(f"CPU seconds of {name} by process: {parts}")
    print(f"per chain in one process: verify {costs['verify']:.0f} us, then a JSONL line "
          f"{costs['jsonl_line']:.0f} us or a shard row {costs['shard_row']:.0f} us")
    print(json.dumps(figures))
    if args.keep:
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
