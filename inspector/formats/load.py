"""Read inputs into a stream of `ChainInput`: JSONL, JSON documents, parquet and Arrow files, Hugging Face
datasets and inspect_ai logs, each record known by its fields (see `iter_chains`).

This module reads files and streams, and names what is wrong with them (``FILE:LINE: ...``). What a record
holds is `load_records`' (by its fields), `load_tools`' (the field's other tools) and `load_fields`' (each
field checked); how to read is `load_options`'. Their public names are importable from here too.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from ..engine.model import ChainInput
from ..errors import InputError
from . import sources
from .compressed import DECOMPRESSION_ERRORS, STDIN, damaged, open_input, plain_name
from .load_fields import REFERENCE_FIELDS, _type_name
from .load_fields import RecordError as RecordError
from .load_fields import gsm8k_answer as gsm8k_answer
from .load_options import AUTO, FIELD_ROLES, INPUT_FORMATS, ReadOptions, parse_fields
from .load_options import CONTAINER_FORMATS as CONTAINER_FORMATS
from .load_options import RECORD_FORMATS as RECORD_FORMATS
from .load_records import _chains
from .load_tools import _inspect_sample, _is_inspect_log, stepwise_chain_id
from .load_tools import message_parts as message_parts

__all__ = [
    "AUTO",
    "FIELD_ROLES",
    "INPUT_FORMATS",
    "REFERENCE_FIELDS",
    "ReadOptions",
    "iter_chains",
    "iter_jsonl_lines",
    "parse_fields",
    "parse_line",
    "parse_row",
    "read_chains",
    "splittable",
    "stepwise_chain_id",
]

_log = logging.getLogger(__name__)

_STDIN_NAME = "<stdin>"

_BOM = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder()

OnSkip = Callable[[InputError], None]


def iter_chains(
    path: str | os.PathLike[str],
    *,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
    options: ReadOptions | None = None,
) -> Iterator[ChainInput]:
    """Stream the chains of an input: a JSONL file (``-`` is stdin), a ``.json`` file holding a list of records
    or one object (an evaluation dump, an inspect_ai log), a parquet or Arrow file, an inspect_ai ``.eval``
    archive, a folder written by ``datasets``' ``save_to_disk``, or ``hf:org/name[:split]`` on the hub.

    gzip and zstd files are read as what they hold. Each record gives one chain, or one per sample for a record
    with several (a list of samples, an OpenAI completion with several choices, a vLLM generation with several
    outputs). A record that cannot be read raises `InputError` (``FILE:LINE: what is wrong``, ``FILE:N: record
    N: ...`` where there are no lines); with ``skip_invalid`` it is passed to ``on_skip`` instead (logged as a
    warning when there is no ``on_skip``) and reading goes on. A missing file raises `InputError` at once.
    """
    opts = options or AUTO
    name = os.fspath(path)
    if name.startswith(sources.HUB_PREFIX) and not os.path.exists(name):
        return _iter_named_rows(sources.iter_hub_dataset(name), skip_invalid, on_skip, opts)
    if name != STDIN:
        if not os.path.exists(name):
            raise InputError(name, None, "no such file")
        if os.path.isdir(name):
            if sources.is_saved_dataset(name) or opts.container == "hf":
                return _iter_named_rows(sources.iter_saved_dataset(name), skip_invalid, on_skip, opts)
            raise InputError(name, None, "is a directory, not a file (nor a dataset written by save_to_disk: no "
                             "dataset_info.json and state.json, nor dataset_dict.json)")
    return _iter_file(name, skip_invalid, on_skip, opts)


def read_chains(
    path: str | os.PathLike[str],
    *,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
    options: ReadOptions | None = None,
) -> list[ChainInput]:
    """All the chains of an input, as a list (see `iter_chains`)."""
    return list(iter_chains(path, skip_invalid=skip_invalid, on_skip=on_skip, options=options))


def splittable(path: str, options: ReadOptions | None = None) -> bool:
    """Whether worker processes can share the input by lines (``batch.chunks_of_file``): JSONL text, compressed
    or not. A JSON document, a table, an archive or a dataset is read by one reader (`iter_chains`)."""
    opts = options or AUTO
    if opts.container not in (None, "jsonl"):
        return False
    if path == STDIN:
        return True
    if (path.startswith(sources.HUB_PREFIX) and not os.path.exists(path)) or os.path.isdir(path):
        return False
    if plain_name(path).lower().endswith(".json"):
        return False
    return opts.container == "jsonl" or sources.sniff(path) == "text"


# --- files -------------------------------------------------------------------------------------------


def iter_jsonl_lines(
    lines: Iterable[bytes], name: str = "<lines>", *, skip_invalid: bool = False, on_skip: OnSkip | None = None
) -> Iterator[ChainInput]:
    """Chains from JSONL lines already in hand (a socket, a generator, a benchmark's stream)."""
    return _iter_jsonl(lines, name, skip_invalid, on_skip, AUTO)


def _iter_file(name: str, skip_invalid: bool, on_skip: OnSkip | None, opts: ReadOptions) -> Iterator[ChainInput]:
    stdin = name == STDIN
    display = _STDIN_NAME if stdin else name
    kind = _kind(name, display, opts)
    if kind in ("parquet", "arrow"):
        rows = ((display, n, row) for n, row in enumerate(sources.iter_table_rows(name, kind), 1))
        yield from _iter_named_rows(rows, skip_invalid, on_skip, opts)
        return
    if kind == "zip":
        yield from _iter_eval_archive(name, skip_invalid, on_skip)
        return
    try:
        stream = open_input(name)
    except OSError as exc:
        raise InputError(display, None, f"cannot open: {exc.strerror or exc}") from exc
    try:
        numbered = capped_lines(stream)
        if stdin or plain_name(name).lower().endswith(".json") or opts.container == "inspect-ai":
            head, first = _peek(numbered)
            if first in (b"[", b"{"):
                # a JSON document: a list of records (ProcessBench), or one object for the whole file
                # (an evaluation dump or an inspect_ai log, pretty-printed over many lines); JSONL that happens
                # to be called .json is one object per line, and reads as such
                whole = b"".join(line for line in head if line is not None) + _read_capped(stream, display)
                document = _document(whole, display) if first == b"[" or whole.count(b"\n") > 1 else None
                if document is not None:
                    yield from _iter_document(document, display, skip_invalid, on_skip, opts)
                    return
                numbered = capped_lines(io.BytesIO(whole))
                head = []
            lines: Iterable[bytes | None] = itertools.chain(head, numbered)
        else:
            lines = numbered
        yield from _iter_jsonl(lines, display, skip_invalid, on_skip, opts)
    except DECOMPRESSION_ERRORS as exc:
        raise damaged(display, exc) from None
    finally:
        if not stdin:
            stream.close()


def _kind(name: str, display: str, opts: ReadOptions) -> str:
    """``text``, ``parquet``, ``arrow`` or ``zip``: forced by ``--input-format``, else by the first bytes."""
    if opts.container in ("parquet", "arrow"):
        return opts.container
    if opts.container == "jsonl":
        return "text"
    if opts.container == "hf":
        raise InputError(display, None, "--input-format hf reads a folder written by save_to_disk, or hf:NAME")
    if name == STDIN:
        peek = getattr(sys.stdin.buffer, "peek", None)
        kind = sources.sniff_bytes(peek(8)[:8]) if peek is not None else None
        if kind is not None:
            raise InputError(display, None, f"{'an inspect_ai .eval archive' if kind == 'zip' else f'a {kind} file'}"
                             " cannot be read from standard input: give the file's name")
        return "text"
    return sources.sniff(name)


MAX_DOCUMENT_BYTES = 1 << 30
"""The largest JSON document (not JSONL) read whole: 1 GiB."""


def _read_capped(stream: IO[bytes], display: str) -> bytes:
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(display, None, f"a JSON document over {MAX_DOCUMENT_BYTES >> 30} GiB: split it into JSONL")
    return data


def _document(data: bytes, display: str) -> list[Any] | dict[str, Any] | None:
    """The file as one JSON document; None when it is JSONL after all (one object per line)."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and data.lstrip().startswith(b"{"):
            return None  # several objects: JSONL
        raise InputError(display, exc.lineno, f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    except ValueError as exc:
        raise InputError(display, None, _json_message(exc)) from exc
    except RecursionError:
        raise InputError(display, None, "invalid JSON: nested too deeply") from None
    if type(value) not in (list, dict):
        raise InputError(display, None, f"expected a JSON list or object, got {_type_name(value)}")
    return value  # type: ignore[no-any-return]


def _iter_document(
    document: list[Any] | dict[str, Any], display: str, skip_invalid: bool, on_skip: OnSkip | None,
    opts: ReadOptions,
) -> Iterator[ChainInput]:
    if isinstance(document, dict):
        if _is_inspect_log(document):
            yield from _iter_inspect_samples(document, display, skip_invalid, on_skip)
            return
        if opts.container == "inspect-ai":
            raise InputError(display, None, "not an inspect_ai log: no 'eval' object and 'samples' list")
        try:
            yield from _chains(document, f"{display}:1", opts)
        except RecordError as exc:
            raise InputError(display, 1, str(exc)) from exc
        return
    if opts.container == "inspect-ai":
        raise InputError(display, None, "not an inspect_ai log: a JSON list, not a log object")
    yield from _iter_records(document, display, skip_invalid, on_skip, opts)


MAX_LINE_BYTES = 64 << 20
"""The longest JSONL record read (64 MiB): a longer line is an error of its own, and is never held in memory
(a 2 GB file with no newline is read in pieces and skipped, not loaded whole)."""


def capped_lines(stream: IO[bytes], cap: int | None = None) -> Iterator[bytes | None]:
    """The lines of a binary stream, each at most ``cap`` bytes (``MAX_LINE_BYTES``); ``None`` stands for a
    longer line, which is read past in pieces."""
    cap = MAX_LINE_BYTES if cap is None else cap
    while line := stream.readline(cap + 1):
        if len(line) <= cap or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass  # the rest of an over-long line, a megabyte at a time
        yield None


def _peek(lines: Iterator[bytes | None]) -> tuple[list[bytes | None], bytes]:
    """The lines up to the first non-blank one, and that one's first character (``b""`` when none)."""
    head: list[bytes | None] = []
    for line in lines:
        head.append(line)
        if line is None:
            return head, b""
        text = line.removeprefix(_BOM).lstrip()
        if text:
            return head, text[:1]
    return head, b""


def _reject(err: InputError, skip_invalid: bool, on_skip: OnSkip | None, cause: BaseException) -> None:
    if not skip_invalid:
        if cause is err:
            raise err
        raise err from cause
    if on_skip is not None:
        on_skip(err)
    else:
        _log.warning("skipped: %s", err)


def parse_line(raw: bytes | None, name: str, lineno: int, options: ReadOptions | None = None) -> list[ChainInput]:
    """The chains of one JSONL line (none for a blank line); ``InputError`` names FILE:LINE.

    Split out so worker processes can parse their own share of a file. ``None`` is a line over
    ``MAX_LINE_BYTES`` (``capped_lines``).
    """
    if raw is None:
        size = f"{MAX_LINE_BYTES >> 20} MiB" if MAX_LINE_BYTES >= 1 << 20 else f"{MAX_LINE_BYTES} bytes"
        raise InputError(name, lineno, f"line longer than {size}: not read")
    try:
        record = _DECODER.decode(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of over 4,300 digits
        if not raw.strip():
            return []  # a blank line
        raise InputError(name, lineno, _json_message(exc)) from exc
    except RecursionError:
        raise InputError(name, lineno, "invalid JSON: nested too deeply") from None
    try:
        if type(record) is not dict:
            raise RecordError(f"expected a JSON object, got {_type_name(record)}")
        return _chains(record, f"{name}:{lineno}", options or AUTO)
    except RecordError as exc:
        raise InputError(name, lineno, str(exc)) from exc


def _iter_jsonl(
    lines: Iterable[bytes | None], display: str, skip_invalid: bool, on_skip: OnSkip | None, opts: ReadOptions
) -> Iterator[ChainInput]:
    for lineno, raw in enumerate(lines, 1):
        try:
            chains = parse_line(raw, display, lineno, opts)
        except InputError as exc:
            _reject(exc, skip_invalid, on_skip, exc.__cause__ or exc)
            continue
        yield from chains


def _iter_records(
    records: list[Any], display: str, skip_invalid: bool, on_skip: OnSkip | None, opts: ReadOptions
) -> Iterator[ChainInput]:
    """The chains of a JSON list of records (ProcessBench); a record's number stands for its line."""
    return _iter_named_rows(((display, n, r) for n, r in enumerate(records, 1)), skip_invalid, on_skip, opts)


def _iter_named_rows(
    rows: Iterable[tuple[str, int, Any]], skip_invalid: bool, on_skip: OnSkip | None, opts: ReadOptions
) -> Iterator[ChainInput]:
    """The chains of numbered records (a JSON list, the rows of a table or a dataset split): ``(name, number,
    record)``; an error names ``NAME:N: record N``."""
    for display, number, record in rows:
        try:
            chains = parse_row(record, display, number, opts)
        except InputError as exc:
            _reject(exc, skip_invalid, on_skip, exc.__cause__ or exc)
            continue
        yield from chains


def parse_row(record: Any, name: str, number: int, options: ReadOptions | None = None) -> list[ChainInput]:
    """The chains of one numbered record (a row of a table or a dataset, an item of a JSON list);
    ``InputError`` names ``NAME:N: record N: ...``.

    `parse_line`'s twin for records that are already objects: split out so that a row read on one machine can
    be read into chains on another (``inspect verify --ray``) exactly as `iter_chains` reads it here.
    """
    try:
        if type(record) is not dict:
            raise RecordError(f"expected a JSON object, got {_type_name(record)}")
        return _chains(record, f"{name}:{number}", options or AUTO)
    except RecordError as exc:
        raise InputError(name, number, f"record {number}: {exc}") from exc


def _json_message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if "integer string conversion" in str(exc):
        return "invalid JSON: a number of more than 4,300 digits"
    return f"invalid JSON: {exc}"


def _iter_inspect_samples(
    log: dict[str, Any], display: str, skip_invalid: bool, on_skip: OnSkip | None
) -> Iterator[ChainInput]:
    """The samples of an inspect_ai ``.json`` log, each its own record: an error names ``FILE:N: record N``."""
    for number, sample in enumerate(log["samples"], 1):
        try:
            chain = _inspect_sample(sample, log, f"{display}:{number}")
        except RecordError as exc:
            _reject(InputError(display, number, f"record {number}: {exc}"), skip_invalid, on_skip, exc)
            continue
        yield chain


def _iter_eval_archive(name: str, skip_invalid: bool, on_skip: OnSkip | None) -> Iterator[ChainInput]:
    """The samples of an inspect_ai ``.eval`` archive, one entry at a time."""
    archive = sources.open_eval_archive(name)
    for number, entry, data in archive.samples():
        if isinstance(data, InputError):
            _reject(data, skip_invalid, on_skip, data)
            continue
        where = f"record {number} ({entry})"
        try:
            try:
                sample = json.loads(data)
            except (ValueError, RecursionError) as exc:
                raise RecordError(f"invalid JSON: {exc}"[:300]) from None
            chain = _inspect_sample(sample, archive.header, f"{name}:{number}")
        except RecordError as exc:
            _reject(InputError(name, number, f"{where}: {exc}"), skip_invalid, on_skip, exc)
            continue
        yield chain
