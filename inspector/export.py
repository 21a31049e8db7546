"""Export stored chains with their human labels, streaming, in our formats and the field's own.

| format | one record is | what it holds |
|---|---|---|
| ``jsonl`` | a chain | everything: problem, reference, text, steps with spans and text, claims, findings, flows, verdict, every chain label, step label and note (history included), and the resolved human label |
| ``csv`` / ``parquet`` | a chain, flat | the verdict and the resolved human label in columns; every label, step label and note as JSON text in ``labels_json``, ``step_labels_json``, ``notes_json`` |
| ``prm800k`` | a labelled chain | PRM800K's layout: ``question`` and ``label.steps[].completions[0].rating`` (−1 / 0 / +1) |
| ``processbench`` | a labelled chain | ``{id, generator, problem, steps, final_answer_correct, label}``, label = earliest wrong step or −1 (a JSON list, as ProcessBench ships) |
| ``trl`` | a labelled chain | TRL's stepwise supervision ``{prompt, completions, labels}``: the steps up to the last one rated in a row, ``labels`` true for ratings 0 and +1 |

The supervision formats (``prm800k``, ``processbench``, ``trl``) need the labels they carry and skip
chains that lack them (counted). When several annotators labelled a chain, ``--resolve`` chooses (see
``labelset``); chains where they disagree are counted and listed. Those formats cannot hold everything
we know (annotators, times, chain labels, notes), so unless ``bare`` each record also carries an
``"inspector"`` object with the chain's identity, text and every label: importing an export gives back
exactly what was exported, and tools that read only the format's own fields are not disturbed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from sqlite_utils import Database

from . import store
from .extras import require
from .labelset import ChainLabels, Resolution, human_first_error, resolve_chain, resolve_steps
from .model import ChainResult, Verdict

__all__ = [
    "FLAT_COLUMNS",
    "FORMATS",
    "ExportSummary",
    "chain_record",
    "export",
    "flat_row",
    "labels_json",
    "prm800k_record",
    "processbench_record",
    "step_texts",
    "trl_record",
]

FORMATS = ("jsonl", "csv", "parquet", "prm800k", "processbench", "trl")

_CORRECT_LABELS = {Verdict.VALID.value, Verdict.CANCELING_ERRORS.value, Verdict.LUCKY_GUESS.value}
_WRONG_LABELS = {Verdict.ARITHMETIC_SLIP.value, Verdict.WRONG_REASONING.value}


@dataclass(frozen=True, slots=True)
class ExportSummary:
    format: str
    chains: int
    """Chains read from the store (after the filters)."""
    written: int
    skipped: int
    """Chains the format could not hold: no labels of the kind it carries."""
    conflicts: int
    """Chains whose annotators disagree (the resolution chose one label)."""
    conflict_ids: tuple[str, ...] = field(default=())
    """The first few of them."""


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
"""The ``csv`` / ``parquet`` columns and their types (one row a chain)."""


def flat_row(result: ChainResult, labels: ChainLabels, how: Resolution) -> dict[str, Any]:
    """One chain as a flat row of ``FLAT_COLUMNS``; the labels in full as JSON text."""
    c = result.chain
    human = _human(result, labels, how)
    errors = result.errors
    lj = labels_json(labels)
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
        "labels_json": json.dumps(lj["labels"], ensure_ascii=False),
        "step_labels_json": json.dumps(lj["step_labels"], ensure_ascii=False),
        "notes_json": json.dumps(lj["notes"], ensure_ascii=False),
        "input_steps_json": json.dumps(list(c.steps), ensure_ascii=False) if c.steps is not None else None,
        "rules_name": result.rules_name, "rules_hash": result.rules_hash, "cot": c.cot,
    }  # fmt: skip


# --- the field's formats ---------------------------------------------------------------------------


def prm800k_record(result: ChainResult, labels: ChainLabels, how: Resolution, bare: bool = False) -> dict[str, Any] | None:
    """PRM800K's layout (one labeller's labelling of one solution), or ``None`` without step ratings.

    Every step is listed with its one completion; ``rating`` is null where nobody rated it.
    ``finish_reason`` is ``found_error`` when a step is rated −1, ``solution`` when every step is
    rated and none is wrong, else ``give_up`` (the labelling stopped short).
    """
    human = _human(result, labels, how)
    if not human.ratings:
        return None
    texts = step_texts(result)
    ratings = [human.ratings.get(i) for i in range(len(texts))]
    if any(r == -1 for r in ratings):
        finish = "found_error"
    elif all(r is not None for r in ratings):
        finish = "solution"
    else:
        finish = "give_up"
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
                {"completions": [{"text": t, "rating": r, "flagged": None}], "human_completion": None,
                 "chosen_completion": 0}
                for t, r in zip(texts, ratings, strict=True)
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
    true for ratings 0 and +1 (neutral steps are not errors, as in TRL's own PRM800K conversion).
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
        "labels": [human.ratings[i] >= 0 for i in range(n)],
    }
    if not bare:
        record["inspector"] = _provenance(result, labels)
    return record


# --- writing ---------------------------------------------------------------------------------------

_Maker = Callable[[ChainResult, ChainLabels, Resolution, bool], dict[str, Any] | None]
_MAKERS: dict[str, _Maker] = {"prm800k": prm800k_record, "processbench": processbench_record, "trl": trl_record}


def export(
    db: Database,
    out: IO[bytes],
    fmt: str,
    *,
    resolution: Resolution | None = None,
    models: Sequence[str] = (),
    verdicts: Sequence[str] = (),
    labelled_only: bool = False,
    bare: bool = False,
    batch_size: int = 500,
) -> ExportSummary:
    """Write the selected chains to ``out`` (a binary stream) in ``fmt``, one batch at a time.

    ``parquet`` needs pyarrow (the ``report`` extra) and a file it can write row groups to.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    how = resolution or Resolution()
    items = store.iter_results_with_labels(db, models=models, verdicts=verdicts, labelled_only=labelled_only)
    tally = _Tally()
    counted = tally.count(items, how)
    if fmt == "jsonl":
        from .score import scores_json  # learned step scores (`inspect score`), where a chain has any

        for result, labels in counted:
            full = chain_record(result, labels, how)
            scores = store.scores_for_chain(db, result.chain.chain_id)
            if scores:
                full["scores"] = scores_json(scores)
            out.write(_json_line(full))
            tally.written += 1
    elif fmt == "csv":
        _write_csv(out, counted, how, tally)
    elif fmt == "parquet":
        _write_parquet(out, counted, how, tally, batch_size)
    elif fmt == "processbench":  # ProcessBench ships a JSON list: stream one, element by element
        out.write(b"[")
        for result, labels in counted:
            record = processbench_record(result, labels, how, bare)
            if record is None:
                tally.skipped += 1
                continue
            out.write(b"\n" if not tally.written else b",\n")
            out.write(json.dumps(record, ensure_ascii=False).encode())
            tally.written += 1
        out.write(b"\n]\n")
    else:
        maker = _MAKERS[fmt]
        for result, labels in counted:
            record = maker(result, labels, how, bare)
            if record is None:
                tally.skipped += 1
                continue
            out.write(_json_line(record))
            tally.written += 1
    out.flush()
    return ExportSummary(fmt, tally.chains, tally.written, tally.skipped, tally.conflicts, tuple(tally.conflict_ids))


@dataclass(slots=True)
class _Tally:
    chains: int = 0
    written: int = 0
    skipped: int = 0
    conflicts: int = 0
    conflict_ids: list[str] = field(default_factory=list)

    def count(
        self, items: Iterator[tuple[ChainResult, ChainLabels]], how: Resolution
    ) -> Iterator[tuple[ChainResult, ChainLabels]]:
        for result, labels in items:
            self.chains += 1
            if labels.chain_labels or labels.step_labels:
                chain = resolve_chain(labels.chain_labels, how)
                steps = resolve_steps(labels.step_labels, how)
                if chain.conflict or steps.conflict:
                    self.conflicts += 1
                    if len(self.conflict_ids) < 20:
                        self.conflict_ids.append(result.chain.chain_id)
            yield result, labels


def _json_line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_csv(
    out: IO[bytes], items: Iterator[tuple[ChainResult, ChainLabels]], how: Resolution, tally: _Tally
) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow([name for name, _ in FLAT_COLUMNS])
        for result, labels in items:
            row = flat_row(result, labels, how)
            writer.writerow([_csv_value(row[name]) for name, _ in FLAT_COLUMNS])
            tally.written += 1
        text.flush()
    finally:
        text.detach()  # leave ``out`` open: it belongs to the caller


def _write_parquet(
    out: IO[bytes], items: Iterator[tuple[ChainResult, ChainLabels]], how: Resolution, tally: _Tally, batch_size: int
) -> None:
    pa = require("pyarrow", "--format parquet")
    pq = require("pyarrow.parquet", "--format parquet")
    types = {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    schema = pa.schema([(name, types[kind]) for name, kind in FLAT_COLUMNS])
    writer = pq.ParquetWriter(out, schema)
    try:
        rows: list[dict[str, Any]] = []
        for result, labels in items:
            rows.append(flat_row(result, labels, how))
            if len(rows) >= batch_size:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                tally.written += len(rows)
                rows = []
        if rows or not tally.written:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            tally.written += len(rows)
    finally:
        writer.close()
