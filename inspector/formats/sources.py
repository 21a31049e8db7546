"""Records from inputs that are not JSON text: parquet and Arrow files, Hugging Face datasets, inspect_ai's
``.eval`` archives. Each is streamed, a batch or an archive entry at a time, as plain dicts for ``load`` to
read by their fields as it reads JSONL records.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from ..errors import InputError
from ..extras import require
from .compressed import zstd_reader

__all__ = [
    "HUB_PREFIX",
    "EvalArchive",
    "is_saved_dataset",
    "iter_hub_dataset",
    "iter_saved_dataset",
    "iter_table_rows",
    "kind_of",
    "open_eval_archive",
    "sniff",
    "sniff_bytes",
]

HUB_PREFIX = "hf:"
"""An input named ``hf:org/name[:split]`` is a data set on the Hugging Face hub."""

_MAGIC = (
    (b"PAR1", "parquet"),
    (b"ARROW1", "arrow"),
    (b"FEA1", "arrow"),  # Feather v1
    (b"\xff\xff\xff\xff", "arrow"),  # an Arrow IPC stream (what save_to_disk writes); never UTF-8 text
    (b"PK\x03\x04", "zip"),
)
_SUFFIXES = ((".parquet", "parquet"), (".arrow", "arrow"), (".feather", "arrow"), (".ipc", "arrow"),
             (".eval", "zip"))  # fmt: skip
ROWS_AT_A_TIME = 1000
"""Rows turned into Python objects at once: a record batch of a million rows is read in slices."""
MAX_ENTRY_BYTES = 1 << 30
"""The largest ``.eval`` sample entry read (1 GiB once decompressed): a bigger one is its record's error."""


def sniff_bytes(head: bytes) -> str | None:
    """``parquet``, ``arrow`` or ``zip`` from a file's first bytes; ``None`` for anything else (text)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def sniff(path: str) -> str:
    """What a file holds: ``parquet``, ``arrow``, ``zip`` (by its first bytes, else by its suffix) or ``text``
    (JSON or JSONL, perhaps compressed). A file that cannot be opened is ``text``: its reader says why."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return "text"
    return kind_of(path, head)


def kind_of(name: str, head: bytes) -> str:
    """`sniff` for a file whose first bytes are in hand (one on another file system, read by pyarrow)."""
    kind = sniff_bytes(head)
    if kind is not None:
        return kind
    lower = name.lower()
    return next((k for suffix, k in _SUFFIXES if lower.endswith(suffix)), "text")


# --- parquet and Arrow ---------------------------------------------------------------------------------


def iter_table_rows(
    path: str, kind: str, *, filesystem: Any = None, name: str | None = None
) -> Iterator[dict[str, Any]]:
    """The rows of a parquet file or an Arrow IPC file or stream (Feather), a record batch at a time.

    Arrow files are memory-mapped: the operating system pages in what is read, and nothing is loaded whole.
    ``filesystem`` (a ``pyarrow.fs.FileSystem``) reads ``path`` from elsewhere (S3, GCS, HDFS, ...), named
    ``name`` in errors.
    """
    pa = require("pyarrow", f"reading {kind} files")
    what = "parquet" if kind == "parquet" else "Arrow"
    try:
        for batch in _record_batches(pa, path, kind, filesystem):
            for start in range(0, batch.num_rows, ROWS_AT_A_TIME):
                yield from batch.slice(start, ROWS_AT_A_TIME).to_pylist()
    except (pa.ArrowException, OSError) as exc:  # ArrowInvalid: not that format, or damaged
        raise InputError(name or path, None, f"not a readable {what} file: {exc}") from None


def _record_batches(pa: Any, path: str, kind: str, filesystem: Any = None) -> Iterator[Any]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(filesystem.open_input_file(path) if filesystem is not None else path) as parquet:
            yield from parquet.iter_batches(batch_size=ROWS_AT_A_TIME)
        return
    if filesystem is not None:
        with filesystem.open_input_file(path) as f:
            head = f.read(8)
        source = filesystem.open_input_file(path)
    else:
        with open(path, "rb") as f:
            head = f.read(8)
        source = pa.memory_map(path)
    try:
        if head.startswith(b"FEA1"):  # Feather v1 has no batches of its own
            from pyarrow import feather

            table = (feather.read_table(source) if filesystem is not None
                     else feather.read_table(path, memory_map=True))
            yield from table.to_batches()
        elif head.startswith(b"ARROW1"):
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)
        else:
            yield from pa.ipc.open_stream(source)
    finally:
        source.close()


# --- Hugging Face datasets -----------------------------------------------------------------------------


def is_saved_dataset(path: str) -> bool:
    """A folder ``save_to_disk`` wrote: a ``Dataset`` (``dataset_info.json`` and ``state.json``) or a
    ``DatasetDict`` (``dataset_dict.json`` and a folder a split)."""
    if not os.path.isdir(path):
        return False
    has = set(os.listdir(path))
    return {"dataset_info.json", "state.json"} <= has or "dataset_dict.json" in has


def _datasets() -> Any:
    return require("datasets", "reading a Hugging Face dataset", extra="hf")


def iter_saved_dataset(path: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``(name, row number, row)`` of a dataset saved with ``save_to_disk``, split after split; the name is
    ``PATH[split]`` for a ``DatasetDict``. Read with ``datasets.load_from_disk``, which memory-maps the Arrow
    files: the rows stream."""
    datasets = _datasets()
    try:
        loaded = datasets.load_from_disk(path)
    except Exception as exc:  # noqa: BLE001 - the boundary with datasets, whose errors have no common base
        raise InputError(path, None, f"not a readable dataset folder: {_one_line(exc)}") from None
    yield from _rows_of(loaded, path)


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.\-]*(?:/[\w.\-]+)?")


def iter_hub_dataset(spec: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """The rows of ``hf:org/name[:split]`` (every split when none is named), loaded with
    ``datasets.load_dataset``: downloaded once into the Hugging Face cache, then memory-mapped from it.

    Without network (or with ``HF_HUB_OFFLINE=1`` and nothing cached) this is one ``InputError``, not
    ``datasets``' retries and traceback.
    """
    repo, _, split = spec.removeprefix(HUB_PREFIX).partition(":")
    if not _HUB_ID.fullmatch(repo) or (split and not re.fullmatch(r"[\w.\-\[\]:%+]+", split)):
        raise InputError(spec, None, "not a hub data set: expected hf:NAME or hf:ORG/NAME, then :SPLIT if you "
                         "want one split")
    datasets = _datasets()
    try:
        loaded = datasets.load_dataset(repo, split=split or None)
    except Exception as exc:  # noqa: BLE001 - the boundary with datasets and the hub
        offline = any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
                      for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
        why = " (offline: HF_HUB_OFFLINE is set and it is not in the local cache)" if offline else ""
        raise InputError(spec, None, f"cannot load {repo!r} from the Hugging Face hub{why}: "
                         f"{_one_line(exc)}") from None
    yield from _rows_of(loaded, spec)


def _rows_of(loaded: Any, name: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    # a DatasetDict (a dict of splits) or one Dataset
    splits = [(f"{name}[{split}]", loaded[split]) for split in loaded] if isinstance(loaded, dict) else [
        (name, loaded)]
    for display, dataset in splits:
        for number, row in enumerate(dataset, 1):
            yield display, number, row


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# --- inspect_ai .eval archives ------------------------------------------------------------------------

_SAMPLE_ENTRY = re.compile(r"samples/[^/]+_epoch_\d+\.json")
_ZIP_ZSTD = 93
"""The zip compression method of zstd (stored, 0, and deflate, 8, are what zipfile reads everywhere)."""


@dataclass(frozen=True, slots=True)
class EvalArchive:
    """An inspect_ai ``.eval`` log: a zip of JSON entries. ``header.json`` (or, for a log still being written,
    ``_journal/start.json``) holds the task and the model; ``samples/{id}_epoch_{epoch}.json`` one sample each.
    """

    path: str
    header: dict[str, Any]
    entries: tuple[zipfile.ZipInfo, ...]
    """The sample entries, in the order they were written."""

    def samples(self) -> Iterator[tuple[int, str, bytes | InputError]]:
        """``(record number, entry name, its bytes)``, or an ``InputError`` for an entry that cannot be read (the
        caller decides whether that stops the run)."""
        with zipfile.ZipFile(self.path) as archive, open(self.path, "rb") as raw:
            for number, info in enumerate(self.entries, 1):
                where = f"record {number} ({info.filename})"
                if info.file_size > MAX_ENTRY_BYTES:
                    yield number, info.filename, InputError(self.path, number, f"{where}: over "
                                                            f"{MAX_ENTRY_BYTES >> 30} GiB")
                    continue
                try:
                    with _open_entry(archive, raw, info) as entry:
                        data = entry.read(MAX_ENTRY_BYTES + 1)
                except (OSError, EOFError, zipfile.BadZipFile, ValueError, NotImplementedError) as exc:
                    yield number, info.filename, InputError(self.path, number, f"{where}: unreadable: {exc}")
                    continue
                if len(data) > MAX_ENTRY_BYTES:  # more than the archive's directory said
                    yield number, info.filename, InputError(self.path, number, f"{where}: over "
                                                            f"{MAX_ENTRY_BYTES >> 30} GiB")
                    continue
                yield number, info.filename, data


def open_eval_archive(path: str) -> EvalArchive:
    """The header and sample entries of an inspect_ai ``.eval`` file; ``InputError`` when it is no such thing.

    Read with the standard library (and zstd, which recent inspect_ai versions may compress entries with):
    depending on inspect-ai would install its own ``inspect`` command over ours.
    """
    try:
        with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
            infos = archive.infolist()
            names = {i.filename: i for i in infos}
            head = names.get("header.json") or names.get("_journal/start.json")
            if head is None:
                raise InputError(path, None, "a zip archive, but not an inspect_ai .eval log (no header.json or "
                                 "_journal/start.json)")
            with _open_entry(archive, raw, head) as entry:
                header = json.loads(entry.read(64 << 20))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(path, None, f"not a readable .eval archive: {exc}") from None
    if not isinstance(header, dict):
        raise InputError(path, None, f"{head.filename} is not a JSON object")
    samples = tuple(i for i in infos if _SAMPLE_ENTRY.fullmatch(i.filename))
    return EvalArchive(path, header, samples)


def _open_entry(archive: zipfile.ZipFile, raw: IO[bytes], info: zipfile.ZipInfo) -> IO[bytes]:
    """One entry's bytes, decompressed: stored and deflated entries by ``zipfile``; zstd (method 93, which
    ``zipfile`` reads only from Python 3.14) by reading the entry's data past its local header in ``raw``."""
    if info.compress_type != _ZIP_ZSTD or getattr(zipfile, "ZIP_ZSTANDARD", None) == _ZIP_ZSTD:
        return archive.open(info)
    raw.seek(info.header_offset)
    local = raw.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    return zstd_reader(cast(IO[bytes], _Limited(raw, info.compress_size)))


class _Limited:
    """The next ``size`` bytes of a file, as a file that ends there (an entry's compressed data)."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        self._f = f
        self._left = size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        return data

    def close(self) -> None:
        """The archive file belongs to the caller."""
