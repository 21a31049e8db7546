"""Our final answers against each source's own grader, on the real model outputs in ``../shared/data``.

    python benchmarks/answer_agreement.py [--examples N]

- Abel (7B/13B/70B on GSM8K): their ``result`` field;
- ToRA (70B, Code-34B on GSM8K): their ``pred`` against ``gt`` as their evaluation compares them (numbers,
  relative tolerance 1e-4); their ``.metrics`` mean score beside;
- the Qwen2.5-Math samples (100 MATH problems × 8): their ``score`` field;
- the Spurious Rewards checkpoints: avg@k and pass@k recomputed from our answers, against the published ones.

Each disagreement is listed with both answers, so every class of it can be read and explained.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from real_sources import OUTPUTS, SHARED, SR_CHECKPOINTS, SR_SETS, abel, available, qwen_cot, tora  # noqa: E402

from inspector import ChainInput, verify_chain  # noqa: E402
from inspector.engine.answer import numeric_value  # noqa: E402


def _ours(chain_id: str, text: str, reference: str | None, problem: str | None = None) -> tuple[bool | None, str | None]:
    r = verify_chain(ChainInput(chain_id, text, reference=reference, problem=problem))
    return r.answer_correct, (r.final_answer.text if r.final_answer else None)


def _report(name: str, rows: list[tuple[str, bool | None, bool, str | None, str | None]], examples: int) -> str:
    agree = sum(1 for _, ours, theirs, _, _ in rows if bool(ours) == theirs)
    lines = [f"| {name} | {len(rows)} | {agree} | {100 * agree / len(rows):.2f}% | "
             f"{sum(1 for r in rows if r[1] and not r[2])} | {sum(1 for r in rows if not r[1] and r[2])} |"]
    shown = [r for r in rows if bool(r[1]) != r[2]][:examples]
    for cid, ours, theirs, answer, ref in shown:
        lines.append(f"|   {cid} | ours {ours}, theirs {theirs} | answer {answer!r} | reference {ref!r} | | |")
    return "\n".join(lines)


def _tora_equal(pred: str | None, gt: str) -> bool:
    a, b = numeric_value(pred or ""), numeric_value(str(gt))
    if a is None or b is None:
        return (pred or "").strip() == str(gt).strip()
    return abs(a - b) <= abs(b) * 1e-4 if b else a == b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=5, help="disagreements to list per source")
    args = ap.parse_args()
    if not available():
        raise SystemExit("../shared/data/model-outputs is absent")
    print("| source | chains | agree | agreement | we say right, they wrong | we say wrong, they right |")
    print("|---|---|---|---|---|---|")
    for size in ("7b", "13b", "70b"):
        theirs = {f"abel-{size}/{r['id']}": bool(r["result"])
                  for r in map(json.loads, open(OUTPUTS / "abel-gsm8k" / f"{size}.jsonl", encoding="utf-8"))}
        rows = []
        for c in abel(size):
            ours, ans = _ours(c.chain_id, c.text, c.reference, c.problem)
            rows.append((c.chain_id, ours, theirs[c.chain_id], ans, c.reference))
        print(_report(f"Abel-{size.upper()} (their `result`)", rows, args.examples))
    for name, path in (("tora-70b", "tora-70b-v1.0"), ("tora-code-34b", "tora-code-34b-v1.0")):
        files = list((OUTPUTS / "tora-gsm8k").glob(f"{path}*.jsonl"))
        preds = {f"{name}/{r['idx']}": (r["pred"][0] if r["pred"] else None, r["gt"])
                 for r in map(json.loads, open(files[0], encoding="utf-8"))}
        rows = []
        for c in tora(name):
            ours, ans = _ours(c.chain_id, c.text, c.reference, c.problem)
            pred, gt = preds[c.chain_id]
            rows.append((c.chain_id, ours, _tora_equal(pred, gt), ans, c.reference))
        metrics = files[0].with_suffix(".metrics").read_text().strip().splitlines()[-1]
        print(_report(f"{name} (their pred vs gt; {metrics})", rows, args.examples))
    scores = {}
    for r in map(json.loads, open(SHARED / "qwen25-math-eval" / "math_cot_100.jsonl", encoding="utf-8")):
        for k, s in enumerate(r["score"]):
            scores[f"qwen-cot/{r['idx']}#{k}"] = bool(s)
    rows = []
    for c in qwen_cot():
        ours, ans = _ours(c.chain_id, c.text, c.reference, c.problem)
        rows.append((c.chain_id, ours, scores[c.chain_id], ans, c.reference))
    print(_report("Qwen2.5-Math samples (their `score`)", rows, args.examples))
    print()
    print("| checkpoint | set | published avg@k | ours | published pass@k | ours | chains |")
    print("|---|---|---|---|---|---|---|")
    for ckpt in SR_CHECKPOINTS:
        folder = OUTPUTS / "spurious-rewards-qwen2.5-math-1.5b" / ckpt
        for name in SR_SETS:
            path = next(folder.glob(f"*_{name}.json.gz"))
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            k = int(data["rollouts"])
            per_problem: dict[str, list[bool]] = defaultdict(list)
            for item in data["metadata"]:
                for j, text in enumerate(item["outputs"]):
                    ours, _ = _ours(f"{ckpt}/{name}/{item['index']}#{j}", text, str(item["label"]), item["prompt"])
                    per_problem[str(item["index"])].append(bool(ours))
            avg = sum(sum(v) for v in per_problem.values()) / sum(len(v) for v in per_problem.values())
            pas = sum(any(v) for v in per_problem.values()) / len(per_problem)
            print(f"| {ckpt} | {name} | {100 * data[f'avg@{k}']:.2f}% | {100 * avg:.2f}% | "
                  f"{100 * data[f'pass@{k}']:.2f}% | {100 * pas:.2f}% | {sum(len(v) for v in per_problem.values())} |")


if __name__ == "__main__":
    main()
