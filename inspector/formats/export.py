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

The encoders of one chain are `export_records`', the ``hf`` folder and its card `export_hf`'s; this module
streams the store through them into a file. Their public names are importable from here too.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from .. import store
from ..engine.model import ChainResult
from ..extras import require
from ..labels.labelset import ChainLabels, Resolution, resolve_chain, resolve_steps
from .export_hf import CardFacts, _filters, _write_hf, dataset_card
from .export_records import (
    COLUMN_DOCS,
    FLAT_COLUMNS,
    NESTED_COLUMNS,
    arrow_schema,
    chain_record,
    flat_row,
    labels_json,
    prm800k_record,
    processbench_record,
    step_texts,
    trl_record,
)

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
