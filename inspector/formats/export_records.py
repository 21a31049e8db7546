"""One chain and its labels as one record of each export format: our ``jsonl`` record and flat row (``csv``,
``parquet``, ``hf``), and the field's supervision records (PRM800K, ProcessBench, TRL).

Pure functions of a chain, its labels and the resolution among annotators, apart from `export`'s streaming and
files, so that each format's layout can be read (and tested) on its own and the ``hf`` folder writer
(`export_hf`) shares the flat row with ``csv`` and ``parquet``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..engine.model import ChainResult, Verdict
from ..extras import require
from ..labels.labelset import ChainLabels, Resolution, human_first_error, resolve_chain, resolve_steps

_CORRECT_LABELS = {Verdict.VALID.value, Verdict.CANCELING_ERRORS.value, Verdict.LUCKY_GUESS.value}
_WRONG_LABELS = {Verdict.ARITHMETIC_SLIP.value, Verdict.WRONG_REASONING.value}


# --- what every format shares ----------------------------------------------------------------------


def step_texts(result: ChainResult) -> list[str]:
    """The chain's steps as text: the ones the input gave (ProcessBench), else the segmenter's spans."""
    if result.chain.steps is not None:
        return list(result.chain.steps)
    cot = result.chain.cot
    return [cot[s.span[0] : s.span[1]] for s in result.steps]


def labels_json(labels: ChainLabels) -> dict[str, list[dict[str, Any]]]:
    """Every label and note of a chain as JSON objects (history included: ``superseded_at`` set)."""
    return {
        "labels": [
            {"annotator": x.annotator, "label": x.label, "note": x.note, "created_at": x.created_at,
             "superseded_at": x.superseded_at, "machine_verdict": x.machine_verdict}
            for x in labels.chain_labels
        ],
        "step_labels": [
            {"step": x.step, "annotator": x.annotator, "rating": x.rating, "first_error": x.first_error,
             "created_at": x.created_at, "superseded_at": x.superseded_at}
            for x in labels.step_labels
        ],
        "notes": [
            {"annotator": x.annotator, "text": x.text, "created_at": x.created_at, "superseded_at": x.superseded_at}
            for x in labels.notes
        ],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Human:
    label: str | None
    annotator: str | None
    ratings: dict[int, int]
    rater: str | None
    first_error: int | None
    conflict: bool
    timestamp: str | None


def _human(result: ChainResult, labels: ChainLabels, how: Resolution) -> _Human:
    chain = resolve_chain(labels.chain_labels, how)
    steps = resolve_steps(labels.step_labels, how)
    first = human_first_error(steps, len(result.steps)) if steps.ratings or steps.first_error_marked is not None else None
    if first is None and chain.label == Verdict.VALID.value:
        first = -1
    stamps = [x.created_at for x in labels.step_labels if x.current and x.annotator == steps.annotator]
    return _Human(
        chain.label, chain.annotator, steps.ratings, steps.annotator, first, chain.conflict or steps.conflict,
        max(stamps) if stamps else None,
    )


def _identity(result: ChainResult) -> dict[str, Any]:
    c = result.chain
    return {
        "chain_id": c.chain_id, "problem_id": c.problem_id, "model": c.model, "sample_index": c.sample_index,
        "source": c.source, "problem": c.problem, "reference": c.reference, "cot": c.cot,
        "input_steps": list(c.steps) if c.steps is not None else None,
    }  # fmt: skip


def _provenance(result: ChainResult, labels: ChainLabels) -> dict[str, Any]:
    return {**_identity(result), **labels_json(labels)}


# --- our formats -----------------------------------------------------------------------------------


def chain_record(result: ChainResult, labels: ChainLabels, how: Resolution) -> dict[str, Any]:
    """The ``jsonl`` record: the verify JSONL contract, plus text, step text, every label, the resolution."""
    record = result.to_json()
    texts = step_texts(result)
    for step, text in zip(record["steps"], texts, strict=False):
        step["text"] = text
    human = _human(result, labels, how)
    record.update(_identity(result))
    record.update(labels_json(labels))
    record["human"] = {
        "label": human.label, "annotator": human.label and human.annotator, "conflict": human.conflict,
        "first_error_step": human.first_error,
        "step_ratings": [human.ratings.get(i) for i in range(len(result.steps))] if human.ratings else None,
    }  # fmt: skip
    return record


FLAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("chain_id", "string"), ("problem_id", "string"), ("model", "string"), ("sample_index", "int"),
    ("source", "string"), ("problem", "string"), ("reference", "string"), ("final_answer", "string"),
    ("final_answer_method", "string"), ("answer_correct", "bool"), ("verdict", "string"),
    ("explanation", "string"), ("repaired_answer", "string"), ("repaired_correct", "bool"),
    ("errors", "int"), ("machine_first_error_step", "int"), ("steps", "int"), ("human_label", "string"),
    ("human_annotator", "string"), ("human_first_error_step", "int"), ("label_conflict", "bool"),
    ("labels_json", "string"), ("step_labels_json", "string"), ("notes_json", "string"),
    ("input_steps_json", "string"), ("rules_name", "string"), ("rules_hash", "string"), ("cot", "string"),
)  # fmt: skip
"""The ``csv`` columns and their types (one row a chain); ``parquet`` and ``hf`` nest the ``*_json`` ones."""

NESTED_COLUMNS: dict[str, str] = {
    "labels_json": "labels", "step_labels_json": "step_labels", "notes_json": "notes", "input_steps_json": "input_steps",
}  # fmt: skip
"""The ``csv`` column of JSON text → the ``parquet`` / ``hf`` column that holds the same list, nested."""

COLUMN_DOCS: dict[str, str] = {
    "chain_id": "the chain's id (the input's, or one derived from its problem and text)",
    "problem_id": "the problem's id; chains of one problem share it (pass@k groups by it)",
    "model": "the model that wrote the chain",
    "sample_index": "which of the model's samples for this problem (0-based)",
    "source": "where the chain was read from (FILE:LINE)",
    "problem": "the problem text",
    "reference": "the reference answer",
    "final_answer": "the answer the machine found in the chain",
    "final_answer_method": "how it was found: boxed, hash (#### N), answer_is, answer_colon, bold, last_number",
    "answer_correct": "the final answer equals the reference (null: no answer or no reference)",
    "verdict": "the machine's verdict: " + ", ".join(v.value for v in Verdict),
    "explanation": "the verdict in a sentence",
    "repaired_answer": "the answer once every wrong computation is redone and its value carried forward",
    "repaired_correct": "the repaired answer equals the reference",
    "errors": "how many errors the machine found (findings of severity error)",
    "machine_first_error_step": "the first step with an error the machine found (0-based; null: none)",
    "steps": "how many steps the chain has",
    "human_label": "people's chain label, resolved among annotators (null: nobody labelled the chain)",
    "human_annotator": "whose label human_label is",
    "human_first_error_step": "people's earliest wrong step (0-based); -1: every step rated and none wrong; null: unknown",
    "label_conflict": "annotators disagree on this chain (the resolution chose one)",
    "labels": "every chain label: annotator, label, note, created_at, superseded_at (set: a later label replaced it), "
              "machine_verdict (the verdict the annotator saw)",
    "step_labels": "every step rating: step (0-based), annotator, rating (-1 wrong, 0 neutral, +1 good, as PRM800K), "
                   "first_error (marked as where the error starts), created_at, superseded_at",
    "notes": "every note: annotator, text, created_at, superseded_at",
    "input_steps": "the steps as the input gave them (ProcessBench, PRM800K, TRL); null: the machine segmented the text",
    "rules_name": "the rule set the machine used",
    "rules_hash": "its hash (the same hash, the same verdicts)",
    "cot": "the chain of thought, as read",
}
"""What each ``parquet`` / ``hf`` column means (the dataset card's field table); the ``csv``'s ``*_json`` columns
hold the same lists as JSON text."""


def arrow_schema() -> Any:
    """The ``parquet`` / ``hf`` columns as a ``pyarrow.Schema``: ``FLAT_COLUMNS`` with the labels nested.

    Nested ``list<struct>`` columns rather than JSON text: pandas, pyarrow and ``datasets`` hand back
    lists of dicts, typed, so nobody has to ``json.loads`` a column (the ``csv`` keeps JSON text,
    which is all CSV can hold).
    """
    pa = require("pyarrow", "--format parquet")
    s = pa.string()
    nested = {
        "labels": pa.list_(pa.struct([("annotator", s), ("label", s), ("note", s), ("created_at", s),
                                      ("superseded_at", s), ("machine_verdict", s)])),
        "step_labels": pa.list_(pa.struct([("step", pa.int64()), ("annotator", s), ("rating", pa.int64()),
                                           ("first_error", pa.bool_()), ("created_at", s), ("superseded_at", s)])),
        "notes": pa.list_(pa.struct([("annotator", s), ("text", s), ("created_at", s), ("superseded_at", s)])),
        "input_steps": pa.list_(s),
    }  # fmt: skip
    types = {"string": s, "int": pa.int64(), "bool": pa.bool_()}
    return pa.schema([
        (NESTED_COLUMNS[name], nested[NESTED_COLUMNS[name]]) if name in NESTED_COLUMNS else (name, types[kind])
        for name, kind in FLAT_COLUMNS
    ])  # fmt: skip


def flat_row(result: ChainResult, labels: ChainLabels, how: Resolution, *, nested: bool = False) -> dict[str, Any]:
    """One chain as a flat row of ``FLAT_COLUMNS``, the labels in full as JSON text; ``nested``: as lists
    under the ``NESTED_COLUMNS`` names instead (``arrow_schema()``'s row)."""
    c = result.chain
    human = _human(result, labels, how)
    errors = result.errors
    lj = labels_json(labels)
    steps = list(c.steps) if c.steps is not None else None
    if nested:
        lists: dict[str, Any] = {"labels": lj["labels"], "step_labels": lj["step_labels"], "notes": lj["notes"],
                                 "input_steps": steps}  # fmt: skip
    else:
        lists = {
            "labels_json": json.dumps(lj["labels"], ensure_ascii=False),
            "step_labels_json": json.dumps(lj["step_labels"], ensure_ascii=False),
            "notes_json": json.dumps(lj["notes"], ensure_ascii=False),
            "input_steps_json": json.dumps(steps, ensure_ascii=False) if steps is not None else None,
        }
    return {
        "chain_id": c.chain_id, "problem_id": c.problem_id, "model": c.model, "sample_index": c.sample_index,
        "source": c.source, "problem": c.problem, "reference": c.reference,
        "final_answer": result.final_answer.text if result.final_answer else None,
        "final_answer_method": result.final_answer.method if result.final_answer else None,
        "answer_correct": result.answer_correct, "verdict": result.verdict.value,
        "explanation": result.explanation, "repaired_answer": result.repaired_answer,
        "repaired_correct": result.repaired_correct, "errors": len(errors),
        "machine_first_error_step": min((f.step for f in errors), default=None),
        "steps": len(result.steps), "human_label": human.label,
        "human_annotator": human.annotator if human.label else None,
        "human_first_error_step": human.first_error, "label_conflict": human.conflict,
        **lists,
        "rules_name": result.rules_name, "rules_hash": result.rules_hash, "cot": c.cot,
    }  # fmt: skip


# --- the field's formats ---------------------------------------------------------------------------


def prm800k_record(result: ChainResult, labels: ChainLabels, how: Resolution, bare: bool = False) -> dict[str, Any] | None:
    """PRM800K's layout (one labeller's labelling of one solution), or ``None`` without step ratings.

    PRM800K's labellers stopped at the first wrong step, so a labelling ends there: the steps before it
    with ``chosen_completion`` 0, then that step rated −1 with ``chosen_completion`` null (nothing was
    chosen to go on with), then nothing (``finish_reason`` ``found_error``). Ratings of later steps
    stay in the ``inspector`` object only; writing them into ``label.steps`` would claim a trajectory
    PRM800K never has. Without a −1 every step is listed with its one completion, ``rating`` null
    where nobody rated it (PRM800K has such steps too); ``finish_reason`` is ``solution`` when every
    step is rated, else ``give_up`` (the labelling stopped short). The whole solution stays in
    ``question.pre_generated_steps``, as in PRM800K's phase 2.
    """
    human = _human(result, labels, how)
    if not human.ratings:
        return None
    texts = step_texts(result)
    ratings = [human.ratings.get(i) for i in range(len(texts))]
    end = next((i for i, r in enumerate(ratings) if r == -1), None)
    if end is not None:
        finish = "found_error"
    elif all(r is not None for r in ratings):
        finish = "solution"
    else:
        finish = "give_up"
    labelled = len(texts) if end is None else end + 1
    record: dict[str, Any] = {
        "labeler": human.rater if human.rater is not None else "majority",
        "timestamp": human.timestamp,
        "generation": None,
        "is_quality_control_question": False,
        "is_initial_screening_question": False,
        "question": {
            "problem": result.chain.problem,
            "ground_truth_solution": None,
            "ground_truth_answer": result.chain.reference,
            "pre_generated_steps": texts,
            "pre_generated_answer": result.final_answer.text if result.final_answer else None,
            "pre_generated_verifier_score": None,
        },
        "label": {
            "steps": [
                {"completions": [{"text": texts[i], "rating": ratings[i], "flagged": None}], "human_completion": None,
                 "chosen_completion": None if i == end else 0}
                for i in range(labelled)
            ],
            "total_time": None,
            "finish_reason": finish,
        },
    }  # fmt: skip
    if not bare:
        record["inspector"] = _provenance(result, labels)
    return record


def processbench_record(
    result: ChainResult, labels: ChainLabels, how: Resolution, bare: bool = False
) -> dict[str, Any] | None:
    """ProcessBench's record, or ``None`` when people's earliest error (or "none") is not known.

    ``label`` is the first step rated −1 (or marked as the first error), −1 when every step is rated
    and none is wrong or the chain is labelled ``valid``. ``final_answer_correct`` comes from the
    person's chain label where there is one (valid, cancelling errors, lucky guess: true; arithmetic
    slip, wrong reasoning: false), else from the machine's answer check.
    """
    human = _human(result, labels, how)
    if human.first_error is None:
        return None
    if human.label in _CORRECT_LABELS:
        correct: bool | None = True
    elif human.label in _WRONG_LABELS:
        correct = False
    else:
        correct = result.answer_correct
    if correct is None:
        return None
    record: dict[str, Any] = {
        "id": result.chain.chain_id,
        "generator": result.chain.model,
        "problem": result.chain.problem,
        "steps": step_texts(result),
        "final_answer_correct": correct,
        "label": human.first_error,
    }
    if not bare:
        record["inspector"] = _provenance(result, labels)
    return record


def trl_record(result: ChainResult, labels: ChainLabels, how: Resolution, bare: bool = False) -> dict[str, Any] | None:
    """TRL's stepwise supervision record, or ``None`` when step 0 is not rated.

    ``completions`` are the steps from the first up to the last one rated without a gap; ``labels`` are
    true for rating +1 only, false for 0 and −1: TRL's own PRM800K conversion
    (``examples/datasets/prm800k.py``) sets ``label = completion["rating"] == 1``, so a model trained on
    our export and on ``trl-lib/prm800k`` learns one meaning of true. (Treating neutral as true was the
    rejected alternative: it reads well, but disagrees with every PRM trained on TRL's data.) The
    ``inspector`` object keeps the ratings themselves in ``step_ratings``, neutral apart from wrong.
    """
    human = _human(result, labels, how)
    texts = step_texts(result)
    n = 0
    while n < len(texts) and n in human.ratings:
        n += 1
    if n == 0:
        return None
    record: dict[str, Any] = {
        "prompt": result.chain.problem or "",
        "completions": texts[:n],
        "labels": [human.ratings[i] == 1 for i in range(n)],
    }
    if not bare:
        record["inspector"] = {**_provenance(result, labels), "step_ratings": [human.ratings[i] for i in range(n)]}
    return record
