"""The Parquet shards `inspect verify --ray` writes, and reading them back (import, report) with pyarrow only.

A shard's columns are the JSONL contract's fields (``ChainResult.to_json``, a typed column each, nested ones
lists of structs), then the chain as it was read (``cot``, ``problem``, ``source``, ``input_steps``). The
JSONL leaves those out because its reader has the input beside it; a folder of shards on object storage has to
stand alone: `inspect import` verifies the chains again from them, and ``source`` names the problem set.

Typed columns rather than one column of JSON text: DuckDB, pandas and Ray read ``verdict`` or ``errors``
without parsing anything. The schema is fixed, so every shard of every run has the same one (one inferred
from each batch would make a claim without a ``reason`` another struct than one with); `record_of` turns a
row back into the exact record ``inspect verify --format jsonl`` prints (optional fields left out where they
are null).

Each file carries ``cot_inspector: verify-shard/1`` in its Parquet metadata, and a finished run leaves
``_inspector.json`` (`MANIFEST`) beside its shards; the leading underscore keeps pyarrow, pandas and Ray's
readers of the folder from reading it as data.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.model import ChainInput, ChainResult, Verdict
from ..errors import InputError
from ..extras import require

__all__ = [
    "CONTRACT_COLUMNS",
    "INPUT_COLUMNS",
    "MANIFEST",
    "ShardSummary",
    "chain_of",
    "filesystem",
    "is_shards",
    "iter_chains",
    "iter_records",
    "iter_rows",
    "manifest",
    "record_of",
    "report_rows",
    "rules_of",
    "schema",
    "shard_files",
    "summarize",
    "table",
    "write_manifest",
]

METADATA_KEY = b"cot_inspector"
METADATA_VALUE = b"verify-shard/1"
MANIFEST = "_inspector.json"
"""Written beside the shards once a run has finished: a folder without it holds what a stopped run wrote."""

CONTRACT_COLUMNS = (
    "chain_id", "problem_id", "model", "sample_index", "problem_set", "final_answer", "final_answer_method",
    "reference", "answer_correct", "verdict", "explanation", "repaired_answer", "repaired_correct", "errors",
    "findings", "steps", "flows", "rules", "coverage",
)  # fmt: skip
"""The record's fields, in ``ChainResult.to_json``'s order."""
INPUT_COLUMNS = ("cot", "problem", "source", "input_steps")
"""The chain as read, beside the record (the names our ``parquet`` export uses for the same things)."""
_OMITTED_WHEN_NULL = frozenset({"problem_set", "coverage"})
"""Fields ``to_json`` writes only when they have a value."""

_COVERAGE = ("claims_checked", "claims_unverifiable", "numbers_unchecked", "code_blocks", "output_blocks")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def _pa() -> Any:
    return require("pyarrow", "reading and writing the shards of inspect verify --ray")


@functools.cache
def schema() -> Any:
    """The ``pyarrow.Schema`` of every shard."""
    pa = _pa()
    span = pa.list_(pa.int64())
    finding = [("step", pa.int64()), ("span", span), ("stated", pa.string()), ("actual", pa.string()),
               ("rule", pa.string()), ("message", pa.string())]  # fmt: skip
    claim = pa.struct([
        ("span", span), ("text", pa.string()), ("stated", pa.string()), ("actual", pa.string()),
        ("status", pa.string()), ("kind", pa.string()), ("rule", pa.string()), ("reason", pa.string()),
    ])  # fmt: skip
    fields = [
        ("chain_id", pa.string()), ("problem_id", pa.string()), ("model", pa.string()),
        ("sample_index", pa.int64()), ("problem_set", pa.string()), ("final_answer", pa.string()),
        ("final_answer_method", pa.string()), ("reference", pa.string()), ("answer_correct", pa.bool_()),
        ("verdict", pa.string()), ("explanation", pa.string()), ("repaired_answer", pa.string()),
        ("repaired_correct", pa.bool_()),
        ("errors", pa.list_(pa.struct(finding))),
        ("findings", pa.list_(pa.struct([*finding, ("severity", pa.string())]))),
        ("steps", pa.list_(pa.struct([("index", pa.int64()), ("span", span), ("claims", pa.list_(claim))]))),
        ("flows", pa.list_(pa.struct([("step", pa.int64()), ("span", span), ("value", pa.string()),
                                      ("from_step", pa.int64()), ("tainted", pa.bool_())]))),
        ("rules", pa.struct([("name", pa.string()), ("hash", pa.string())])),
        ("coverage", pa.struct([(k, pa.int64()) for k in _COVERAGE])),
        ("cot", pa.large_string()), ("problem", pa.string()), ("source", pa.string()),
        ("input_steps", pa.list_(pa.string())),
    ]  # fmt: skip
    assert tuple(name for name, _ in fields) == CONTRACT_COLUMNS + INPUT_COLUMNS
    return pa.schema(fields, metadata={METADATA_KEY: METADATA_VALUE})


def table(results: Iterable[ChainResult]) -> Any:
    """A ``pyarrow.Table`` of shard rows, one a result."""
    rows = []
    for result in results:
        chain = result.chain
        rows.append({**result.to_json(), "cot": chain.cot, "problem": chain.problem, "source": chain.source,
                     "input_steps": list(chain.steps) if chain.steps is not None else None})
    return _pa().Table.from_pylist(rows, schema=schema())


def record_of(row: dict[str, Any]) -> dict[str, Any]:
    """The record ``inspect verify --format jsonl`` prints for the chain of a shard row."""
    record: dict[str, Any] = {}
    for name in CONTRACT_COLUMNS:
        value = row[name]
        if value is None and name in _OMITTED_WHEN_NULL:
            continue
        if name == "steps":
            value = [{**step, "claims": [{k: v for k, v in claim.items() if k != "reason" or v is not None}
                                         for claim in step["claims"]]} for step in value]
        record[name] = value
    return record


def chain_of(row: dict[str, Any]) -> ChainInput:
    """The chain of a shard row as it was read, to verify again."""
    steps = row.get("input_steps")
    return ChainInput(
        chain_id=row["chain_id"], cot=row["cot"], problem_id=row["problem_id"], problem=row["problem"],
        reference=row["reference"], model=row["model"], sample_index=row["sample_index"],
        source=row["source"], steps=tuple(steps) if steps is not None else None,
        problem_set=row["problem_set"],
    )  # fmt: skip


# --- finding shards -----------------------------------------------------------------------------------


def filesystem(path: str) -> tuple[Any, str]:
    """The ``pyarrow.fs.FileSystem`` of a local path or a URI (``s3://``, ``gs://``, ``hdfs://``,
    ``file://``), and the path on it."""
    fs = require("pyarrow.fs", "reading the shards of inspect verify --ray")
    if _URI.match(path):
        try:
            return fs.FileSystem.from_uri(path)  # type: ignore[no-any-return]
        except (_pa().ArrowException, OSError, ValueError) as exc:
            raise InputError(path, None, f"cannot reach it: {exc}") from None
    return fs.LocalFileSystem(), os.path.abspath(path)


def _is_shard(fs: Any, path: str) -> bool:
    pq = require("pyarrow.parquet", "reading the shards of inspect verify --ray")
    try:
        metadata = pq.read_schema(path, filesystem=fs).metadata or {}
    except (_pa().ArrowException, OSError):
        return False
    return bool(metadata.get(METADATA_KEY) == METADATA_VALUE)


def _listing(fs: Any, path: str) -> list[str] | None:
    """The parquet files of a folder in the order a run wrote them (by name, its numbers read as numbers);
    ``None`` when it is no folder."""
    pafs = require("pyarrow.fs", "reading the shards of inspect verify --ray")
    info = fs.get_file_info(path)
    if info.type != pafs.FileType.Directory:
        return None
    files = [f for f in fs.get_file_info(pafs.FileSelector(path)) if f.type == pafs.FileType.File
             and f.base_name.endswith(".parquet") and not f.base_name.startswith(("_", "."))]
    return [f.path for f in sorted(files, key=lambda f: _natural(f.base_name))]


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """``part_2`` before ``part_10``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name) if p)


def is_shards(path: str) -> bool:
    """Whether ``path`` is a shard of ``inspect verify --ray``, a folder whose first parquet file is one, or a
    folder a run with nothing to write left its manifest in (a folder of anything else, a database: no)."""
    local_file = path.lower().endswith(".parquet") and os.path.isfile(path)
    if not (_URI.match(path) or os.path.isdir(path) or local_file):
        return False  # a database, a JSONL file: known without importing pyarrow
    try:
        fs, where = filesystem(path)
        listed = _listing(fs, where)
    except (InputError, OSError):
        return False
    if listed is None:
        return where.lower().endswith(".parquet") and _is_shard(fs, where)
    if not listed:  # a run of inputs without a chain: no shard, but its manifest
        return (manifest(path) or {}).get("format") == METADATA_VALUE.decode()
    return _is_shard(fs, listed[0])


def shard_files(path: str) -> tuple[Any, list[str]]:
    """The file system and shard files of a folder of shards (or of one shard); ``InputError`` for a path that
    is neither, or a folder with a parquet file that is not one of ours."""
    fs, where = filesystem(path)
    try:
        listed = _listing(fs, where)
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc}") from None
    files = [where] if listed is None else listed
    pafs = require("pyarrow.fs", "reading the shards of inspect verify --ray")
    if listed is None and fs.get_file_info(where).type == pafs.FileType.NotFound:
        raise InputError(path, None, "no such file or folder")
    for name in files:
        if not _is_shard(fs, name):
            raise InputError(name, None, "not a shard written by inspect verify --ray (no 'cot_inspector: "
                             "verify-shard/1' in its parquet metadata)")
    return fs, files


def manifest(path: str) -> dict[str, Any] | None:
    """``_inspector.json`` of a folder of shards: what the run read, with which rules, how many chains, what
    it skipped; ``None`` when the run that wrote the folder did not finish (or ``path`` is one shard)."""
    fs, where = filesystem(path)
    try:
        with fs.open_input_stream(f"{where.rstrip('/')}/{MANIFEST}") as f:
            data = json.loads(f.read())
    except (OSError, ValueError, _pa().ArrowException):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(path: str, content: dict[str, Any]) -> None:
    """Mark a folder of shards whole (the driver, once every shard is written)."""
    fs, where = filesystem(path)
    fs.create_dir(where, recursive=True)  # inputs without a chain: Ray wrote nothing, not even the folder
    with fs.open_output_stream(f"{where.rstrip('/')}/{MANIFEST}") as f:
        f.write(json.dumps(content, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


# --- reading ------------------------------------------------------------------------------------------

ROWS_AT_A_TIME = 1000


def _batches(path: str, columns: Sequence[str] | None, verdicts: Sequence[str] = ()) -> Iterator[Any]:
    """The shards' rows as ``pyarrow.RecordBatch``es, in the order they were written, optionally only those of
    some verdicts (filtered in Arrow, before anything becomes a Python object)."""
    pa = _pa()
    pq = require("pyarrow.parquet", "reading the shards of inspect verify --ray")
    pc = require("pyarrow.compute", "reading the shards of inspect verify --ray")
    fs, files = shard_files(path)
    wanted = pa.array(sorted(set(verdicts)), type=pa.string()) if verdicts else None
    for name in files:
        try:
            with pq.ParquetFile(fs.open_input_file(name)) as parquet:
                for batch in parquet.iter_batches(batch_size=ROWS_AT_A_TIME, columns=columns):
                    if wanted is not None:
                        batch = batch.filter(pc.is_in(batch.column("verdict"), value_set=wanted))
                    if batch.num_rows:
                        yield batch
        except (pa.ArrowException, OSError) as exc:
            raise InputError(name, None, f"not a readable shard: {exc}") from None


def iter_rows(
    path: str, *, columns: Sequence[str] | None = None, verdicts: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """Every shard row as a dict (``columns`` only, when given), in the order they were written."""
    for batch in _batches(path, columns, verdicts):
        yield from batch.to_pylist()


def iter_records(path: str, *, verdicts: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """The JSONL contract's records of a folder of shards (or one shard)."""
    for row in iter_rows(path, columns=CONTRACT_COLUMNS, verdicts=verdicts):
        yield record_of(row)


def iter_chains(path: str, *, verdicts: Sequence[str] = ()) -> Iterator[tuple[ChainInput, str]]:
    """The chains of the shards as they were read, each with the verdict the shards record for it."""
    for row in iter_rows(path, columns=[*CONTRACT_COLUMNS[:13], *INPUT_COLUMNS], verdicts=verdicts):
        yield chain_of(row), row["verdict"]


def rules_of(path: str) -> set[tuple[str, str]]:
    """The rule sets (name, hash) the shards were verified with."""
    pa = _pa()
    pc = require("pyarrow.compute", "reading the shards of inspect verify --ray")
    found: set[tuple[str, str]] = set()
    for batch in _batches(path, ["rules"]):
        rules = batch.column("rules")
        pairs = pa.table({"n": pc.struct_field(rules, "name"), "h": pc.struct_field(rules, "hash")})
        distinct = pairs.group_by(["n", "h"]).aggregate([])
        found.update(zip(distinct.column("n").to_pylist(), distinct.column("h").to_pylist(), strict=True))
    return found


def report_rows(path: str) -> Iterator[Any]:
    """The shards as ``store.ReportRow``s, as ``store.iter_report_rows`` gives a database of the same chains.

    A chain id met again with the same text counts once, and with another text is refused, as ``inspect
    import`` of the same shards keeps the first and refuses the other (so that the two reports agree).
    """
    from ..store import ReportRow

    pa = _pa()
    pc = require("pyarrow.compute", "reading the shards of inspect verify --ray")
    seen: dict[int, int] = {}
    """hash of a chain id → hash of its text: a million ids and texts as strings would cost gigabytes."""
    columns = ["chain_id", "problem_id", "model", "source", "verdict", "answer_correct", "repaired_correct",
               "errors", "steps", "problem_set", "cot"]  # fmt: skip
    for batch in _batches(path, columns):
        steps = pc.list_value_length(batch.column("steps")).fill_null(0).to_pylist()
        errors = batch.column("errors")
        first: list[int | None] = [None] * batch.num_rows
        flat = pc.list_flatten(errors)
        if len(flat):
            parents = pc.list_parent_indices(errors)
            grouped = pa.table({"p": parents, "s": pc.struct_field(flat, "step")}).group_by("p").aggregate(
                [("s", "min")])
            for parent, step in zip(grouped.column("p").to_pylist(), grouped.column("s_min").to_pylist(),
                                    strict=True):
                first[parent] = step
        scalars = {c: batch.column(c).to_pylist() for c in ("chain_id", "problem_id", "model", "source",
                                                             "verdict", "answer_correct", "repaired_correct",
                                                             "problem_set")}  # fmt: skip
        texts = batch.column("cot")
        for k, cid in enumerate(scalars["chain_id"]):
            source = scalars["source"][k]
            key, text = hash(cid), hash(texts[k].as_py())
            if key in seen:
                if seen[key] == text:
                    continue  # the same chain again: counted once, as the database stores it once
                raise InputError.at(source, f"chain id {cid!r} is already used by an earlier record of these "
                                    "shards for another text: give each record its own id")
            seen[key] = text
            yield ReportRow(cid, scalars["problem_id"][k], scalars["model"][k], source, scalars["verdict"][k],
                            scalars["answer_correct"][k], scalars["repaired_correct"][k], first[k], steps[k],
                            scalars["problem_set"][k])


# --- the summary `inspect verify --ray` prints ---------------------------------------------------------


@dataclass(slots=True)
class ShardSummary:
    """What the ``--format table`` summary of a run shows, read back from its shards."""

    chains: int = 0
    shards: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    models: dict[str, Counter[str]] = field(default_factory=dict)
    rule_counts: Counter[str] = field(default_factory=Counter)
    worst: list[Any] = field(default_factory=list)
    """``batch.Outcome``s of the most suspicious chains (with errors), at most ``WORST``."""
    repeated_ids: int = 0
    """Chain ids met more than once (import and report refuse the second)."""


WORST = 10
_SUSPICION = (Verdict.LUCKY_GUESS, Verdict.CANCELING_ERRORS, Verdict.ARITHMETIC_SLIP, Verdict.WRONG_REASONING,
              Verdict.UNDECIDED, Verdict.UNREFERENCED, Verdict.NO_ANSWER, Verdict.UNCHECKED, Verdict.VALID)


def summarize(path: str) -> ShardSummary:
    """Counts by verdict and model, findings by rule and the most suspicious chains of a folder of shards,
    computed in Arrow a batch at a time (a million chains in seconds, never all in memory)."""
    from .workers import Outcome

    pa = _pa()
    pc = require("pyarrow.compute", "reading the shards of inspect verify --ray")
    out = ShardSummary()
    _, files = shard_files(path)
    out.shards = len(files)
    ids: set[int] = set()
    rank = pa.array([v.value for v in _SUSPICION], type=pa.string())
    candidates: list[tuple[int, int, dict[str, Any]]] = []
    columns = ["chain_id", "model", "verdict", "final_answer", "repaired_answer", "errors", "findings"]
    for batch in _batches(path, columns):
        out.chains += batch.num_rows
        models = batch.column("model").fill_null("(none)")
        grouped = pa.table({"m": models, "v": batch.column("verdict")}).group_by(["m", "v"]).aggregate(
            [("v", "count")])
        for m, v, n in zip(*(grouped.column(c).to_pylist() for c in ("m", "v", "v_count")), strict=True):
            out.models.setdefault(m, Counter())[v] += n
            out.counts[v] += n
        for column, severity in (("errors", "error"), ("findings", None)):
            flat = pc.list_flatten(batch.column(column))
            if not len(flat):
                continue
            rules = pc.struct_field(flat, "rule")
            severities = pc.struct_field(flat, "severity") if severity is None else pa.array(
                [severity] * len(flat), type=pa.string())
            suffix = pc.binary_join_element_wise(" (", severities, ")", "")
            labelled = pc.binary_join_element_wise(rules, suffix, "")
            for item in pc.value_counts(labelled).to_pylist():
                out.rule_counts[item["values"]] += item["counts"]
        for cid in batch.column("chain_id").to_pylist():
            key = hash(cid)
            if key in ids:
                out.repeated_ids += 1
            ids.add(key)
        error_count = pc.list_value_length(batch.column("errors")).fill_null(0)
        with_errors = pc.greater(error_count, 0)
        if pc.any(with_errors).as_py():
            picked = batch.filter(with_errors)
            ranks = pc.index_in(picked.column("verdict"), value_set=rank).to_pylist()
            counts = pc.list_value_length(picked.column("errors")).to_pylist()
            order = sorted(range(picked.num_rows), key=lambda k: (ranks[k] if ranks[k] is not None else 99,
                                                                   -counts[k]))[:WORST]
            rows = picked.take(pa.array(order, type=pa.int64())).to_pylist()
            candidates.extend((ranks[k] if ranks[k] is not None else 99, -counts[k], row)
                              for k, row in zip(order, rows, strict=True))
            candidates.sort(key=lambda c: c[:2])
            del candidates[WORST:]
    for _, _, row in candidates:
        first = row["errors"][0]
        out.worst.append(Outcome(
            chain_id=row["chain_id"], model=row["model"], verdict=Verdict(row["verdict"]),
            final_answer=row["final_answer"], repaired_answer=row["repaired_answer"],
            error_count=len(row["errors"]),
            first_error=f"step {first['step']}: {first['stated']} (true {first['actual']})",
            finding_labels=(), json=None, rows=None,
        ))  # fmt: skip
    return out


