"""Our own exports read back: the ``jsonl`` records, the ``csv`` and ``parquet`` rows, and the ``"inspector"``
object the field's formats carry, each giving exactly the chains and labels that were exported.

Apart from `import_datasets` because the labels here are ours, each checked before it enters the store as a
human judgement, where theirs are mapped from another scheme.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..engine.model import ChainInput, Verdict
from ..errors import InputError
from ..extras import require
from ..labels.labelset import CHAIN_LABELS, ChainLabel, ChainLabels, Note, StepLabel
from .compressed import open_input
from .import_records import Imported, _records, _str


def _from_provenance(p: Mapping[str, Any], name: str, number: int) -> Imported:
    """The chain and labels an export's ``"inspector"`` object (or a ``jsonl`` record) describes."""
    try:
        steps = p.get("input_steps")
        chain = ChainInput(
            chain_id=_str(p["chain_id"], "chain_id", name, number),
            cot=_str(p["cot"], "cot", name, number),
            problem_id=p.get("problem_id"),
            problem=p.get("problem"),
            reference=p.get("reference"),
            model=p.get("model"),
            sample_index=p.get("sample_index"),
            source=p.get("source") or f"{name}:{number}",
            steps=tuple(steps) if steps is not None else None,
        )
        return Imported(chain, _labels_from_json(chain.chain_id, p))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputError(name, number, f"not a chain as inspect export writes it: {what}") from exc


_KNOWN_LABELS = frozenset(CHAIN_LABELS) | {v.value for v in Verdict}


def _labels_from_json(chain_id: str, p: Mapping[str, Any]) -> ChainLabels:
    """The labels an export carries, each checked: a label the tool does not know, an annotator that is not a
    name, a rating other than -1, 0, 1 would enter the store as a human judgement nobody gave."""
    for x in p.get("labels") or ():
        if x.get("label") not in _KNOWN_LABELS:
            raise ValueError(f"unknown chain label {x.get('label')!r} (one of {', '.join(sorted(_KNOWN_LABELS))})")
    for x in [*(p.get("labels") or ()), *(p.get("step_labels") or ()), *(p.get("notes") or ())]:
        if not isinstance(x.get("annotator"), str) or not x["annotator"].strip():
            raise ValueError(f"a label without an annotator's name: {x!r}"[:200])
    for x in p.get("step_labels") or ():
        if x.get("rating") is not None and x.get("rating") not in (-1, 0, 1):
            raise ValueError(f"step rating {x.get('rating')!r} (one of -1, 0, 1)")
    return ChainLabels(
        tuple(
            ChainLabel(chain_id, x.get("annotator"), x["label"], x["created_at"], x.get("note"),
                       x.get("superseded_at"), x.get("machine_verdict"))
            for x in p.get("labels") or ()
        ),
        tuple(
            StepLabel(chain_id, int(x["step"]), x.get("annotator"), x.get("rating"), x["created_at"],
                      bool(x.get("first_error")), x.get("superseded_at"))
            for x in p.get("step_labels") or ()
        ),
        tuple(
            Note(chain_id, x.get("annotator"), x["text"], x["created_at"], x.get("superseded_at"))
            for x in p.get("notes") or ()
        ),
    )  # fmt: skip

# our own exports ---------------------------------------------------------------------------------------


def _inspector_jsonl(name: str) -> Iterator[Imported]:
    for number, record in _records(name):
        yield _from_provenance(record, name, number)


def _csv_rows(name: str) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)
    with io.TextIOWrapper(open_input(name), encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            raise InputError(name, reader.line_num + 1, f"not UTF-8 text (byte {exc.start} of a read)") from None
        except csv.Error as exc:
            raise InputError(name, reader.line_num, f"not a CSV file as inspect export writes it: {exc}") from None


def _parquet_rows(name: str) -> Iterator[dict[str, Any]]:
    pq = require("pyarrow.parquet", "reading parquet")
    import pyarrow as pa

    try:
        parquet = pq.ParquetFile(name)
        for batch in parquet.iter_batches(batch_size=1000):
            yield from batch.to_pylist()
    except (pa.ArrowException, OSError) as exc:  # ArrowInvalid: not a parquet file, a damaged one
        raise InputError(name, None, f"not a readable parquet file: {exc}") from None


def _flat_rows(name: str, rows: Iterable[dict[str, Any]]) -> Iterator[Imported]:
    """Rows of our ``csv`` (labels as JSON text in ``labels_json``, ...) or ``parquet`` export (labels as nested
    lists in ``labels``, ...; parquet written before they were nested has the JSON text too)."""
    for number, row in enumerate(rows, 2 if name.lower().endswith(".csv") else 1):
        if "chain_id" not in row or "cot" not in row or ("labels_json" not in row and "labels" not in row):
            raise InputError(name, number, "not a row as inspect export writes it (chain_id, cot, labels)")

        def blank(v: Any) -> Any:
            return None if v == "" else v

        try:
            sample = blank(row.get("sample_index"))
            record = {
                "chain_id": row["chain_id"], "cot": row["cot"], "problem_id": blank(row.get("problem_id")),
                "problem": blank(row.get("problem")), "reference": blank(row.get("reference")),
                "model": blank(row.get("model")), "sample_index": int(sample) if sample is not None else None,
                "source": blank(row.get("source")), "input_steps": _listed(row, "input_steps"),
                "labels": _listed(row, "labels") or [], "step_labels": _listed(row, "step_labels") or [],
                "notes": _listed(row, "notes") or [],
            }  # fmt: skip
        except ValueError as exc:
            raise InputError(name, number, f"unreadable labels: {exc}") from exc
        yield _from_provenance(record, name, number)


def _listed(row: Mapping[str, Any], column: str) -> Any:
    """A list column of our export: nested (parquet: already a list, or null) or JSON text (csv, older parquet)."""
    if column in row:
        return row[column]
    text = row.get(f"{column}_json")
    return json.loads(text) if text else None
