"""`inspect verify --ray`: the inputs read as a Ray Dataset, verified in ``map_batches``, written as Parquet.

The data flows as under ``--workers`` (``batch``), only across machines:

    read (a task an input)  →  map_batches(VerifyBatch)  →  write_parquet(DIR)  →  DIR/_inspector.json
    raw lines or table rows,    each parsed by ``load``'s    the JSONL contract's    written by the driver
    with FILE and LINE          record functions, verified   records (``shards``)    once the run is whole

Reading is cheap and stays one task an input (a line's number is counted from the file's start, and gzip
cannot be split); parsing, verifying and building the records, the costly part, is spread over one actor per
CPU of the cluster. Inputs ``load`` does not read line by line (a JSON document, an inspect_ai log, a
``save_to_disk`` folder, a database, the formats ``inspect import`` reads) are read whole by their task, with
the very reader ``inspect verify`` uses, from a local (or shared) path.

An unreadable record never becomes a traceback: without ``--skip-invalid`` the first one a worker meets stops
the run and is reported as ``FILE:LINE: what``; with it, each is counted and listed as ``inspect verify``
lists them. Workers tell the driver through a small actor (`ErrorLog`): an exception raised in a Ray task
reaches the driver only as text.

Ray is imported here and nowhere else; the CLI imports this module only for ``--ray``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import io
import json
import logging
import os
import pickle
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, Any

from ..engine.model import ChainInput, ChainResult
from ..engine.rules import RuleSet
from ..errors import InputError, InspectorError
from ..extras import require
from ..formats import load, sources
from ..formats.compressed import DECOMPRESSION_ERRORS, damaged, decompressed, open_input, plain_name
from ..formats.importers import with_reference
from . import shards
from .workers import verified


def _ray() -> Any:
    """Ray, imported when a run starts (so this module imports without it: the regex audit, the docs)."""
    return require("ray", "inspect verify --ray", extra="ray")


def _data() -> Any:
    return require("ray.data", "inspect verify --ray", extra="ray")


def _pa() -> Any:
    return require("pyarrow", "inspect verify --ray", extra="ray")


__all__ = ["ErrorLog", "RayJobFailed", "RayRun", "VerifyBatch", "plan_inputs", "verify_on_ray"]

BATCH_SIZE = 256
"""Records a worker verifies at a time: enough to make Ray's hand-over per batch small against the ~0.2 ms a
chain takes, few enough that the work stays spread over every worker to the end."""
BLOCK_ROWS = 1024
BLOCK_BYTES = 16 << 20
"""A read task hands over this many lines (or this many bytes of them, whichever comes first) at a time: the
blocks the actors share out (Ray may cut them smaller still to keep every actor busy)."""
ROWS_PER_SHARD = 100_000
"""Records per Parquet file at least (Ray's hint): a million chains make about ten shards, not thousands."""
WRITE_TASK: dict[str, Any] = {"num_cpus": 0}
"""Ray's arguments of the tasks that write the shards: no CPU of their own, as the read tasks. Encoding
parquet is a small part of a record's cost, and a write task waiting for a CPU the verifying actors hold would
keep every record in the object store until verifying ends."""
KEEP_SKIPPED = 10_000
"""Unreadable records listed in full; beyond these they are only counted (a wrong --field makes every record
unreadable, and a million messages would not help anyone)."""

LINE, ROW, CHAIN, ERROR = 0, 1, 2, 3
"""What a work row's payload is: a raw JSONL line, a pickled table row, a pickled ``ChainInput`` already read,
or an unreadable record's message."""

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


class RayJobFailed(InspectorError):
    """The Ray job failed for a reason that is not an input's (a worker or a node lost, memory, a bug)."""


# --- the plan: what each input is, decided on the driver ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Input:
    """One input and how its read task reads it."""

    name: str
    """As given: in every ``FILE:LINE`` and every chain's ``source``, as ``inspect verify`` names it."""
    location: str
    """What the task opens: an absolute local path, or the URI."""
    kind: str
    """``lines`` (JSONL, compressed or not), ``table`` (parquet, Arrow), ``chains`` (read whole by ``load``),
    ``imported`` (a format ``inspect import`` reads) or ``database``."""
    detail: str | None = None
    """The table's format, or the import format."""
    size: int | None = None


def _import_format(path: str) -> str | None:
    """The import format of a local file ``load`` does not read itself (as ``inspect verify`` asks it)."""
    if not os.path.isfile(path):
        return None
    from ..formats.importers import detect_format

    kind = detect_format(path)
    return None if kind == "chains" else kind


def plan_inputs(inputs: Sequence[str], read: load.ReadOptions) -> list[Input]:
    """What each input is, decided as ``inspect verify`` decides it (local paths), or by its first bytes
    (URIs: JSONL and parquet/Arrow only). ``InputError`` for a missing input or one ``--ray`` cannot read."""
    return [_plan_uri(path, read) if _URI.match(path) else _plan_local(path, read) for path in inputs]


def _plan_local(path: str, read: load.ReadOptions) -> Input:
    location = os.path.abspath(path)
    size = os.path.getsize(path) if os.path.isfile(path) else None
    if path.startswith(sources.HUB_PREFIX) and not os.path.exists(path):
        return Input(path, path, "chains")
    if not os.path.exists(path):
        raise InputError(path, None, "no such file")
    if path.endswith(_DATABASE_SUFFIXES):
        return Input(path, location, "database", size=size)
    if read == load.AUTO and (fmt := _import_format(path)) is not None:
        return Input(path, location, "imported", fmt, size)
    if load.splittable(path, read):
        return Input(path, location, "lines", size=size)
    table = read.container if read.container in ("parquet", "arrow") else (
        sources.sniff(path) if os.path.isfile(path) and read.container is None else None)
    if table in ("parquet", "arrow"):
        return Input(path, location, "table", table, size)
    return Input(path, location, "chains", size=size)


def _plan_uri(uri: str, read: load.ReadOptions) -> Input:
    pafs = require("pyarrow.fs", "inspect verify --ray", extra="ray")
    fs, where = shards.filesystem(uri)
    try:
        info = fs.get_file_info(where)
        if info.type == pafs.FileType.NotFound:
            raise InputError(uri, None, "no such file")
        if info.type != pafs.FileType.File:
            raise InputError(uri, None, "is a folder, not a file (give its files)")
        with fs.open_input_stream(where, compression=None) as f:
            head = f.read(8)
    except (OSError, _pa().ArrowException) as exc:
        raise InputError(uri, None, f"cannot open: {exc}") from None
    kind = read.container or sources.kind_of(uri, head)
    local_only = ("--ray reads it from a local or shared path only (from a URI: JSONL, gzip or zstd, "
                  "parquet, Arrow)")
    if kind in ("parquet", "arrow"):
        if read == load.AUTO and kind == "parquet":
            pq = require("pyarrow.parquet", "inspect verify --ray", extra="ray")
            names = set(pq.read_schema(where, filesystem=fs).names)
            if {"chain_id", "cot"} <= names:
                raise InputError(uri, None, f"an export or shards of cot-inspector: {local_only}")
        return Input(uri, uri, "table", kind, info.size)
    document = plain_name(uri).lower().endswith(".json") and read.container != "jsonl"
    if kind in ("text", "jsonl") and not document:
        if read == load.AUTO:
            fmt = _first_record_format(fs, where, uri)
            if fmt != "chains":
                raise InputError(uri, None, f"a {fmt} file: {local_only}")
        return Input(uri, uri, "lines", size=info.size)
    what = {"zip": "an inspect_ai .eval archive", "hf": "a dataset", "inspect-ai": "an inspect_ai log"}.get(
        kind, "a JSON document")
    raise InputError(uri, None, f"{what}: {local_only}")


def _first_record_format(fs: Any, where: str, name: str) -> str:
    """The ``inspect import`` format of a remote JSONL file's first record (``chains`` for plain chains)."""
    from ..formats.importers import format_of_record

    with ExitStack() as stack:
        stream = _open_remote(stack, fs, where, name)
        try:
            for raw in load.capped_lines(stream, 1 << 24):
                if raw is not None and raw.strip():
                    record = json.loads(raw)
                    return format_of_record(record) if isinstance(record, dict) else "chains"
        except (ValueError, RecursionError, *DECOMPRESSION_ERRORS):
            pass  # the read task names the line, or the damaged file
    return "chains"


def _open_remote(stack: ExitStack, fs: Any, where: str, name: str) -> IO[bytes]:
    try:
        raw = stack.enter_context(io.BufferedReader(fs.open_input_stream(where, compression=None), 1 << 16))
    except (OSError, _pa().ArrowException) as exc:
        raise InputError(name, None, f"cannot open: {exc}") from None
    stream = decompressed(raw)
    if stream is not raw:
        stack.callback(stream.close)
    return stream


# --- reading: one task an input ---------------------------------------------------------------------------


WorkRow = tuple[str, int | None, int, bytes | None]
"""``(name, number, kind, payload)``: one record of an input, as a read task hands it over."""


def _work_schema() -> Any:
    pa = _pa()
    return pa.schema([("name", pa.string()), ("number", pa.int64()), ("kind", pa.int8()),
                      ("payload", pa.large_binary())])  # fmt: skip


def _blocks(rows: Iterator[WorkRow]) -> Iterator[Any]:
    """Work rows as Arrow tables of ``BLOCK_ROWS`` rows (or ``BLOCK_BYTES``), as they are read."""
    schema = _work_schema()

    def block(columns: list[list[Any]]) -> Any:
        arrays = [_pa().array(c, type=t) for c, t in zip(columns, schema.types, strict=True)]
        return _pa().Table.from_arrays(arrays, schema=schema)

    columns: list[list[Any]] = [[], [], [], []]
    size = 0
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
        size += len(row[3] or b"")
        if len(columns[0]) >= BLOCK_ROWS or size >= BLOCK_BYTES:
            yield block(columns)
            columns = [[], [], [], []]
            size = 0
    if columns[0]:
        yield block(columns)


def _local_name(inp: Input) -> str:
    """The path the readers of whole inputs are given: the name as given where this process's working folder
    resolves it to the same file (then every ``source`` is spelled as ``inspect verify`` spells it), else the
    absolute path."""
    return inp.name if os.path.abspath(inp.name) == inp.location else inp.location


def _work_rows(inp: Input, read: load.ReadOptions, skip_invalid: bool) -> Iterator[WorkRow]:
    """The records of one input."""
    if inp.kind == "lines":
        with ExitStack() as stack:
            if _URI.match(inp.location):
                fs, where = shards.filesystem(inp.location)
                stream = _open_remote(stack, fs, where, inp.name)
            else:
                try:
                    stream = stack.enter_context(open_input(inp.location))
                except OSError as exc:
                    raise InputError(inp.name, None, f"cannot open: {exc.strerror or exc}") from None
            try:
                for number, raw in enumerate(load.capped_lines(stream), 1):
                    yield inp.name, number, LINE, raw
            except DECOMPRESSION_ERRORS as exc:
                raise damaged(inp.name, exc) from None
        return
    if inp.kind == "table":
        assert inp.detail is not None
        if _URI.match(inp.location):
            fs, where = shards.filesystem(inp.location)
            rows = sources.iter_table_rows(where, inp.detail, filesystem=fs, name=inp.name)
        else:
            rows = sources.iter_table_rows(inp.location, inp.detail, name=inp.name)
        for number, row in enumerate(rows, 1):
            yield inp.name, number, ROW, pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)
        return
    skipped: list[InputError] = []
    path = _local_name(inp)
    chains: Iterator[ChainInput]
    if inp.kind == "database":
        from .. import store

        chains = store.iter_chain_inputs(store.open_db(path))
    elif inp.kind == "imported":
        from ..formats.importers import iter_imported

        chains = (item.chain for item in iter_imported(path, fmt=inp.detail or "auto"))
    else:
        chains = load.iter_chains(path, skip_invalid=skip_invalid, on_skip=skipped.append, options=read)
    for number, chain in enumerate(chains, 1):
        while skipped:
            error = skipped.pop(0)
            yield error.path, error.line, ERROR, error.message.encode("utf-8")
        yield inp.name, number, CHAIN, pickle.dumps(chain, protocol=pickle.HIGHEST_PROTOCOL)
    for error in skipped:
        yield error.path, error.line, ERROR, error.message.encode("utf-8")


ReadFn = Callable[[], Iterator[Any]]
"""A read task's body: Arrow tables of work rows, as they are read."""


def _read_task(inp: Input, read: load.ReadOptions, skip_invalid: bool, log: Any) -> ReadFn:
    def read_input() -> Iterator[Any]:
        try:
            yield from _blocks(_work_rows(inp, read, skip_invalid))
        except InputError as exc:  # an input that cannot be read stops the run, as it stops inspect verify
            _stop(log, exc)

    return read_input


def _stop(log: Any, error: InputError) -> None:
    """Tell the driver which record stops the run, then stop it (an exception reaches the driver as text)."""
    _ray().get(log.stop.remote(error.path, error.line, error.message))
    raise _Stopped(str(error))


class _Stopped(Exception):
    """Raised in a worker to end the run after `ErrorLog.stop` has the reason."""


@functools.cache
def _datasource() -> type:
    """The class of `_inputs`, made when Ray is there (it derives from Ray's ``Datasource``)."""

    class Inputs(_data().Datasource):  # type: ignore[misc]
        """The inputs as a Ray datasource: one read task an input, streaming its records in blocks."""

        def __init__(self, plan: Sequence[Input], read: load.ReadOptions, skip_invalid: bool,
                     log: Any) -> None:
            super().__init__()
            self._plan = list(plan)
            self._read = read
            self._skip_invalid = skip_invalid
            self._log = log

        def estimate_inmemory_data_size(self) -> int | None:
            sizes = [inp.size for inp in self._plan]
            return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                           data_context: Any = None) -> list[Any]:
            task = _data().ReadTask
            return [task(_read_task(inp, self._read, self._skip_invalid, self._log), _metadata(inp))
                    for inp in self._plan]

    return Inputs


def _inputs(plan: Sequence[Input], read: load.ReadOptions, skip_invalid: bool, log: Any) -> Any:
    """The inputs as a Ray datasource: one read task an input, streaming its records in blocks."""
    return _datasource()(plan, read, skip_invalid, log)


def _metadata(inp: Input) -> Any:
    """A read task's ``BlockMetadata``, whose fields differ between Ray versions (``schema`` went away)."""
    metadata_class = require("ray.data.block", "inspect verify --ray", extra="ray").BlockMetadata
    known = {f.name for f in dataclasses.fields(metadata_class)}
    values: dict[str, Any] = {"num_rows": None, "size_bytes": inp.size, "schema": None,
                              "input_files": [inp.name], "exec_stats": None}
    return metadata_class(**{k: v for k, v in values.items() if k in known})


# --- verifying: map_batches ------------------------------------------------------------------------------


class VerifyBatch:
    """The ``map_batches`` callable: work rows in, shard rows out. One per Ray actor, holding the rule set,
    the read options and the references, so that they cross the network once a worker, not once a batch."""

    def __init__(self, rules: RuleSet, read: load.ReadOptions, references: Mapping[str, str] | None,
                 skip_invalid: bool, log: Any) -> None:
        self.rules = rules
        self.read = read
        self.references = references or {}
        self.skip_invalid = skip_invalid
        self.log = log

    def __call__(self, batch: Any) -> Any:
        results: list[ChainResult] = []
        errors: list[InputError] = []
        columns = (batch.column(c).to_pylist() for c in ("name", "number", "kind", "payload"))
        for name, number, kind, payload in zip(*columns, strict=True):
            try:
                chains = self._chains(name, number, kind, payload)
            except InputError as exc:
                errors.append(exc)
                continue
            for chain in chains:
                if self.references:
                    chain = with_reference(chain, self.references)
                result = verified(chain, self.rules)
                if isinstance(result, InputError):
                    errors.append(result)
                else:
                    results.append(result)
        if errors:
            if not self.skip_invalid:
                _stop(self.log, errors[0])
            _ray().get(self.log.skipped.remote([(e.path, e.line, e.message) for e in errors]))
        return shards.table(results)

    def _chains(self, name: str, number: int | None, kind: int, payload: bytes | None) -> list[ChainInput]:
        if kind == LINE:
            assert number is not None
            return load.parse_line(payload, name, number, self.read)
        if kind == ROW:
            assert number is not None and payload is not None
            return load.parse_row(pickle.loads(payload), name, number, self.read)
        if kind == CHAIN:
            assert payload is not None
            chain: ChainInput = pickle.loads(payload)
            return [chain]
        raise InputError(name, number, (payload or b"").decode("utf-8"))


class ErrorLog:
    """A Ray actor the workers tell of unreadable records: the reason a run stopped, or every record skipped.

    Records met twice (a task Ray ran again) are counted once."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._seen: set[tuple[str, int | None, str]] = set()
        self._skipped: list[tuple[str, int | None, str]] = []
        self._stopped: list[tuple[str, int | None, str]] = []

    def skipped(self, errors: list[tuple[str, int | None, str]]) -> None:
        for error in errors:
            if error not in self._seen:
                self._seen.add(error)
                if len(self._skipped) < self._keep:
                    self._skipped.append(error)

    def stop(self, path: str, line: int | None, message: str) -> None:
        self._stopped.append((path, line, message))

    def report(self) -> tuple[int, list[tuple[str, int | None, str]], list[tuple[str, int | None, str]]]:
        return len(self._seen), self._skipped, self._stopped


# --- the driver -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RayRun:
    """What a run wrote, and what the CLI prints of it."""

    out: str
    summary: shards.ShardSummary
    skipped: list[InputError]
    """The unreadable records skipped (``--skip-invalid``), the first `KEEP_SKIPPED` of them."""
    skipped_count: int
    workers: int
    seconds: float


@contextmanager
def _settings(progress: bool) -> Iterator[None]:
    """Ray's own talk off stderr for the run (its progress bars stay, when asked for), its order kept;
    whatever the process had set before comes back after.

    stderr is for our messages: a record the run stops on is said once, as ``FILE:LINE``, not as the worker's
    traceback Ray Data logs. Order is kept so that the shards are in input order, and an import of them stores
    the chains in the order ``inspect verify`` stores them.
    """
    loggers = [logging.getLogger(name) for name in ("ray", "ray.data")]
    levels = [logger.level for logger in loggers]
    context = _data().DataContext.get_current()
    before = (context.enable_progress_bars, context.execution_options.preserve_order)
    try:
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        context.enable_progress_bars = progress
        context.execution_options.preserve_order = True
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        context.enable_progress_bars, context.execution_options.preserve_order = before


def _connect(address: str | None) -> bool:
    """Join the Ray this process already has; else, by ``address``: ``$RAY_ADDRESS`` or a new local Ray
    (none), a new local Ray (``local``), or a cluster (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``). True
    when this call connected (and should disconnect)."""
    if _ray().is_initialized():
        return False
    try:
        _ray().init(address=address or None, include_dashboard=False, log_to_driver=False,
                    logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local instance"
        raise RayJobFailed(f"cannot start or join Ray ({where}): {_one_line(exc)}") from None
    return True


def _one_line(exc: BaseException) -> str:
    """The line of a Ray error that says what went wrong (its text holds a worker's traceback)."""
    text = str(exc)
    found = re.findall(r"^(?:\w+\.)*\w*(?:Error|Exception|Stopped): .+$", text, re.MULTILINE)
    line = found[0] if found else " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


def _check_out(out: str) -> None:
    """``--out`` must be a new or empty folder: the shards of two runs in one folder would read as one run."""
    pafs = require("pyarrow.fs", "inspect verify --ray", extra="ray")
    fs, where = shards.filesystem(out)
    try:
        info = fs.get_file_info(where)
        if info.type == pafs.FileType.File:
            raise InspectorError(f"--out {out}: is a file; give a folder for the shards")
        listed = info.type == pafs.FileType.Directory and fs.get_file_info(pafs.FileSelector(where))
        if listed:
            raise InspectorError(f"--out {out}: not empty; give a new folder (the shards of two runs would "
                                 "read as one)")
    except (OSError, _pa().ArrowException) as exc:
        raise InspectorError(f"--out {out}: cannot use it: {exc}") from None


def verify_on_ray(
    inputs: Sequence[str],
    out: str,
    rules: RuleSet,
    *,
    address: str | None = None,
    read: load.ReadOptions = load.AUTO,
    references: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    workers: int | None = None,
    progress: bool = False,
    argv: Sequence[str] = (),
) -> RayRun:
    """Verify ``inputs`` on Ray and write the records as Parquet shards in ``out`` (a local or shared folder,
    or a URI), then ``_inspector.json`` beside them.

    Joins the Ray this process has (``ray.init`` called already), else starts or joins one by ``address`` (and
    leaves it after). ``workers``: verifying actors (default: one per CPU of the cluster). Raises `InputError`
    for the record or input that stopped the run, `RayJobFailed` when Ray itself failed; the shards written
    until then stay, without ``_inspector.json``.
    """
    import time

    plan = plan_inputs(inputs, read)
    _check_out(out)
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.UTC).isoformat()
    target = out if _URI.match(out) else os.path.abspath(out)
    order = {name: k for k, name in enumerate(inputs)}
    ours = _connect(address)
    try:
        with _settings(progress):
            log = _ray().remote(ErrorLog).options(num_cpus=0).remote(KEEP_SKIPPED)
            cpus = max(1, int(_ray().cluster_resources().get("CPU", 1)))
            actors = workers or cpus
            dataset = _data().read_datasource(
                _inputs(plan, read, skip_invalid, log), num_cpus=0, concurrency=max(1, min(len(plan), cpus)),
            ).map_batches(
                VerifyBatch, fn_constructor_kwargs={"rules": rules, "read": read, "references": references,
                                                    "skip_invalid": skip_invalid, "log": log},
                batch_size=BATCH_SIZE, batch_format="pyarrow", concurrency=actors, num_cpus=1,
            )  # fmt: skip
            try:
                dataset.write_parquet(target, min_rows_per_file=ROWS_PER_SHARD, ray_remote_args=WRITE_TASK)
            except Exception as exc:  # noqa: BLE001 - whatever Ray raises: the reason is in the log or text
                _, _, stopped = _ray().get(log.report.remote())
                if stopped:  # the first in input order of the records the workers stopped on
                    path, line, message = min(stopped, key=lambda e: (order.get(e[0], len(order)), e[1] or 0))
                    raise InputError(path, line, message) from None
                raise RayJobFailed(f"the Ray job failed: {_one_line(exc)} (the shards written so far are in "
                                   f"{out}, without _inspector.json)") from None
            count, kept, _ = _ray().get(log.report.remote())
    finally:
        if ours:
            _ray().shutdown()
    kept.sort(key=lambda e: (order.get(e[0], len(order)), e[1] or 0))  # as inspect verify lists them
    skipped = [InputError(path, line, message) for path, line, message in kept]
    summary = shards.summarize(out) if _has_shards(out) else shards.ShardSummary()
    seconds = time.perf_counter() - started
    from importlib.metadata import version

    shards.write_manifest(out, {
        "written_by": f"cot-inspector {version('cot-inspector')} (inspect verify --ray)",
        "format": shards.METADATA_VALUE.decode(),
        "inputs": list(inputs),
        "rules": {"name": rules.name, "hash": rules.hash},
        "chains": summary.chains,
        "shards": summary.shards,
        "verdicts": dict(sorted(summary.counts.items())),
        "skipped": count,
        "skipped_records": [str(e) for e in skipped[:1000]],
        "started_at": started_at,
        "seconds": round(seconds, 3),
        "argv": list(argv),
    })  # fmt: skip
    return RayRun(out, summary, skipped, count, actors, seconds)


def _has_shards(out: str) -> bool:
    """Whether the run wrote any shard (an input of no records writes none)."""
    try:
        return bool(shards.shard_files(out)[1])
    except InputError:
        return False

