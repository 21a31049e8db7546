"""Benchmark `inspect label` on a 200,000-chain database: time to the first screen, and per-key redraw.

Measured end to end, as a person sees it: the app runs as its own process in a pseudo-terminal, and a
key's latency is the time from writing the key to the last byte of the screen update it causes. The
first screen is the queue with its first rows and its count drawn, timed from the process start
(Python's start-up and imports included). The report screen is timed from ``R`` to its tables drawn:
first when the app has just started (nothing built yet), then again after the labels the run makes.

The search is timed twice: in the terminal (typed, then Enter), and in the store alone as the queue
reads it on Enter (a count no further than 1,000, and the first page of 100 rows), with the exact
count beside it (the queue counts that only when its end is needed).

The database is built once (``--db``, kept between runs): chains verified by the engine (GSM8K's test
set when ../shared/data is there, else our samples), their rows written again under new ids until
there are ``--chains`` of them, through the store's own ``write_rows``.

    python benchmarks/label_speed.py                          # 200,000 chains in /tmp/label_speed.db
    python benchmarks/label_speed.py --chains 20000 --db /tmp/small.db

Prints a table and one JSON line at the end (for the notes).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector import store
from inspector.engine.pipeline import verify_chain
from inspector.formats.load import iter_chains
from inspector.tui.widgets.queue_list import COUNT_CAP, PAGE

GSM8K = ROOT.parent / "shared" / "data" / "gsm8k" / "test.jsonl"


def build(db_path: Path, n: int) -> None:
    sources = [
        ROOT / "samples" / name
        for name in ("verdicts.jsonl", "cancelling_retelling.jsonl", "pass_at_k.jsonl")
    ]
    chains = [c for p in sources for c in iter_chains(str(p))]
    if GSM8K.exists():
        chains += list(itertools.islice(iter_chains(str(GSM8K)), 1000))
    templates = [store.result_rows(verify_chain(c)) for c in chains]
    models = ["base-7b", "rl-7b", "base-32b", "rl-32b"]

    def sub(cid: str, items: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [(cid, *t[1:]) for t in items]

    def rows() -> Iterator[store.ChainRows]:
        for i in range(n):
            r = templates[i % len(templates)]
            cid = f"{r.chain_id}~{i}"
            chain = (cid, r.chain[1], models[i % len(models)], i // len(templates), *r.chain[4:])
            yield store.ChainRows(
                cid,
                r.problem,
                chain,
                sub(cid, r.steps),
                sub(cid, r.claims),
                sub(cid, r.findings),
                sub(cid, r.flows),
            )

    db = store.open_db(db_path)
    run_id = store.start_run(db, rules_name="default", rules_hash="bench", source="benchmark", argv=[])
    t = time.perf_counter()
    written = store.write_rows(db, run_id, rows(), batch_size=2000)
    store.finish_run(db, run_id, chains=written, counts={})
    db.close()
    print(f"built {written:,} chains in {time.perf_counter() - t:.1f} s: {db_path}", flush=True)


_ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_()][0-9A-Za-z]?"
)


class Terminal:
    """The app in a pseudo-terminal of ``cols`` × ``rows``."""

    def __init__(self, args: list[str], cols: int, rows: int) -> None:
        env = dict(os.environ, TERM="xterm-256color")
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(sys.executable, [sys.executable, "-m", "inspector", "label", *args], env)
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.pid, self.fd = pid, fd
        self.screen = b""

    def read_until(self, pattern: bytes, timeout: float = 30.0) -> float:
        """Read until ``pattern`` shows in the text drawn; returns when (perf_counter)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.01)
            if ready:
                self.screen += os.read(self.fd, 1 << 20)
                if re.search(pattern, _ANSI.sub(b" ", self.screen)):
                    return time.perf_counter()
        raise TimeoutError(f"{pattern!r} never appeared")

    def drain(self, quiet: float = 0.15) -> None:
        while select.select([self.fd], [], [], quiet)[0]:
            os.read(self.fd, 1 << 20)

    def key(self, data: str, quiet: float = 0.06, timeout: float = 1.0) -> float | None:
        """Send a key; seconds until the last byte of the redraw it caused (None: nothing redrawn)."""
        sent = time.perf_counter()
        os.write(self.fd, data.encode())
        last = None
        deadline = sent + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], quiet if last else timeout)
            if not ready:
                break
            os.read(self.fd, 1 << 20)
            last = time.perf_counter()
        return None if last is None else last - sent

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


SEARCHES = ("eggs", "Janet", "rl-32b", "apples", "bookstore", "gsm8k", "zzzq", "per hour", "the")
"""Words searched for: rare and common (``rl-32b`` is a quarter of the chains, ``the`` nine in ten), and one
found nowhere."""

KEYS = {
    "down": "\x1b[B",
    "pagedown": "\x1b[6~",
    "end": "\x1b[F",
    "home": "\x1b[H",
    "enter": "\r",
    "escape": "\x1b",
    "backspace": "\x7f",
}


def measure(db_path: Path, cols: int, rows: int, total: int) -> dict[str, object]:
    term = Terminal([str(db_path), "--annotator", "bench"], cols, rows)
    first_rows = term.read_until(rb"lucky-")
    counted = term.read_until(rf"{total:,} chains".encode())
    first_screen = max(first_rows, counted) - term.started
    term.drain()
    out: dict[str, object] = {"first_screen_s": round(first_screen, 3), "rss_mib": round(term.rss_mib(), 1)}
    out["report_first_open_s"] = round(open_report(term), 3)
    groups: dict[str, list[float | None]] = {
        "queue: down (250, across pages)": [term.key(KEYS["down"]) for _ in range(250)],
        "queue: page down (30)": [term.key(KEYS["pagedown"]) for _ in range(30)],
        "queue: end / home (5 each)": [term.key(KEYS[k]) for _ in range(5) for k in ("end", "home")],
        "queue: filter by verdict (v, 8)": [term.key("v", quiet=0.15) for _ in range(8)],
        "queue: unlabelled filter (l, 3)": [term.key("l", quiet=0.15) for _ in range(3)],
    }
    term.key("c", quiet=0.2)
    searched: list[float | None] = []
    for word in SEARCHES:  # typed (each letter restarts a 0.3 s pause), then Enter filters at once
        term.key("/", quiet=0.1)
        for ch in word:
            term.key(ch, quiet=0.02)
        searched.append(term.key(KEYS["enter"], quiet=0.15, timeout=3.0))
        term.key("c", quiet=0.2)
    groups[f"queue: search, Enter ({len(SEARCHES)} words)"] = searched
    opened, closed = [], []
    for _ in range(8):
        opened.append(term.key(KEYS["enter"], quiet=0.1))
        closed.append(term.key(KEYS["backspace"], quiet=0.1))
    escaped = []
    for _ in range(4):
        term.key(KEYS["enter"], quiet=0.1)
        escaped.append(term.key(KEYS["escape"], quiet=0.1))
    groups["open a chain (enter, 8)"] = opened
    groups["back to the queue (backspace, 8)"] = closed
    # A lone ESC byte may begin a key sequence: terminals and Textual wait ESCDELAY (100 ms) to be sure.
    groups["back to the queue (esc, 4)"] = escaped
    term.key(KEYS["enter"], quiet=0.2)
    groups["chain: next / previous step (j k, 30)"] = [term.key(k) for k in "jk" * 15]
    rated: list[float | None] = []
    for _ in range(10):  # rate a step (it moves on), come back, rate it the other way: always a change
        rated.append(term.key("g"))
        term.key("k")
        rated.append(term.key("b"))
        term.key("k")
    groups["chain: rate a step, saved (g b, 20)"] = rated
    groups["chain: next chain (], 20)"] = [term.key("]") for _ in range(20)]
    labelled: list[float | None] = []
    undone: list[float | None] = []
    for _ in range(10):
        labelled.append(term.key("1", quiet=0.1))
        undone.append(term.key("u", quiet=0.1))
    groups["chain: label, saved, next chain (1, 10)"] = labelled
    groups["chain: undo, back to it (u, 10)"] = undone
    term.key("1", quiet=0.1)  # a label the report has not seen
    out["report_open_after_labels_s"] = round(open_report(term), 3)
    term.kill()
    print(f"  first screen {first_screen * 1000:.0f} ms   rss {out['rss_mib']} MiB   ({cols}x{rows})")
    print(f"  report screen: first open {out['report_first_open_s'] * 1000:.0f} ms, "
          f"after labels {out['report_open_after_labels_s'] * 1000:.0f} ms  (R to its tables drawn)")
    print(f"  {'key':<38} {'median':>8} {'p90':>8} {'max':>8}  (ms, end of redraw)")
    for name, times in groups.items():
        ok = sorted(t * 1000 for t in times if t is not None)
        if not ok:
            continue
        print(f"  {name:<38} {statistics.median(ok):>8.1f} {_p90(ok):>8.1f} {max(ok):>8.1f}"
              + (f"  ({len(times) - len(ok)} drew nothing)" if len(ok) < len(times) else ""))  # fmt: skip
        out[name] = {
            "median_ms": round(statistics.median(ok), 1),
            "p90_ms": round(_p90(ok), 1),
            "max_ms": round(max(ok), 1),
        }
    return out


def open_report(term: Terminal) -> float:
    """Seconds from ``R`` to the report's tables drawn (its header says how labels are resolved once they
    are); then back where it was."""
    term.drain()
    term.screen = b""
    sent = time.perf_counter()
    os.write(term.fd, b"R")
    done = term.read_until(rb"labels resolved", timeout=60.0)
    term.drain()
    term.key(KEYS["escape"], quiet=0.2)
    return done - sent


def _p90(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def measure_search(db_path: Path) -> dict[str, object]:
    """The queue's search in the store alone (FTS5, migration 0006), as the queue reads it on Enter: its
    count up to 1,000 and its first page of 100 rows; the exact count beside it."""
    db = store.open_db(db_path)
    out: dict[str, object] = {}
    pooled: list[float] = []
    print(f"  {'search (store: count to 1,000 + page)':<38} {'median':>8} {'p90':>8} {'exact n':>8} {'found':>8}  (ms)")
    for word in SEARCHES:
        flt = store.QueueFilter(search=word)
        times, exact = [], []
        for _ in range(5):
            t = time.perf_counter()
            store.queue_count(db, flt, "bench", cap=COUNT_CAP)
            store.queue_page(db, flt, "bench", 0, PAGE)
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            found = store.queue_count(db, flt, "bench")
            exact.append((time.perf_counter() - t) * 1000)
        pooled.extend(times)
        times.sort()
        exact.sort()
        print(f"  {word!r:<38} {statistics.median(times):>8.1f} {_p90(times):>8.1f} "
              f"{statistics.median(exact):>8.1f} {found:>8,}")  # fmt: skip
        out[word] = {"median_ms": round(statistics.median(times), 1), "p90_ms": round(_p90(times), 1),
                     "exact_count_ms": round(statistics.median(exact), 1), "found": found}  # fmt: skip
    db.close()
    pooled.sort()
    print(f"  {'every word above':<38} {statistics.median(pooled):>8.1f} {_p90(pooled):>8.1f}")
    out["every word"] = {"median_ms": round(statistics.median(pooled), 1), "p90_ms": round(_p90(pooled), 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chains", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/label_speed.db"))
    parser.add_argument("--rebuild", action="store_true", help="Build the database again even if it exists.")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists() or store.chain_count(store.open_db(args.db)) != args.chains:
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)
        build(args.db, args.chains)
    db = store.open_db(args.db)
    # A clean slate of labels for the benchmark's annotator, so every run measures the same thing.
    db.execute("DELETE FROM chain_labels WHERE annotator = 'bench'")
    db.execute("DELETE FROM step_labels WHERE annotator = 'bench'")
    db.conn.commit()
    total = store.chain_count(db)
    db.close()
    results: dict[str, object] = {"chains": total, "load": os.getloadavg()[0]}
    print(f"{total:,} chains, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores:")
    results["search"] = measure_search(args.db)
    for cols, rows in ((80, 24), (200, 60)):
        print(f"{total:,} chains, {cols}x{rows} terminal:")
        results[f"{cols}x{rows}"] = measure(args.db, cols, rows, total)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
