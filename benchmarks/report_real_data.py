"""The report's figures on real public data, reproducible: the numbers the notes quote come from here.

1. Qwen2.5-Math samples (../shared/data/qwen25-math-eval/math_cot_100.jsonl, 100 MATH problems × 8
   samples, each with the `score` its own grader gave): our raw pass@1 and pass@8 against the same
   numbers computed from `score`, and every chain where the two disagree.
2. ProcessBench GSM8K (../shared/data/processbench/gsm8k.json) imported with its human labels, GSM8K's
   test set giving the reference answers: the machine's agreement with people (verdicts, the three
   classes, first error step), and every chain where they disagree on the verdict.

    python benchmarks/report_real_data.py                 # print the figures
    python benchmarks/report_real_data.py --out reports/  # and write each report as PNG and HTML

Needs ../shared/data (the script says so and exits 2 when it is absent).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector import store
from inspector.engine.rules import default_rules
from inspector.formats.importers import read_references
from inspector.formats.ingest import run_import
from inspector.formats.load import iter_chains
from inspector.report.build import Report, build_report
from inspector.report.passk import mean_pass_at_k
from inspector.report.render import plot_png, to_html
from inspector.scale import workers as batch

DATA = ROOT.parent / "shared" / "data"
QWEN = DATA / "qwen25-math-eval" / "math_cot_100.jsonl"
PROCESSBENCH = DATA / "processbench" / "gsm8k.json"
GSM8K_TEST = DATA / "gsm8k" / "test.jsonl"


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def write_outputs(rep: Report, out: Path | None, name: str) -> None:
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    png = plot_png(rep) if rep.curves else None
    if png is not None:
        (out / f"{name}.png").write_bytes(png)
    (out / f"{name}.html").write_text(to_html(rep, png, title=f"cot-inspector report: {name}"), encoding="utf-8")
    print(f"wrote {out / name}.png and .html")


def qwen(work: Path, out: Path | None) -> None:
    records = [json.loads(line) for line in QWEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    db = store.open_db(work / "qwen.db")
    rules = default_rules()
    run_id = store.start_run(db, rules_name=rules.name, rules_hash=rules.hash, source=str(QWEN), argv=[])
    job = batch.Job(rules, want_json=False, want_rows=True)
    outcomes = list(batch.run(batch.chunks_of_chains(iter_chains(QWEN)), job, workers=2))
    store.write_rows(db, run_id, [o.rows for o in outcomes if not isinstance(o, Exception) and o.rows])
    ours = {
        (int(c.problem_id or -1), c.sample_index): o
        for c, o in zip(iter_chains(QWEN), outcomes, strict=True)
        if not isinstance(o, Exception)
    }
    rep = build_report(db, database=str(QWEN.name))
    (curve,) = rep.curves
    theirs = [(len(r["score"]), sum(r["score"])) for r in records]
    print("== Qwen2.5-Math samples: pass@k, ours against the `score` fields ==")
    for k in (1, 8):
        mine = dict(zip(curve.ks, curve.raw, strict=True))[k]
        print(f"raw pass@{k}: ours {pct(mine)}   from score: {pct(mean_pass_at_k(theirs, k))}")
    print(f"valid-only pass@1 {pct(curve.valid_only[0])}, calculator-repaired pass@1 {pct(curve.repaired[0])}, "
          f"pass@1 not valid reasoning {pct(curve.not_valid_share)}")  # fmt: skip
    print("disagreements (idx, sample: their pred / score | our answer / verdict | reference):")
    n = 0
    for r in records:
        for i, score in enumerate(r["score"]):
            o = ours[(r["idx"], i)]
            mine_ok = o.verdict.value in ("valid", "canceling_errors", "lucky_guess")
            if mine_ok != score:
                n += 1
                print(f"  {r['idx']:>3}, {i}: {r['pred'][i]!r} / {score} | {o.final_answer!r} / {o.verdict.value} | "
                      f"answer {r['answer']!r}, gt {r['gt']!r}")  # fmt: skip
    print(f"  {n} chain(s)")
    write_outputs(rep, out, "qwen25-math-eval")


def processbench(work: Path, out: Path | None) -> None:
    db = store.open_db(work / "pb.db")
    summary = run_import(db, PROCESSBENCH, default_rules(), annotator="processbench",
                         references=read_references(GSM8K_TEST), workers=2)  # fmt: skip
    rep = build_report(db, database=PROCESSBENCH.name)
    ag = rep.agreement
    assert ag is not None and ag.verdicts is not None and ag.coarse is not None and ag.first_error is not None
    print("\n== ProcessBench GSM8K: the machine against human labels ==")
    print(f"{summary.chains} chains, machine verdicts {summary.verdicts}, {summary.labels_added} labels imported")
    for name, conf in (("verdicts", ag.verdicts), ("three classes", ag.coarse)):
        print(f"confusion ({name}; rows people, columns machine), agreement {pct(conf.accuracy)} of {conf.total}:")
        print("  " + " " * 24 + "".join(f"{x[:16]:>18}" for x in conf.labels))
        for label, row in zip(conf.labels, conf.matrix, strict=True):
            print(f"  {label[:24]:<24}" + "".join(f"{v:>18}" for v in row))
    print("precision / recall per verdict:")
    for s in ag.verdicts.scores:
        print(f"  {s.label:<18} people {s.reference:>3}  machine {s.predicted:>3}  both {s.both:>3}  "
              f"precision {pct(s.precision):>8}  recall {pct(s.recall):>8}")  # fmt: skip
    fe = ag.first_error
    print(f"first error step ({fe.chains} chains): same {fe.same} (of which both none {fe.both_none}), "
          f"machine earlier {fe.machine_earlier}, later {fe.machine_later}, people only {fe.human_only}, "
          f"machine only {fe.machine_only}; ProcessBench accuracy erroneous {pct(fe.error_accuracy)}, "
          f"correct {pct(fe.correct_accuracy)}, F1 {pct(fe.f1)}")  # fmt: skip
    print("verdict disagreements (id: people label / machine verdict | answer vs reference | ProcessBench):")
    rows = db.conn.execute(
        "SELECT c.chain_id, l.label, c.verdict, c.final_answer, c.final_answer_method, c.reference, l.note "
        "FROM chains c JOIN chain_labels l ON l.chain_id = c.chain_id AND l.superseded_at IS NULL "
        "WHERE l.label != c.verdict ORDER BY l.label, c.verdict, c.rowid"
    ).fetchall()
    for cid, label, verdict, answer, method, reference, note in rows:
        print(f"  {cid}: {label} / {verdict} | {answer!r} ({method}) vs {reference!r} | {note}")
    print(f"  {len(rows)} chain(s)")
    write_outputs(rep, out, "processbench-gsm8k")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="Folder to write the PNG and HTML reports into.")
    args = parser.parse_args()
    missing = [p for p in (QWEN, PROCESSBENCH, GSM8K_TEST) if not p.exists()]
    if missing:
        print(f"real data not present: {', '.join(map(str, missing))}", file=sys.stderr)
        sys.exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        qwen(Path(tmp), args.out)
        processbench(Path(tmp), args.out)


if __name__ == "__main__":
    main()
