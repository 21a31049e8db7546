"""A small, hand-checkable world for the report, export and import tests: two models, four problems,
four samples each, every verdict the engine gives, and labels by two annotators.

Problem i asks for a + b + 10 (reference s + 10 with s = a + b). The samples are written so the
engine's verdict is known in advance:

| kind | chain | verdict |
|---|---|---|
| valid | a + b = s, s + 10 = s+10 | valid |
| slip | a + b = s, s + 10 = s+11 | arithmetic_slip (step 1) |
| wrong | a − b = d, d + 10 = d+10 | wrong_reasoning |
| cancel | a + b = s+1, (s+1) + 10 = s+10 | canceling_errors (steps 0 and 1) |
| lucky | a + b = s+1, (s+1) + 9 = s+10 | lucky_guess (step 0) |

``rl`` solves problems 0–2 in every sample (three valid, one with cancelling errors) and never problem
3; ``base`` solves each problem once in four (valid, slip, wrong, wrong). So raw pass@1 is 0.75 against
0.25, raw pass@4 is 0.75 against 1.0, and the curves meet at k = 3 and cross at k = 4.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from inspector import store
from inspector.engine.rules import default_rules
from inspector.labels.labelset import ChainLabel, ChainLabels, StepLabel
from inspector.scale import workers as batch

NUMBERS = [(17, 25), (31, 12), (48, 19), (63, 7)]


def chain_text(kind: str, a: int, b: int) -> str:
    s, d = a + b, a - b
    return {
        "valid": f"{a} + {b} = {s}\n{s} + 10 = {s + 10}\nThe answer is {s + 10}.",
        "slip": f"{a} + {b} = {s}\n{s} + 10 = {s + 11}\nThe answer is {s + 11}.",
        "wrong": f"{a} - {b} = {d}\n{d} + 10 = {d + 10}\nThe answer is {d + 10}.",
        "cancel": f"{a} + {b} = {s + 1}\n{s + 1} + 10 = {s + 10}\nThe answer is {s + 10}.",
        "lucky": f"{a} + {b} = {s + 1}\n{s + 1} + 9 = {s + 10}\nThe answer is {s + 10}.",
    }[kind]


PLAN = {
    "rl": [["valid", "valid", "valid", "cancel"]] * 3 + [["wrong"] * 4],
    "base": [["valid", "slip", "wrong", "wrong"]] * 4,
}


def records() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for model, problems in PLAN.items():
        for i, kinds in enumerate(problems):
            a, b = NUMBERS[i]
            for j, kind in enumerate(kinds):
                out.append({
                    "id": f"{model}-p{i}-s{j}", "problem_id": f"p{i}", "problem": f"What is {a} + {b} + 10?",
                    "reference": str(a + b + 10), "model": model, "sample_index": j, "cot": chain_text(kind, a, b),
                })  # fmt: skip
    out.append({"id": "lucky-1", "problem_id": "p9", "problem": "What is 2 + 3 + 10?", "reference": "15",
                "model": "other", "cot": chain_text("lucky", 2, 3)})  # fmt: skip
    return out


def write_jsonl(path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records()))
    return path


T1, T2, T3 = "2025-03-01T10:00:00+00:00", "2025-03-02T10:00:00+00:00", "2025-03-03T10:00:00+00:00"


def labels() -> list[ChainLabels]:
    """ann and bob label four chains; they disagree on one, ann changed her mind on another."""

    def cl(cid: str, who: str, label: str, at: str, superseded: str | None = None) -> ChainLabel:
        return ChainLabel(cid, who, label, at, note=None, superseded_at=superseded)

    def st(cid: str, who: str, ratings: list[int], at: str, first: int | None = None) -> tuple[StepLabel, ...]:
        return tuple(StepLabel(cid, i, who, r, at, first_error=i == first) for i, r in enumerate(ratings))

    return [
        ChainLabels((cl("rl-p0-s3", "ann", "canceling_errors", T1), cl("rl-p0-s3", "bob", "canceling_errors", T2)),
                    st("rl-p0-s3", "ann", [-1, -1, 1], T1, first=0)),
        ChainLabels((cl("base-p0-s1", "ann", "wrong_reasoning", T1), cl("base-p0-s1", "bob", "arithmetic_slip", T2)),
                    st("base-p0-s1", "ann", [1, -1, 1], T1)),
        ChainLabels((cl("rl-p0-s0", "ann", "valid", T1),), st("rl-p0-s0", "bob", [1, 1, 1], T2)),
        ChainLabels((cl("base-p1-s0", "ann", "valid", T1, superseded=T3), cl("base-p1-s0", "ann", "lucky_guess", T3),
                     cl("base-p1-s0", "bob", "lucky_guess", T2))),
    ]  # fmt: skip


def build(db: Database, *, with_labels: bool = True) -> Database:
    """Verify the toy chains into ``db`` (as ``inspect verify`` would) and add the labels."""
    from inspector.engine.model import ChainInput

    rules = default_rules()
    run_id = store.start_run(db, rules_name=rules.name, rules_hash=rules.hash, source="toy.jsonl", argv=[])
    chains = [
        ChainInput(chain_id=str(r["id"]), cot=str(r["cot"]), problem_id=str(r["problem_id"]),
                   problem=str(r["problem"]), reference=str(r["reference"]), model=str(r["model"]),
                   sample_index=r.get("sample_index"), source=f"data/toy.jsonl:{n}")  # type: ignore[arg-type]
        for n, r in enumerate(records(), 1)
    ]  # fmt: skip
    job = batch.Job(rules, want_json=False, want_rows=True)
    rows = [o.rows for o in batch.run(batch.chunks_of_chains(chains), job) if not isinstance(o, Exception) and o.rows]
    store.write_rows(db, run_id, rows)
    store.finish_run(db, run_id, chains=len(rows), counts={})
    if with_labels:
        store.add_labels(db, labels(), run_id=run_id)
    return db
