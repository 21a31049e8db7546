"""The inputs of `inspect verify --ray`: what each is, decided on the driver, and the read task streaming it.

Apart from `ray_data` because this is the half that knows the inputs' formats (JSONL lines, compressed or
not, local or behind a URI; parquet and Arrow tables; whatever ``load`` and ``inspect import`` read whole):
it turns each input into work rows, and past it the verifying actors and the driver see work rows only. The
lazy imports of Ray and pyarrow (`_ray`, `_data`, `_pa`) are here, the module `ray_data` builds on.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import os
import pickle
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Any

from ..engine.model import ChainInput
from ..errors import InputError
from ..extras import require
from ..formats import load, sources
from ..formats.compressed import DECOMPRESSION_ERRORS, damaged, decompressed, open_input, plain_name
from . import shards


def _ray() -> Any:
    """Ray, imported when a run starts (so this module imports without it: the regex audit, the docs)."""
    return require("ray", "inspect verify --ray", extra="ray")


def _data() -> Any:
    return require("ray.data", "inspect verify --ray", extra="ray")


def _pa() -> Any:
    return require("pyarrow", "inspect verify --ray", extra="ray")


BLOCK_ROWS = 1024
BLOCK_BYTES = 16 << 20
"""A read task hands over this many lines (or this many bytes of them, whichever comes first) at a time: the
blocks the actors share out (Ray may cut them smaller still to keep every actor busy)."""

LINE, ROW, CHAIN, ERROR = 0, 1, 2, 3
"""What a work row's payload is: a raw JSONL line, a pickled table row, a pickled ``ChainInput`` already read,
or an unreadable record's message."""

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


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
