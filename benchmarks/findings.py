"""Rebuild every number of ``docs/findings.md`` from ``../shared`` (and check the document against them).

    python benchmarks/findings.py                       # print the tables (markdown)
    python benchmarks/findings.py --check docs/findings.md   # exit 1 if the document's tables differ
    python benchmarks/findings.py --write docs/findings.md   # rewrite the tables in the document

What it does, in order, with the package's own commands and calls:

1. ``inspect verify`` of the 20 Spurious Rewards files (Qwen2.5-Math-1.5B base and its GRPO checkpoints at steps
   50, 200, 400 and 1000, on AIME-2024, AIME-2025, AMC and MATH-500) into one database;
2. the people's labels of the chains the machine suspects (``benchmarks/labels/sr_suspicious.jsonl``: ids and
   labels only, read by SLIP_POLICY.md) written into it through the store, as ``inspect label`` writes them;
3. the tables: raw, valid-only (by the machine's verdicts, and with the people's labels applied) and
   calculator-repaired pass@1 and pass@8 per checkpoint and set, the authors' published figures beside ours,
   what the right answers rest on, how often the machine's suspicion was right, and the base-vs-RL gaps with
   95% intervals (a bootstrap over problems, 2,000 resamples, seed 0).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector import store  # noqa: E402
from inspector.passk import pass_at_k  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "model-outputs" / "spurious-rewards-qwen2.5-math-1.5b"
LABELS = ROOT / "benchmarks" / "labels" / "sr_suspicious.jsonl"
CHECKPOINTS = ("base", "step50", "step200", "step400", "step1000")
MODEL_OF = {"base": "Qwen2.5-Math-1.5B", **{c: f"export-for-eval-{c}" for c in CHECKPOINTS[1:]}}
SETS = ("AIME-2024", "AIME-2025", "AMC", "MATH-500")
HUMAN_VERDICT = {"valid": "valid", "canceling": "canceling_errors", "lucky": "lucky_guess", "wrong": "wrong_reasoning",
                 "unknown": "unsure"}
BEGIN, END = "<!-- findings:begin -->", "<!-- findings:end -->"


def verify(db_path: Path) -> None:
    files = sorted(str(p) for p in DATA.glob("*/*.json.gz"))
    if len(files) != 20:
        sys.exit(f"expected the 20 Spurious Rewards files under {DATA}, found {len(files)}")
    subprocess.run([sys.executable, "-m", "inspector", "verify", *files, "--db", str(db_path), "--workers", "2",
                    "--format", "jsonl"], check=True, stdout=subprocess.DEVNULL)


def apply_labels(db_path: Path) -> int:
    db = store.open_db(db_path)
    verdicts = dict(db.execute("SELECT chain_id, verdict FROM chains").fetchall())
    n = 0
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        label = HUMAN_VERDICT[record["label"]]
        machine = verdicts[record["id"]]
        store.set_chain_label(db, record["id"], label, annotator=record["annotator"], machine_verdict=machine,
                              run_id=None, agrees=label == machine)
        n += 1
    db.close()
    return n


def rows(db_path: Path) -> list[dict[str, object]]:
    db = store.open_db(db_path)
    people = dict(db.execute("SELECT chain_id, label FROM chain_labels WHERE superseded_at IS NULL AND undone_at IS NULL"
                             ).fetchall())
    out = []
    for cid, model, pset, pid, verdict, correct in db.execute(
            "SELECT chain_id, model, problem_set, problem_id, verdict, answer_correct FROM chains"):
        out.append({"id": cid, "model": model, "set": pset, "problem": pid, "verdict": verdict,
                    "correct": bool(correct), "people": people.get(cid)})
    db.close()
    return out


def per_problem(chains: list[dict[str, object]], model: str, pset: str | None) -> dict[str, list[int]]:
    """problem → [n, raw, valid (machine), valid (people applied), repaired]."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for c in chains:
        if c["model"] != model or (pset is not None and c["set"] != pset):
            continue
        k = counts[str(c["problem"])]
        k[0] += 1
        right = bool(c["correct"])
        k[1] += right
        k[2] += right and c["verdict"] == "valid"
        human = c["people"]
        k[3] += right and ((human == "valid") if human not in (None, "unsure") else c["verdict"] == "valid")
        k[4] += right or c["verdict"] == "arithmetic_slip"
    return counts


def mean_pass(counts: dict[str, list[int]], column: int, k: int) -> float | None:
    usable = [v for v in counts.values() if v[0] >= k]
    if not usable:
        return None
    return sum(pass_at_k(v[0], v[column], k) for v in usable) / len(usable)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def bootstrap_gap(a: dict[str, list[int]], b: dict[str, list[int]], column: int, k: int,
                  rng: random.Random) -> tuple[float, float, float] | None:
    """``b − a`` in pass@k on the problems both have, with a 95% interval (bootstrap over problems)."""
    shared = sorted(set(a) & set(b))
    shared = [p for p in shared if a[p][0] >= k and b[p][0] >= k]
    if not shared:
        return None
    diffs = [pass_at_k(b[p][0], b[p][column], k) - pass_at_k(a[p][0], a[p][column], k) for p in shared]
    point = sum(diffs) / len(diffs)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(2000))
    return point, means[49], means[1949]


def published() -> dict[tuple[str, str], tuple[float, float]]:
    out = {}
    for ck in CHECKPOINTS:
        for path in sorted((DATA / ck).glob("*.json.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                head = json.load(fh)
            avg = head.get("avg@8", head.get("avg@1"))
            top = head.get("pass@8", head.get("pass@1"))
            out[(ck, head["dataset"])] = (avg, top)
    return out


def tables(chains: list[dict[str, object]]) -> str:
    lines: list[str] = []
    add = lines.append
    pub = published()

    add("### Raw pass@k against the authors' published figures\n")
    add("| checkpoint | set | problems × samples | published avg@k | ours pass@1 | published pass@k | ours pass@k |")
    add("|---|---|---|---|---|---|---|")
    for ck in CHECKPOINTS:
        for s in SETS:
            counts = per_problem(chains, MODEL_OF[ck], s)
            n = max(v[0] for v in counts.values())
            k = 8 if n >= 8 else 1
            avg, top = pub[(ck, s)]
            add(f"| {ck} | {s} | {len(counts)} × {n} | {100 * avg:.2f} | {100 * mean_pass(counts, 1, 1):.2f} | "
                f"{100 * top:.2f} | {100 * mean_pass(counts, 1, k):.2f} |")

    add("\n### pass@1 and pass@8: raw, valid-only (machine; people's labels applied), calculator-repaired\n")
    add("| checkpoint | set | raw@1 | valid@1 machine | valid@1 people | repaired@1 | raw@8 | valid@8 machine | "
        "valid@8 people |")
    add("|---|---|---|---|---|---|---|---|---|")
    for ck in CHECKPOINTS:
        for s in (*SETS, None):
            counts = per_problem(chains, MODEL_OF[ck], s)
            eight = s not in ("MATH-500", None)
            add(f"| {ck} | {s or 'all four'} | {pct(mean_pass(counts, 1, 1))} | {pct(mean_pass(counts, 2, 1))} | "
                f"{pct(mean_pass(counts, 3, 1))} | {pct(mean_pass(counts, 4, 1))} | "
                f"{pct(mean_pass(counts, 1, 8)) if eight else '—'} | {pct(mean_pass(counts, 2, 8)) if eight else '—'} | "
                f"{pct(mean_pass(counts, 3, 8)) if eight else '—'} |")

    add("\n### What the right answers rest on (machine verdicts; people's reading of the suspected ones)\n")
    add("| checkpoint | right answers | valid | unchecked | suspected (canceling or lucky) | of those, people: "
        "valid / canceling / lucky / other | right answers through wrong arithmetic (people) |")
    add("|---|---|---|---|---|---|---|")
    for ck in CHECKPOINTS:
        mine = [c for c in chains if c["model"] == MODEL_OF[ck] and c["correct"]]
        v = Counter(str(c["verdict"]) for c in mine)
        suspected = [c for c in mine if c["verdict"] in ("canceling_errors", "lucky_guess")]
        read = Counter(str(c["people"]) for c in suspected if c["people"] is not None)
        other = sum(read.values()) - read["valid"] - read["canceling_errors"] - read["lucky_guess"]
        landed = read["canceling_errors"] + read["lucky_guess"]
        add(f"| {ck} | {len(mine)} | {v['valid']} ({100 * v['valid'] / len(mine):.1f}%) | {v['unchecked']} "
            f"({100 * v['unchecked'] / len(mine):.1f}%) | {len(suspected)} (read: {sum(read.values())}) | "
            f"{read['valid']} / {read['canceling_errors']} / {read['lucky_guess']} / {other} | "
            f"{landed} ({100 * landed / len(mine):.1f}%) |")

    add("\n### Base against each checkpoint: the gap in pass@1 and pass@8, raw and valid-only (people), "
        "with 95% intervals\n")
    add("| checkpoint | set | raw@1 gap | valid@1 gap | raw@8 gap | valid@8 gap |")
    add("|---|---|---|---|---|---|")
    rng = random.Random(0)

    def gap(a: dict[str, list[int]], b: dict[str, list[int]], column: int, k: int) -> str:
        g = bootstrap_gap(a, b, column, k, rng)
        return "—" if g is None else f"{100 * g[0]:+.1f} [{100 * g[1]:+.1f}, {100 * g[2]:+.1f}]"

    for ck in CHECKPOINTS[1:]:
        for s in ("AIME-2024", "AIME-2025", "AMC", "MATH-500"):
            a = per_problem(chains, MODEL_OF["base"], s)
            b = per_problem(chains, MODEL_OF[ck], s)
            eight = s != "MATH-500"
            add(f"| {ck} | {s} | {gap(a, b, 1, 1)} | {gap(a, b, 3, 1)} | "
                f"{gap(a, b, 1, 8) if eight else '—'} | {gap(a, b, 3, 8) if eight else '—'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temporary one)")
    parser.add_argument("--check", type=Path, help="exit 1 when this document's tables differ from these")
    parser.add_argument("--write", type=Path, help="rewrite the tables in this document")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db or Path(tmp) / "findings.db"
        if db_path.exists():
            db_path.unlink()
        verify(db_path)
        labelled = apply_labels(db_path)
        text = tables(rows(db_path))
    print(text)
    print(f"({labelled} chains read by people)", file=sys.stderr)
    for path in (args.check, args.write):
        if path is None:
            continue
        doc = path.read_text(encoding="utf-8")
        head, _, rest = doc.partition(BEGIN)
        body, _, tail = rest.partition(END)
        if path is args.check:
            if body.strip() != text.strip():
                sys.exit(f"{path}: the tables differ from what the data gives (run with --write to update)")
            print(f"{path}: every number matches", file=sys.stderr)
        else:
            path.write_text(f"{head}{BEGIN}\n{text}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
