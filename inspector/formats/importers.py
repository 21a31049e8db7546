"""Read other people's data (and our own exports) as chains plus the human labels that came with them.

| format | detected by | chains | labels |
|---|---|---|---|
| ``processbench`` | a JSON list (or JSONL) of ``{id, generator, problem, steps, final_answer_correct, label}`` | one per record, steps as given | see below |
| ``prm800k`` | JSONL with ``question`` and ``label`` objects | the labelled trajectory: at each step the chosen completion (or the labeller's own), and the completion that ended the labelling | each step's rating; ``valid`` for a ``solution`` with no −1 |
| ``lm-eval`` | lm-evaluation-harness ``samples_*.jsonl`` (``doc_id``, ``doc``, ``resps``) | one per response (``repeats``), a document logged under several filters once | none (metrics are not people) |
| ``trl`` | JSONL of ``{prompt, completions, labels}`` | the completions as steps | +1 / −1 per step |
| ``inspector`` / ``csv`` / ``parquet`` | our own exports | exactly the exported chains | exactly the exported labels |
| ``chains`` | anything else ``inspect verify`` reads | as ``inspect verify`` | none |

**ProcessBench labels** (``label`` = index of the earliest wrong step, −1 for none) become, by the
annotator named on the command line: step ratings +1 for the steps before ``label``, −1 at ``label``
(marked as the first error), nothing after it (ProcessBench does not judge later steps); +1 for every
step when ``label`` is −1. The chain label is ``valid`` when ``label`` is −1 and the final answer is
correct, ``canceling_errors`` when a step is wrong but the final answer is correct (people saw an error
that did not reach the answer; they do not say whether repaired arithmetic would), and
``wrong_reasoning`` when the final answer is wrong (people do not say whether a calculator would have
saved it, so ``arithmetic_slip`` is never claimed for them). The chain label's note keeps the original
``label`` and ``final_answer_correct``.

Records exported by ``inspect export`` in a field's format carry an ``"inspector"`` object (unless
exported ``--bare``); when present it wins, so an export imported again is the same chains with the
same labels, annotators and times.

ProcessBench gives no reference answers. ``references`` (any file ``inspect verify`` reads with a
problem and a reference, e.g. GSM8K's ``test.jsonl``) fills them in by problem text, so the machine
can judge the final answers too.

The readers are `import_datasets`' (the field's formats) and `import_exports`' (ours), over the records of
`import_records`; this module finds a file's format, fills in references and reads it with the right one.
Their public names are importable from here too.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from ..engine.model import ChainInput
from ..errors import InputError
from ..labels.labelset import ChainLabels
from .compressed import DECOMPRESSION_ERRORS, damaged
from .import_datasets import _lm_eval, _prm800k, _processbench, _trl
from .import_datasets import processbench_labels as processbench_labels
from .import_exports import _csv_rows, _flat_rows, _inspector_jsonl, _parquet_rows
from .import_records import Imported, _first_record
from .load import iter_chains
from .sources import sniff

__all__ = [
    "FORMATS",
    "Imported",
    "detect_format",
    "format_of_record",
    "iter_imported",
    "read_references",
    "with_reference",
    "with_references",
]

FORMATS = ("auto", "processbench", "prm800k", "lm-eval", "trl", "inspector", "csv", "parquet", "shards",
           "chains")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _problem_key(text: str) -> str:
    return " ".join(text.split())


# --- finding the format ----------------------------------------------------------------------------


def format_of_record(record: Mapping[str, Any]) -> str:
    """The import format a file's first record announces (``chains``: none of ours, ``load`` reads it)."""
    return _format_of_record(record)


def _format_of_record(record: Mapping[str, Any]) -> str:
    if isinstance(record.get("question"), dict) and isinstance(record.get("label"), dict):
        return "prm800k"
    if "doc_id" in record and ("resps" in record or "filtered_resps" in record):
        return "lm-eval"
    if "prompt" in record and "completions" in record and "labels" in record:
        return "trl"
    if "chain_id" in record and "cot" in record and "verdict" in record:
        return "inspector"
    if "steps" in record and type(record.get("label")) is int and "final_answer_correct" in record:
        return "processbench"
    return "chains"


def detect_format(path: str | os.PathLike[str]) -> str:
    """The import format of a file, from its extension and first record (see the module docstring)."""
    name = os.fspath(path)
    lower = name.lower()
    if (os.path.isdir(name) or lower.endswith(".parquet")) and _shards().is_shards(name):
        return "shards"
    if lower.endswith(".parquet"):
        return "parquet" if _is_our_parquet(name) else "chains"
    if lower.endswith(".csv"):
        return "csv"
    if name == "-" or not os.path.isfile(name) or sniff(name) != "text":
        return "chains"  # stdin, a dataset folder, a table or an archive: read by ``load``
    record, _ = _first_record(name)
    return _format_of_record(record) if record is not None else "chains"


def _shards() -> Any:
    from ..scale import shards

    return shards


def _is_our_parquet(name: str) -> bool:
    """A parquet file ``inspect export`` wrote (with ``chain_id`` and ``cot`` columns); any other parquet file
    (ProcessBench, GSM8K, TRL as published) is read by its fields, as JSONL records are. One that cannot be
    read at all stays ``parquet``, whose reader says why."""
    try:
        import pyarrow.parquet as pq

        names = set(pq.read_schema(name).names)
    except Exception:  # noqa: BLE001 - no pyarrow, not parquet, damaged: the parquet reader reports it
        return True
    return {"chain_id", "cot"} <= names


# --- references ------------------------------------------------------------------------------------


def read_references(path: str | os.PathLike[str]) -> dict[str, str]:
    """Problem text (whitespace-normalised) → reference answer, from any file ``inspect verify`` reads."""
    out: dict[str, str] = {}
    for chain in iter_chains(path):
        if chain.problem is not None and chain.reference is not None:
            out.setdefault(_problem_key(chain.problem), chain.reference)
    return out


# --- reading ---------------------------------------------------------------------------------------


def iter_imported(
    path: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    annotator: str | None = None,
    model: str | None = None,
    references: Mapping[str, str] | None = None,
    now: str | None = None,
    verdicts: Iterable[str] = (),
) -> Iterator[Imported]:
    """Chains and labels of a file in ``fmt`` (``auto``: detected).

    ``verdicts`` keeps only the chains the file records with one of these verdicts: the ``shards`` of
    ``inspect verify --ray`` (a folder of them, or one), the only format that records one.

    ``annotator`` names whoever made the labels of formats that don't say (ProcessBench, TRL) and
    overrides PRM800K's ``labeler``; ``model`` names the model where the format doesn't (PRM800K,
    lm-eval, TRL); ``now`` is the label time where the format has none. Unreadable records raise
    :class:`InputError` naming the file and record.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise InputError(name, None, "no such file")
    if fmt == "auto":
        fmt = detect_format(name)
    if fmt not in FORMATS:
        raise InputError(name, None, f"unknown import format {fmt!r} (one of {', '.join(FORMATS)})")
    stamp = now or _now()
    wanted = tuple(verdicts)
    if wanted and fmt != "shards":
        raise InputError(name, None, "chains are chosen by verdict only from the shards of inspect verify "
                         f"--ray (the only files that record one); this is read as {fmt}")
    readers: dict[str, Callable[[], Iterator[Imported]]] = {
        "shards": lambda: (Imported(chain, ChainLabels(), verdict)
                           for chain, verdict in _shards().iter_chains(name, verdicts=wanted)),
        "processbench": lambda: _processbench(name, annotator or "processbench", stamp),
        "prm800k": lambda: _prm800k(name, annotator, model or "prm800k", stamp),
        "lm-eval": lambda: _lm_eval(name, model),
        "trl": lambda: _trl(name, annotator or "trl", model, stamp),
        "inspector": lambda: _inspector_jsonl(name),
        "csv": lambda: _flat_rows(name, _csv_rows(name)),
        "parquet": lambda: _flat_rows(name, _parquet_rows(name)),
        "chains": lambda: (Imported(c, ChainLabels()) for c in iter_chains(name)),
    }
    items = _decompressed(name, readers[fmt]())
    if references:
        items = (_with_reference(item, references) for item in items)
    return items


def _decompressed(name: str, items: Iterator[Imported]) -> Iterator[Imported]:
    """Every format read through a compressed file: one that is damaged part way is named, whichever reader
    was reading it (the CSV module, the JSON lines, a ProcessBench document)."""
    try:
        yield from items
    except DECOMPRESSION_ERRORS as exc:
        raise damaged(name, exc) from None


def with_reference(chain: ChainInput, references: Mapping[str, str]) -> ChainInput:
    """The chain with its reference filled in from ``references`` (`read_references`) by its problem text, when
    it has none of its own."""
    if chain.reference is None and chain.problem is not None:
        ref = references.get(_problem_key(chain.problem))
        if ref is not None:
            return replace(chain, reference=ref)
    return chain


def with_references(chains: Iterable[ChainInput], references: Mapping[str, str]) -> Iterator[ChainInput]:
    """`with_reference` over a stream of chains (``inspect verify --references``)."""
    for chain in chains:
        yield with_reference(chain, references) if references else chain


def _with_reference(item: Imported, references: Mapping[str, str]) -> Imported:
    chain = with_reference(item.chain, references)
    return item if chain is item.chain else Imported(chain, item.labels, item.verdict)
