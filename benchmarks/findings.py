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
from inspector.report.passk import pass_at_k  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "model-outputs" / "spurious-rewards-qwen2.5-math-1.5b"
LABELS = ROOT / "benchmarks" / "labels" / "sr_suspicious.jsonl"
DIFFERENCES = ROOT / "benchmarks" / "labels" / "sr_grader_differences.jsonl"
CHECKPOINTS = ("base", "step50", "step200", "step400", "step1000")
MODEL_OF = {"base": "Qwen2.5-Math-1.5B", **{c: f"export-for-eval-{c}" for c in CHECKPOINTS[1:]}}
SETS = ("AIME-2024", "AIME-2025", "AMC", "MATH-500")
HUMAN_VERDICT = {"valid": "valid", "canceling": "canceling_errors", "lucky": "lucky_guess", "wrong": "wrong_reasoning",
                 "unknown": "unsure"}
BEGIN, END = "<!-- findings:begin -->", "<!-- findings:end -->"
SUMMARY_BEGIN, SUMMARY_END = "<!-- summary:begin -->", "<!-- summary:end -->"


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
        machine = verdicts[record["chain_id"]]
        store.set_chain_label(db, record["chain_id"], label, annotator=record["annotator"], machine_verdict=machine,
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


Chain = dict[str, object]


def per_problem(chains: list[Chain], model: str, pset: str | None) -> dict[str, list[int]]:
    """problem → [n, raw, valid (machine), valid (people applied), repaired, right but unchecked,
    right and not wrong arithmetic (people applied)]."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    for c in chains:
        if c["model"] != model or (pset is not None and c["set"] != pset):
            continue
        k = counts[str(c["problem"])]
        k[0] += 1
        right = bool(c["correct"])
        k[1] += right
        k[2] += right and c["verdict"] == "valid"
        k[3] += right and basis(c) == "sound"
        k[4] += right or c["verdict"] == "arithmetic_slip"
        k[5] += right and c["verdict"] == "unchecked"
        k[6] += right and basis(c) not in ("landed", "suspected, not read")
    return counts


def basis(c: Chain) -> str:
    """What a right answer rests on: the people's reading where they read it, else the machine's verdict."""
    human = c["people"]
    if human is not None:
        # people who could not confirm the answer (no answer stated, unsure) leave it neither sound nor landed
        return {"valid": "sound", "canceling_errors": "landed", "lucky_guess": "landed"}.get(str(human), "other")
    verdict = str(c["verdict"])
    if verdict == "valid":
        return "sound"
    if verdict in ("canceling_errors", "lucky_guess"):
        return "suspected, not read"
    return "unchecked" if verdict == "unchecked" else "other"


def mean_pass(counts: dict[str, list[int]], column: int, k: int) -> float | None:
    usable = [v for v in counts.values() if v[0] >= k]
    if not usable:
        return None
    return sum(pass_at_k(v[0], v[column], k) for v in usable) / len(usable)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def interval(point: float, draws: list[float]) -> str:
    draws = sorted(draws)
    lo, hi = draws[int(0.025 * len(draws))], draws[int(0.975 * len(draws)) - 1]
    return f"{100 * point:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def bootstrap_gap(a: dict[str, list[int]], b: dict[str, list[int]], column: int, k: int,
                  rng: random.Random, base_column: int | None = None) -> str:
    """``b − a`` in pass@k on the problems both have, in points with a 95% interval (bootstrap over problems);
    with ``base_column``, how much that gap in ``column`` differs from the gap in ``base_column`` (paired)."""
    shared = [p for p in sorted(set(a) & set(b)) if a[p][0] >= k and b[p][0] >= k]
    if not shared:
        return "—"

    def gap(p: str, col: int) -> float:
        return pass_at_k(b[p][0], b[p][col], k) - pass_at_k(a[p][0], a[p][col], k)

    diffs = [gap(p, column) - (gap(p, base_column) if base_column is not None else 0.0) for p in shared]
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(RESAMPLES))
    point, lo, hi = sum(diffs) / len(diffs), means[int(0.025 * RESAMPLES)], means[int(0.975 * RESAMPLES) - 1]
    return f"{100 * point:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"


RESAMPLES = 2000


def published() -> dict[tuple[str, str], tuple[float, float, int]]:
    """(checkpoint, set) → (published avg@k, published pass@k, k)."""
    out = {}
    for ck in CHECKPOINTS:
        for path in sorted((DATA / ck).glob("*.json.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                head = json.load(fh)
            k = int(head["rollouts"])
            out[(ck, head["dataset"])] = (head[f"avg@{k}"], head[f"pass@{k}"], k)
    return out


def grader_differences() -> dict[str, dict[str, object]]:
    """The chains the authors' grader and ours grade differently, each with its reason (read by a person)."""
    out = {}
    for line in DIFFERENCES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out[record["chain_id"]] = record
    return out


def as_theirs(chains: list[Chain], differences: dict[str, dict[str, object]]) -> list[Chain]:
    """The chains graded as the authors' grader graded them: ours, with each listed difference undone."""
    out = []
    for c in chains:
        d = differences.get(str(c["id"]))
        if d is not None:
            if bool(d["ours"]) != bool(c["correct"]):
                sys.exit(f"{DIFFERENCES}: {c['id']} is listed as ours={d['ours']}, but the engine now says "
                         f"{bool(c['correct'])}: re-read it and update the list")
            c = {**c, "correct": bool(d["theirs"])}
        out.append(c)
    return out


def tables(chains: list[Chain], facts: dict[str, str]) -> str:
    """The document's tables; ``facts`` collects the figures its summary quotes (the same draws)."""
    lines: list[str] = []
    add = lines.append
    pub = published()
    differences = grader_differences()
    theirs = as_theirs(chains, differences)
    failures = 0

    add("### 1. Raw pass@k against the authors' published figures\n")
    add("avg@k is the mean share of right samples (pass@1); k = 8 on AIME and AMC, 1 on MATH-500 (greedy). "
        "*Graded differently* counts chains our grader calls right and theirs wrong / theirs right and ours "
        "wrong (section 2 says why, chain by chain); undoing exactly those gives the published figure.\n")
    add("| checkpoint | set | problems × samples | published avg@k | ours | published pass@k | ours | "
        "graded differently | ours with those undone |")
    add("|---|---|---|---|---|---|---|---|---|")
    for ck in CHECKPOINTS:
        for s in SETS:
            avg, top, k = pub[(ck, s)]
            counts = per_problem(chains, MODEL_OF[ck], s)
            undone = per_problem(theirs, MODEL_OF[ck], s)
            ours_only = sum(1 for c in chains if c["model"] == MODEL_OF[ck] and c["set"] == s and c["correct"]
                            and str(c["id"]) in differences)
            theirs_only = sum(1 for c in theirs if c["model"] == MODEL_OF[ck] and c["set"] == s and c["correct"]
                              and str(c["id"]) in differences)
            back = (mean_pass(undone, 1, 1) or 0.0, mean_pass(undone, 1, k) or 0.0)
            same = abs(back[0] - avg) < 1e-9 and abs(back[1] - top) < 1e-9
            failures += not same
            facts["files matching"] = str(int(facts.get("files matching", "0")) + (ours_only + theirs_only == 0))
            facts["differences"] = str(int(facts.get("differences", "0")) + ours_only + theirs_only)
            add(f"| {ck} | {s} | {len(counts)} × {k} | {100 * avg:.2f} | {100 * (mean_pass(counts, 1, 1) or 0):.2f} | "
                f"{100 * top:.2f} | {100 * (mean_pass(counts, 1, k) or 0):.2f} | {ours_only} / {theirs_only} | "
                f"{100 * back[0]:.2f} / {100 * back[1]:.2f} {'= published' if same else '**differs**'} |")

    add("\n### 2. Why the graders differ, by kind\n")
    add("Who is right is a person's reading of each chain (`benchmarks/labels/sr_grader_differences.jsonl` "
        "quotes every one). *policy*: both are defensible.\n")
    add("| kind | who is right | " + " | ".join(CHECKPOINTS) + " | all |")
    add("|---|---|" + "---|" * (len(CHECKPOINTS) + 1))
    kinds = Counter((str(d["category"]), str(d["right"])) for d in differences.values())
    for (kind, right), n in kinds.most_common():
        per = [sum(1 for cid, d in differences.items() if (d["category"], d["right"]) == (kind, right)
                   and cid.startswith(MODEL_OF[ck] + "/")) for ck in CHECKPOINTS]
        add(f"| {kind} | {right} | " + " | ".join(str(x) for x in per) + f" | {n} |")

    add("\n### 3. pass@1 and pass@8: raw, valid-only, calculator-repaired\n")
    add("*valid (machine)*: right answers the machine verified step by step; *valid (people)*: the same with "
        "the people's reading applied where they read the chain; *right, unchecked*: right answers with no "
        "checked claim (code, prose), counted in raw but in neither valid column.\n")
    add("| checkpoint | set | raw@1 | valid@1 (machine) | valid@1 (people) | right, unchecked @1 | repaired@1 | "
        "raw@8 | valid@8 (machine) | valid@8 (people) |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    for ck in CHECKPOINTS:
        for group in (*SETS, None):
            counts = per_problem(chains, MODEL_OF[ck], group)
            eight = group not in ("MATH-500", None)

            def at8(column: int) -> str:
                return pct(mean_pass(counts, column, 8)) if eight else "—"

            facts[f"{ck} {group or 'all'} pass raw@1"] = pct(mean_pass(counts, 1, 1))
            facts[f"{ck} {group or 'all'} pass sound@1"] = pct(mean_pass(counts, 3, 1))
            add(f"| {ck} | {group or 'all four'} | {pct(mean_pass(counts, 1, 1))} | {pct(mean_pass(counts, 2, 1))} | "
                f"{pct(mean_pass(counts, 3, 1))} | {pct(mean_pass(counts, 5, 1))} | {pct(mean_pass(counts, 4, 1))} | "
                f"{at8(1)} | {at8(2)} | {at8(3)} |")

    add("\n### 4. What the right answers rest on\n")
    add("All four sets pooled. *sound*: verified step by step (the people's reading where they read it); "
        "*wrong arithmetic that landed*: slips the people confirmed (cancelling or lucky); *suspected, not "
        "read*: chains the machine suspects that the people have not read; 95% intervals from a bootstrap over problems.\n")
    add("| checkpoint | right answers | sound | wrong arithmetic that landed | unchecked | suspected, not read | "
        "other | machine's suspicion, read by people: valid / cancelling / lucky / unsure |")
    add("|---|---|---|---|---|---|---|---|")
    rng = random.Random(0)
    for ck in CHECKPOINTS:
        mine = [c for c in chains if c["model"] == MODEL_OF[ck] and c["correct"]]
        by_problem: dict[str, list[str]] = defaultdict(list)
        for c in mine:
            by_problem[str(c["problem"])].append(basis(c))
        problems = list(by_problem.values())
        cells = []
        for kind in ("sound", "landed", "unchecked", "suspected, not read", "other"):
            point = sum(b.count(kind) for b in problems) / len(mine)
            draws = []
            for _ in range(RESAMPLES):
                sample = [rng.choice(problems) for _ in problems]
                total = sum(len(b) for b in sample)
                draws.append(sum(b.count(kind) for b in sample) / total if total else 0.0)
            cells.append(interval(point, draws))
            facts[f"{ck} {kind}"] = cells[-1]
        suspected = [c for c in mine if c["verdict"] in ("canceling_errors", "lucky_guess") and c["people"] is not None]
        read = Counter(str(c["people"]) for c in suspected)
        facts[f"{ck} right"] = str(len(mine))
        facts[f"{ck} read"] = str(sum(read.values()))
        facts[f"{ck} confirmed"] = str(read["canceling_errors"] + read["lucky_guess"])
        add(f"| {ck} | {len(mine)} | " + " | ".join(cells) + f" | {read['valid']} / {read['canceling_errors']} / "
            f"{read['lucky_guess']} / {read['unsure']} |")

    add("\n### 5. Base against each checkpoint: does the gap change when only sound reasoning counts?\n")
    add("Gap = checkpoint − base, in points, on the same problems, counting: every right answer (*raw*); right "
        "answers less those reached through wrong arithmetic (*no bad arithmetic*: people's reading, and the "
        "machine's suspicion where nobody read it); only right answers verified step by step (*sound*, the "
        "valid-only figure with people's labels). *change* = sound gap − raw gap, paired. 95% intervals from a "
        "bootstrap over problems.\n")
    add("| checkpoint | set | raw@1 gap | no bad arithmetic | sound@1 gap | change | raw@8 gap | no bad arithmetic | "
        "sound@8 gap | change |")
    add("|---|---|---|---|---|---|---|---|---|---|")

    def gap(a: dict[str, list[int]], b: dict[str, list[int]], column: int, k: int, base: int | None = None) -> str:
        return bootstrap_gap(a, b, column, k, rng, base)

    for ck in CHECKPOINTS[1:]:
        for group in (*SETS, None):
            a = per_problem(chains, MODEL_OF["base"], group)
            b = per_problem(chains, MODEL_OF[ck], group)
            cells = [gap(a, b, 1, 1), gap(a, b, 6, 1), gap(a, b, 3, 1), gap(a, b, 3, 1, 1)]
            if group not in ("MATH-500", None):
                cells += [gap(a, b, 1, 8), gap(a, b, 6, 8), gap(a, b, 3, 8), gap(a, b, 3, 8, 1)]
            else:
                cells += ["—"] * 4
            for name, cell in zip(("raw@1", "clean@1", "sound@1", "change@1", "raw@8", "clean@8", "sound@8", "change@8"),
                                  cells, strict=True):
                facts[f"{ck} {group or 'all'} {name}"] = cell
            add(f"| {ck} | {group or 'all four'} | " + " | ".join(cells) + " |")
    if failures:
        sys.exit(f"{failures} file(s) where ours, with the listed differences undone, is not the published figure")
    return "\n".join(lines) + "\n"


def summary(f: dict[str, str]) -> str:
    """The answer in short, every figure taken from the tables below it."""
    def share(ck: str, kind: str) -> str:
        return f[f"{ck} {kind}"].replace(" [", "% [", 1).replace("]", "%]")

    steps = CHECKPOINTS[1:]
    read = sum(int(f[f"{ck} read"]) for ck in CHECKPOINTS)
    confirmed = sum(int(f[f"{ck} confirmed"]) for ck in CHECKPOINTS)
    lines = [
        f"- **Raw figures.** Ours equal the authors' published avg@k and pass@k in {f['files matching']} of "
        f"the 20 files. In the other files, {f['differences']} chains graded differently account for every "
        "difference exactly (sections 1 and 2).",
        f"- **RL raises the share of right answers that are sound.** Over the four sets, {share('base', 'sound')} "
        f"of the base model's {f['base right']} right answers are verified step by step, against "
        + ", ".join(f"{share(ck, 'sound')} at {ck}" for ck in steps) + ". Most of the rest are *unchecked* (no "
        f"claim to check: code or prose): {share('base', 'unchecked')} at base, {share('step1000', 'unchecked')} "
        "at step1000.",
        f"- **Wrong arithmetic that landed on the right answer is rare and does not shrink with RL.** People "
        f"confirmed it in {share('base', 'landed')} of right answers at base and "
        + ", ".join(f"{share(ck, 'landed')} at {ck}" for ck in steps) + ". These are lower bounds: the machine "
        "misses some slips.",
        f"- **pass@1: the gain holds up.** Over all four sets, base → step1000 raw pass@1 goes "
        f"{f['base all pass raw@1']}% → {f['step1000 all pass raw@1']}%, and sound pass@1 "
        f"{f['base all pass sound@1']}% → {f['step1000 all pass sound@1']}%. The base-to-checkpoint gap in "
        "pass@1 changes by "
        + ", ".join(f"{f[f'{ck} all change@1']} ({ck})" for ck in steps) + " points when only sound reasoning "
        "counts: at most a few points, against gaps of about 30.",
        f"- **pass@8: where the base model looked better, much of that is unchecked answers.** On AMC, the "
        f"step1000 − base gap in raw pass@8 is {f['step1000 AMC raw@8']} points. Counting only sound reasoning "
        f"it is {f['step1000 AMC sound@8']}, a change of {f['step1000 AMC change@8']}. Removing only the wrong "
        f"arithmetic gives {f['step1000 AMC clean@8']}, so the change comes from the base model's unchecked "
        "right answers (code, prose), not from its slips. On AIME, with 30 problems, every pass@8 change is "
        "within noise.",
        f"- **The machine's suspicion.** People read {read} right-answer chains that the machine calls "
        f"`canceling_errors` or `lucky_guess`, and confirmed wrong arithmetic in {confirmed} "
        f"({100 * confirmed / read:.0f}%). The rest were, to the people, sound arithmetic that the machine misread "
        "(or a chain they could not settle). This is why the tables apply the people's reading.",
    ]
    return "\n".join(lines) + "\n"


def plot(chains: list[Chain], path: Path) -> None:
    """pass@k raw (solid), valid-only with people's labels (dashed) and calculator-repaired (dotted), base and
    each checkpoint; MATH-500 (one greedy sample) as bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    colours = dict(zip(CHECKPOINTS, ("#1f77b4", "#9ecae1", "#fdae6b", "#e6550d", "#a63603"), strict=True))
    fig = Figure(figsize=(19, 4.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 4)
    ks = (1, 2, 4, 8)
    for ax, pset in zip(axes, SETS, strict=True):
        ax.set_title(pset)
        ax.grid(True, alpha=0.3)
        if pset == "MATH-500":
            width = 0.27
            for i, ck in enumerate(CHECKPOINTS):
                counts = per_problem(chains, MODEL_OF[ck], pset)
                for j, (column, shade) in enumerate(((1, "#1f4e79"), (3, "#2e9e44"), (4, "#b0b7c3"))):
                    ax.bar(i + (j - 1) * width, 100 * (mean_pass(counts, column, 1) or 0), width, color=shade,
                           label=("raw", "valid-only (people)", "calculator-repaired")[j] if i == 0 else None)
            ax.set_xticks(range(len(CHECKPOINTS)), CHECKPOINTS)
            ax.set_ylabel("pass@1 (%)")
            ax.legend(fontsize=8, loc="lower right")
            continue
        for ck in CHECKPOINTS:
            counts = per_problem(chains, MODEL_OF[ck], pset)
            for column, style in ((1, "-"), (3, "--"), (4, ":")):
                ax.plot(ks, [100 * (mean_pass(counts, column, k) or 0) for k in ks], style, color=colours[ck],
                        marker="o" if column == 1 else None, label=ck if column == 1 else None)
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("k")
        ax.set_ylabel("pass@k (%)")
    axes[0].legend(fontsize=8, title="solid raw · dashed valid-only · dotted repaired", title_fontsize=7)
    fig.suptitle("Qwen2.5-Math-1.5B and its GRPO checkpoints: pass@k counting every right answer, and only "
                 "verified reasoning")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use --db as it is (verified and labelled before)")
    parser.add_argument("--check", type=Path, help="exit 1 when this document's tables differ from these")
    parser.add_argument("--write", type=Path, help="rewrite the tables in this document")
    parser.add_argument("--png", type=Path, help="draw the pass@k figure here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db or Path(tmp) / "findings.db"
        if not (args.reuse and db_path.exists()):
            if db_path.exists():
                db_path.unlink()
            verify(db_path)
            labelled = apply_labels(db_path)
        else:
            labelled = -1
        chains = rows(db_path)
        facts: dict[str, str] = {}
        text = tables(chains, facts)
        short = summary(facts)
        if args.png:
            plot(chains, args.png)
    print(short)
    print(text)
    if labelled >= 0:
        print(f"({labelled} chains read by people)", file=sys.stderr)
    for path in (args.check, args.write):
        if path is None:
            continue
        doc = path.read_text(encoding="utf-8")
        blocks = {(BEGIN, END): text, (SUMMARY_BEGIN, SUMMARY_END): short}
        if path is args.check:
            stale = [begin for (begin, end), body in blocks.items() if _between(doc, begin, end).strip() != body.strip()]
            if stale:
                sys.exit(f"{path}: {', '.join(stale)} differs from what the data gives (run with --write to update)")
            print(f"{path}: every number matches", file=sys.stderr)
        else:
            for (begin, end), body in blocks.items():
                head, _, rest = doc.partition(begin)
                _, _, tail = rest.partition(end)
                doc = f"{head}{begin}\n{body}{end}{tail}"
            path.write_text(doc, encoding="utf-8")


def _between(doc: str, begin: str, end: str) -> str:
    return doc.partition(begin)[2].partition(end)[0]

if __name__ == "__main__":
    main()
