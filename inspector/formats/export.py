"""Export stored chains with their human labels, streaming, in our formats and the field's own.

| format | one record is | what it holds |
|---|---|---|
| ``jsonl`` | a chain | everything: problem, reference, text, steps with spans and text, claims, findings, flows, verdict, every chain label, step label and note (history included), and the resolved human label |
| ``csv`` | a chain, flat | the verdict and the resolved human label in columns (``FLAT_COLUMNS``); every label, step label and note as JSON text in ``labels_json``, ``step_labels_json``, ``notes_json`` |
| ``parquet`` | a chain, flat | the same columns, with the labels as nested ``list<struct>`` columns ``labels``, ``step_labels``, ``notes`` and the input's steps as ``input_steps`` (``arrow_schema()``): pandas, pyarrow and ``datasets`` read them without ``json.loads`` |
| ``hf`` | a chain, flat | a folder ``datasets.load_from_disk`` opens, with ``parquet``'s columns and a dataset card (``README.md``: the fields, counts per model and verdict, how it was made) |
| ``prm800k`` | a labelled chain | PRM800K's layout: ``question`` and ``label.steps[].completions[0].rating`` (−1 / 0 / +1), ending at the first −1 step (its ``chosen_completion`` null) as PRM800K's labellers stopped there |
| ``processbench`` | a labelled chain | ``{id, generator, problem, steps, final_answer_correct, label}``, label = earliest wrong step or −1 (a JSON list, as ProcessBench ships) |
| ``trl`` | a labelled chain | TRL's stepwise supervision ``{prompt, completions, labels}``: the steps up to the last one rated in a row, ``labels`` true for rating +1 only (TRL's own PRM800K conversion: ``rating == 1``) |

The supervision formats (``prm800k``, ``processbench``, ``trl``) need the labels they carry and skip
chains that lack them (counted). When several annotators labelled a chain, ``--resolve`` chooses (see
``labelset``); chains where they disagree are counted and listed. Those formats cannot hold everything
we know (annotators, times, chain labels, notes, a neutral step apart from a wrong one in ``trl``), so
unless ``bare`` each record also carries an ``"inspector"`` object with the chain's identity, text and
every label: importing an export gives back exactly what was exported, and tools that read only the
format's own fields are not disturbed.
"""

from __future__ import annotations

import csv
import datetime
import errno
import io
import json
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from .. import store
from ..engine.model import ChainResult, Verdict
from ..errors import InspectorError
from ..extras import MissingDependency, require
from ..labels.labelset import ChainLabels, Resolution, human_first_error, resolve_chain, resolve_steps

__all__ = [
    "COLUMN_DOCS",
    "FLAT_COLUMNS",
    "FORMATS",
    "NESTED_COLUMNS",
    "CardFacts",
    "ExportSummary",
    "arrow_schema",
    "chain_record",
    "dataset_card",
    "export",
    "flat_row",
    "labels_json",
    "prm800k_record",
    "processbench_record",
    "step_texts",
    "trl_record",
]

FORMATS = ("jsonl", "csv", "parquet", "hf", "prm800k", "processbench", "trl")

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


# --- writing ---------------------------------------------------------------------------------------

_Maker = Callable[[ChainResult, ChainLabels, Resolution, bool], dict[str, Any] | None]
_MAKERS: dict[str, _Maker] = {"prm800k": prm800k_record, "processbench": processbench_record, "trl": trl_record}


def export(
    db: Database,
    out: IO[bytes] | str | os.PathLike[str],
    fmt: str,
    *,
    resolution: Resolution | None = None,
    models: Sequence[str] = (),
    verdicts: Sequence[str] = (),
    labelled_only: bool = False,
    bare: bool = False,
    batch_size: int = 500,
    command: str | None = None,
) -> ExportSummary:
    """Write the selected chains to ``out`` in ``fmt``, one batch at a time.

    ``out`` is a binary stream or a path; ``hf`` writes a folder and needs a path (``datasets``, the
    ``hf`` extra). ``parquet`` needs pyarrow (the ``report`` extra) and a file it can write row groups
    to. ``command`` is how the export was asked for, quoted in the ``hf`` dataset card.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    how = resolution or Resolution()
    if fmt == "hf":
        if not isinstance(out, (str, os.PathLike)):
            raise ValueError("--format hf writes a folder: give its path, not a stream")
        items = store.iter_results_with_labels(db, models=models, verdicts=verdicts, labelled_only=labelled_only)
        tally = _Tally()
        facts = _write_hf(Path(out), tally.count(items, how), how, tally, command=command,
                          filters=_filters(how, models, verdicts, labelled_only))  # fmt: skip
        return _summary(fmt, tally, facts.chains)
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as stream:
            return export(db, stream, fmt, resolution=how, models=models, verdicts=verdicts,
                          labelled_only=labelled_only, bare=bare, batch_size=batch_size, command=command)  # fmt: skip
    items = store.iter_results_with_labels(db, models=models, verdicts=verdicts, labelled_only=labelled_only)
    tally = _Tally()
    counted = tally.count(items, how)
    if fmt == "jsonl":
        from ..sampling.score import (
            scores_json,  # learned step scores (`inspect score`), where a chain has any
        )

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
    return _summary(fmt, tally, tally.written)


def _summary(fmt: str, tally: _Tally, written: int) -> ExportSummary:
    return ExportSummary(fmt, tally.chains, written, tally.skipped, tally.conflicts, tuple(tally.conflict_ids))


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
    schema = arrow_schema()
    writer = pq.ParquetWriter(out, schema)
    try:
        rows: list[dict[str, Any]] = []
        for result, labels in items:
            rows.append(flat_row(result, labels, how, nested=True))
            if len(rows) >= batch_size:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                tally.written += len(rows)
                rows = []
        if rows or not tally.written:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            tally.written += len(rows)
    finally:
        writer.close()


# --- a `datasets` folder and its card ----------------------------------------------------------------

_HF_HINT = "pip install 'cot-inspector[hf]'"
_SAVED_FILES = ("state.json", "dataset_info.json", "README.md")
"""What ``save_to_disk`` and we put in a dataset folder, besides ``data-*.arrow`` (and the ``cache-*.arrow``
``datasets`` adds when the loaded dataset is filtered or mapped): a folder holding only these is an earlier
export and may be replaced; anything else in it is somebody's and is left alone."""


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What the dataset card says about an ``hf`` export, gathered while it streams."""

    chains: int
    by_model_verdict: tuple[tuple[str, str, int], ...]
    """(model, machine verdict, chains), sorted."""
    human_labels: tuple[tuple[str, int], ...]
    """(resolved human chain label, chains), sorted; chains nobody labelled are not counted."""
    step_rated: int
    """Chains with at least one step rating."""
    conflicts: int
    rules: tuple[str, ...]
    """The rule sets the verdicts came from (``name@hash``)."""
    filters: str
    command: str | None
    created_at: str
    version: str


def _filters(how: Resolution, models: Sequence[str], verdicts: Sequence[str], labelled_only: bool) -> str:
    parts = [f"human labels resolved by {how}"]
    if models:
        parts.append("models " + ", ".join(models))
    if verdicts:
        parts.append("verdicts " + ", ".join(verdicts))
    if labelled_only:
        parts.append("only chains people labelled")
    return "; ".join(parts)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cot-inspector")
    except PackageNotFoundError:
        return "unknown"


def _size_category(n: int) -> str:
    """The hub's ``size_categories`` value for ``n`` rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]  # fmt: skip
    return next((name for bound, name in bounds if n < bound), "n>1T" if n >= 10**12 else "100M<n<1B")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def dataset_card(facts: CardFacts, schema: Any) -> str:
    """The ``README.md`` of an ``hf`` export: the fields with their meaning, the counts, how it was made.

    Markdown with the hub's YAML header, so the folder can be pushed as it is (``push_to_hub`` or an
    upload) and the hub shows the card; ``schema`` is ``arrow_schema()`` (types read off it, so the
    card cannot drift from the data).
    """
    models = sorted({m for m, _, _ in facts.by_model_verdict})
    verdicts = [v.value for v in Verdict if any(x == v.value for _, x, _ in facts.by_model_verdict)]
    count = {(m, v): n for m, v, n in facts.by_model_verdict}
    lines = [
        "---",
        "pretty_name: Chains of thought checked by cot-inspector",
        "tags:", "- chain-of-thought", "- process-supervision", "- math", "- cot-inspector",
        "size_categories:", f"- {_size_category(facts.chains)}",
        "---",
        "",
        "# Chains of thought checked by cot-inspector",
        "",
        (f"{facts.chains} chain(s) of thought, one row each: the machine's verdict on the chain's arithmetic and "
         "how its answer was reached, and every label people gave it (chain labels, step ratings, notes, with "
         "annotator and time, history included)."),
        "",
        "```python",
        "from datasets import load_from_disk",
        "",
        'ds = load_from_disk("path/to/this/folder")',
        "```",
        "",
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        *(f"| `{f.name}` | `{_cell(f.type)}` | {_cell(COLUMN_DOCS.get(f.name, ''))} |" for f in schema),
        "",
        "## Counts",
        "",
        "Chains by model and machine verdict:",
        "",
        "| model | " + " | ".join(verdicts) + " | total |",
        "|---|" + "---:|" * (len(verdicts) + 1),
        *(f"| {_cell(m)} | " + " | ".join(str(count.get((m, v), 0)) for v in verdicts)
          + f" | {sum(count.get((m, v), 0) for v in verdicts)} |" for m in models),
        "",
        "Human chain labels (resolved): "
        + (", ".join(f"{label} {n}" for label, n in facts.human_labels) if facts.human_labels else "none")
        + f". Chains with step ratings: {facts.step_rated}. Chains whose annotators disagree: {facts.conflicts}.",
        "",
        "## How it was made",
        "",
        f"- Exported by cot-inspector {facts.version} on {facts.created_at}"
        + (f" with `{facts.command}`." if facts.command else "."),
        f"- Selection: {facts.filters}.",
        ("- Verdicts by the rule set(s) " + (", ".join(f"`{r}`" for r in facts.rules) or "(none)") + ": every "
         "computation of a chain redone in exact arithmetic, wrong values followed through it, the final answer "
         "compared with the reference, and the chain repaired to tell a sound chain (`valid`) from errors that "
         "cancel (`canceling_errors`), a right answer by luck (`lucky_guess`), a slip a calculator would have "
         "caught (`arithmetic_slip`) and an answer wrong however the arithmetic is repaired (`wrong_reasoning`)."),
        ("- Labels as people gave them in `inspect label` or as imported (ProcessBench, PRM800K, TRL); the "
         "`human_*` columns are resolved among annotators, `labels`, `step_labels` and `notes` hold everything."),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def _replaceable(folder: Path) -> bool:
    """``folder`` may be written: it does not exist, is empty, or holds an earlier export only."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    return all(
        p.is_file() and (p.name in _SAVED_FILES or (p.name.startswith(("data-", "cache-")) and p.suffix == ".arrow"))
        for p in folder.iterdir()
    )


def _write_hf(
    folder: Path,
    items: Iterator[tuple[ChainResult, ChainLabels]],
    how: Resolution,
    tally: _Tally,
    *,
    command: str | None,
    filters: str,
) -> CardFacts:
    """Write a ``datasets`` folder (``save_to_disk``) with a card, streaming the rows through a generator.

    ``Dataset.from_generator`` writes Arrow batches to a cache as it goes, so millions of chains never
    sit in memory (``from_list`` would hold them all). The cache and the new folder live in a
    temporary folder beside ``folder`` and the result is moved into place at the end: an export that
    fails halfway leaves nothing, and the user's cache (``~/.cache/huggingface``) is never touched.
    """
    try:
        import datasets
        from datasets.utils import logging as hf_logging
    except ImportError:
        raise MissingDependency(f"--format hf needs datasets, which is not installed: {_HF_HINT}") from None
    if not _replaceable(folder):
        raise InspectorError(f"{folder}: exists and is not an earlier export; give a new folder (nothing was written)")
    parent = folder.resolve().parent
    if not parent.is_dir():
        # the file system's refusal, as writing a file into a missing folder is: an environment failure
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(parent))
    schema = arrow_schema()
    features = datasets.Features.from_arrow_schema(schema)
    census: Counter[tuple[str, str]] = Counter()
    human: Counter[str] = Counter()
    rules: set[str] = set()
    step_rated = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal step_rated
        for result, labels in items:
            row = flat_row(result, labels, how, nested=True)
            census[(row["model"] or "(none)", row["verdict"])] += 1
            if row["human_label"] is not None:
                human[row["human_label"]] += 1
            step_rated += bool(labels.step_labels)
            rules.add(f"{result.rules_name}@{result.rules_hash[:12]}" if result.rules_hash else result.rules_name)
            tally.written += 1
            yield row

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # stderr is for our messages; restored below
    try:
        with tempfile.TemporaryDirectory(prefix=f".{folder.name}.", dir=parent) as work:
            staged = Path(work) / "dataset"
            stream = rows()
            first = next(stream, None)
            if first is None:  # from_generator cannot make an empty dataset
                dataset = datasets.Dataset.from_dict({name: [] for name in features}, features=features)
            else:
                # a fingerprint of our own: datasets would otherwise hash the generator (and its database)
                try:
                    dataset = datasets.Dataset.from_generator(
                        _chained, features=features, cache_dir=str(Path(work) / "cache"),
                        gen_kwargs={"first": first, "rest": stream}, fingerprint=uuid.uuid4().hex,
                    )  # fmt: skip
                except datasets.exceptions.DatasetGenerationError as exc:  # our own error, wrapped: unwrap it
                    if isinstance(exc.__cause__, InspectorError):
                        raise exc.__cause__ from None
                    raise
            # an empty dataset saved with the default sharding has no shard at all, and load_from_disk fails
            # on it (datasets 5.2): one shard, even empty
            dataset.save_to_disk(str(staged), num_shards=1 if first is None else None)
            del dataset  # its memory-mapped cache goes with the temporary folder
            facts = CardFacts(
                chains=tally.written,
                by_model_verdict=tuple(sorted((m, v, n) for (m, v), n in census.items())),
                human_labels=tuple(sorted(human.items())),
                step_rated=step_rated,
                conflicts=tally.conflicts,
                rules=tuple(sorted(rules)),
                filters=filters,
                command=command,
                created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                version=_version(),
            )
            (staged / "README.md").write_text(dataset_card(facts, schema), encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(staged, folder)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return facts


def _chained(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest
