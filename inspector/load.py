"""Read input files (JSONL, or a JSON list of records) into a stream of `ChainInput`."""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import logging
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, cast

from inspector.errors import InputError
from inspector.model import ChainInput

__all__ = ["REFERENCE_FIELDS", "iter_chains", "iter_jsonl_lines", "parse_line", "read_chains"]

_log = logging.getLogger(__name__)

STDIN = "-"
"""The path that means standard input."""
_STDIN_NAME = "<stdin>"

_SAMPLE_FIELDS = ("code", "completions", "responses", "samples", "response")
"""Fields that hold many samples of one problem when they are a list (``response`` only then)."""
_COT_FIELDS = ("completion", "response", "output", "solution")
"""Fields that hold the chain text after ``cot``, first present wins."""
REFERENCE_FIELDS = (
    "reference", "answer", "gt", "gold", "ground_truth", "ground_truth_answer", "Ground_Truth_Answer", "target",
    "label",
)
"""Where real files keep the reference answer, first present wins (Abel: ``gold``; ToRA and the Qwen
evaluation: ``gt``; ReasonEval: ``ground_truth_answer``; lm-eval: ``target``; the Spurious Rewards
metadata: ``label``). ``label`` is taken only as text: ProcessBench's ``label`` is an error-step index."""
_GSM8K_MARK = "####"
_BOM = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder()

OnSkip = Callable[[InputError], None]


class _RecordError(Exception):
    """A record that cannot be read; the caller adds FILE and LINE."""


def iter_chains(
    path: str | os.PathLike[str],
    *,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
) -> Iterator[ChainInput]:
    """Stream the chains of a JSONL file (``-`` is stdin), or of a ``.json`` file holding a list of records.

    Each record gives one chain, or one per sample for a problem with a list of samples. A record that
    cannot be read raises `InputError` (``FILE:LINE: what is wrong``); with ``skip_invalid`` it is passed
    to ``on_skip`` instead (logged as a warning when there is no ``on_skip``) and reading goes on.
    A missing file raises `InputError` at once.
    """
    name = os.fspath(path)
    if name != STDIN:
        if not os.path.exists(name):
            raise InputError(name, None, "no such file")
        if os.path.isdir(name):
            raise InputError(name, None, "is a directory, not a file")
    return _iter_file(name, skip_invalid, on_skip)


def read_chains(
    path: str | os.PathLike[str],
    *,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
) -> list[ChainInput]:
    """All the chains of a file, as a list (see `iter_chains`)."""
    return list(iter_chains(path, skip_invalid=skip_invalid, on_skip=on_skip))


# --- files -------------------------------------------------------------------------------------------


def iter_jsonl_lines(
    lines: Iterable[bytes], name: str = "<lines>", *, skip_invalid: bool = False, on_skip: OnSkip | None = None
) -> Iterator[ChainInput]:
    """Chains from JSONL lines already in hand (a socket, a generator, a benchmark's stream)."""
    return _iter_jsonl(lines, name, skip_invalid, on_skip)


def open_input(path: str) -> IO[bytes]:
    """A file (or ``-``, standard input) to read bytes from, gunzipped when it is gzip (by its first two
    bytes, whatever its name). ``OSError`` when it cannot be opened."""
    if path == STDIN:
        raw: IO[bytes] = sys.stdin.buffer
        peek = getattr(raw, "peek", None)
        if peek is not None and peek(2)[:2] == _GZIP_MAGIC:
            return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        return raw
    with open(path, "rb") as f:
        gz = f.read(2) == _GZIP_MAGIC
    return cast(IO[bytes], gzip.open(path, "rb") if gz else open(path, "rb"))  # noqa: SIM115 - the caller closes it


_GZIP_MAGIC = b"\x1f\x8b"
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
"""What reading a damaged gzip file raises (``BadGzipFile`` is an ``OSError``: not the environment's fault)."""


def plain_name(path: str) -> str:
    """The name without a compression suffix, for what the suffix says of the format (``a.json.gz``)."""
    return path[:-3] if path.lower().endswith(".gz") else path


def _iter_file(name: str, skip_invalid: bool, on_skip: OnSkip | None) -> Iterator[ChainInput]:
    stdin = name == STDIN
    display = _STDIN_NAME if stdin else name
    try:
        stream = open_input(name)
    except OSError as exc:
        raise InputError(display, None, f"cannot open: {exc.strerror or exc}") from exc
    try:
        numbered = capped_lines(stream)
        if stdin or plain_name(name).lower().endswith(".json"):
            head, first = _peek(numbered)
            if first in (b"[", b"{"):
                # a JSON document: a list of records (ProcessBench), or one object for the whole file
                # (an evaluation dump, pretty-printed over many lines); JSONL that happens to be called .json
                # is one object per line, and reads as such
                whole = b"".join(line for line in head if line is not None) + _read_capped(stream, display)
                document = _document(whole, display) if first == b"[" or whole.count(b"\n") > 1 else None
                if document is not None:
                    yield from _iter_document(document, display, skip_invalid, on_skip)
                    return
                numbered = capped_lines(io.BytesIO(whole))
                head = []
            lines: Iterable[bytes | None] = itertools.chain(head, numbered)
        else:
            lines = numbered
        yield from _iter_jsonl(lines, display, skip_invalid, on_skip)
    except GZIP_ERRORS as exc:
        raise InputError(display, None, f"not a readable gzip file: {exc}") from None
    finally:
        if not stdin:
            stream.close()


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
    document: list[Any] | dict[str, Any], display: str, skip_invalid: bool, on_skip: OnSkip | None
) -> Iterator[ChainInput]:
    if isinstance(document, dict):
        try:
            yield from _chains(document, f"{display}:1")
        except _RecordError as exc:
            raise InputError(display, 1, str(exc)) from exc
        return
    yield from _iter_records(document, display, skip_invalid, on_skip)


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
        raise err from cause
    if on_skip is not None:
        on_skip(err)
    else:
        _log.warning("skipped: %s", err)


def parse_line(raw: bytes | None, name: str, lineno: int) -> list[ChainInput]:
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
            raise _RecordError(f"expected a JSON object, got {_type_name(record)}")
        return _chains(record, f"{name}:{lineno}")
    except _RecordError as exc:
        raise InputError(name, lineno, str(exc)) from exc


def _iter_jsonl(
    lines: Iterable[bytes | None], display: str, skip_invalid: bool, on_skip: OnSkip | None
) -> Iterator[ChainInput]:
    for lineno, raw in enumerate(lines, 1):
        try:
            chains = parse_line(raw, display, lineno)
        except InputError as exc:
            _reject(exc, skip_invalid, on_skip, exc.__cause__ or exc)
            continue
        yield from chains


def _iter_records(
    records: list[Any], display: str, skip_invalid: bool, on_skip: OnSkip | None
) -> Iterator[ChainInput]:
    """The chains of a JSON list of records (ProcessBench); a record's number stands for its line."""
    for index, record in enumerate(records):
        number = index + 1
        try:
            if type(record) is not dict:
                raise _RecordError(f"expected a JSON object, got {_type_name(record)}")
            chains = _chains(record, f"{display}:{number}")
        except _RecordError as exc:
            _reject(InputError(display, number, f"record {number}: {exc}"), skip_invalid, on_skip, exc)
            continue
        yield from chains


def _json_message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if "integer string conversion" in str(exc):
        return "invalid JSON: a number of more than 4,300 digits"
    return f"invalid JSON: {exc}"


# --- records -----------------------------------------------------------------------------------------


def _chains(record: dict[str, Any], source: str) -> list[ChainInput]:
    """The chains of one record, by the first format its fields match."""
    get = record.get
    if type(get("metadata")) is list and "dataset" in record:
        return _evaluation_dump(record, source)
    cot = get("cot")
    if cot is not None:
        if type(cot) is not str:
            raise _RecordError(f"field 'cot' must be a string, got {_type_name(cot)}")
        return [_single(record, cot, None, source)]
    not_a_list: str | None = None
    for key in _SAMPLE_FIELDS:
        value = get(key)
        if type(value) is list:
            return _many(record, key, value, source)
        if value is not None and key != "response":
            not_a_list = key
    for key in _COT_FIELDS:
        value = get(key)
        if value is not None:
            if type(value) is not str:
                raise _RecordError(f"field {key!r} must be a string, got {_type_name(value)}")
            return [_single(record, value, None, source)]
    steps = get("steps")
    if steps is not None:
        parts = _str_tuple(steps, "steps")
        return [_single(record, "\n\n".join(parts), parts, source)]
    answer = get("answer")
    if type(answer) is str and _GSM8K_MARK in answer:
        return [_single(record, answer, None, source)]  # GSM8K: the gold solution, ending "#### N"
    if not_a_list is not None:
        raise _RecordError(f"field {not_a_list!r} must be a list of strings, got {_type_name(get(not_a_list))}")
    raise _RecordError(
        "no chain text: expected a string in 'cot', 'completion', 'response', 'output' or 'solution', "
        "a list of strings in 'code', 'completions', 'responses' or 'samples', 'steps', "
        "or a GSM8K 'answer' ending '#### N'"
    )


_CHAT_USER_RE = re.compile(r"<\|im_start\|>user\n(.*?)(?:<\|im_end\|>|$)", re.S)


def _evaluation_dump(record: dict[str, Any], source: str) -> list[ChainInput]:
    """An evaluation harness's dump of a model on a data set, one object for the whole file: ``{dataset,
    model, temperature, metadata: [{prompt, label, index, outputs: [str]}]}`` (the Spurious Rewards
    generations; ``outputs`` may be a JSON string of the list).

    Each output is a chain: its model is the file's ``model`` (the last part of a path such as
    ``./export-for-eval-step50``), its problem ``DATASET/INDEX``, shared by every model's samples of it so
    that pass@k and the crossings compare like with like, its text the user turn of the prompt.
    """
    dataset = _first_str(record, ("dataset",)) or "dataset"
    model_field = _first_str(record, ("model",))
    model = model_field.rstrip("/").rsplit("/", 1)[-1] if model_field else None
    chains: list[ChainInput] = []
    for n, item in enumerate(record["metadata"]):
        if type(item) is not dict:
            raise _RecordError(f"metadata[{n}] must be an object, got {_type_name(item)}")
        outputs = item.get("outputs")
        if type(outputs) is str:
            try:
                outputs = json.loads(outputs)
            except (ValueError, RecursionError):
                raise _RecordError(f"metadata[{n}].outputs is a string that is not a JSON list") from None
        if type(outputs) is not list or not all(type(o) is str for o in outputs):
            raise _RecordError(f"metadata[{n}].outputs must be a list of strings")
        index = item.get("index", n)
        if type(index) not in (str, int):
            raise _RecordError(f"metadata[{n}].index must be a string or an integer")
        prompt = item.get("prompt")
        problem = None
        if type(prompt) is str:
            user = _CHAT_USER_RE.search(prompt)
            problem = (user.group(1) if user else prompt).strip() or None
        label = item.get("label")
        reference = str(label) if type(label) in (str, int, float) else None
        problem_id = f"{dataset}/{index}"
        for k, text in enumerate(outputs):
            for field_name, value in (("chain text", text), ("problem", problem), ("reference", reference)):
                _check_unicode(field_name, value)
            chains.append(ChainInput(
                chain_id=f"{model or 'model'}/{problem_id}#{k}", cot=text, problem_id=problem_id, problem=problem,
                reference=reference, model=model, sample_index=k, source=source, problem_set=dataset,
            ))  # fmt: skip
    return chains


def _single(
    record: dict[str, Any], cot: str, steps: tuple[str, ...] | None, source: str
) -> ChainInput:
    problem = _problem(record)
    model = _model(record)
    sample_index = _sample_index(record)
    record_id = _id(record, "id")
    problem_id = _id(record, "problem_id")
    if problem_id is None:
        if steps is not None and record_id is not None:
            problem_id = record_id  # ProcessBench: one record per problem and generator
        elif problem is not None:
            problem_id = _problem_hash(problem)
    reference = _reference(record)
    for field_name, value in (("chain text", cot), ("problem", problem), ("id", record_id), ("reference", reference),
                              ("model", model), ("problem_id", problem_id)):
        _check_unicode(field_name, value)
    for k, step in enumerate(steps or ()):
        _check_unicode(f"step {k}", step)
    return ChainInput(
        chain_id=record_id if record_id is not None else _content_id(problem, cot, model, sample_index),
        cot=cot,
        problem_id=problem_id,
        problem=problem,
        reference=reference,
        model=model,
        sample_index=sample_index,
        source=source,
        steps=steps,
    )


def _check_unicode(field_name: str, value: str | None) -> None:
    """A lone surrogate (``\\ud800`` in the JSON) is no character: it could be neither stored nor printed."""
    if value is None or value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _RecordError(f"{field_name} is not valid Unicode: a lone surrogate {value[exc.start]!r} at character "
                           f"{exc.start}") from None


def _many(record: dict[str, Any], key: str, value: list[Any], source: str) -> list[ChainInput]:
    samples = _str_tuple(value, key)
    if not samples:
        raise _RecordError(f"field {key!r} is an empty list: no samples")
    problem = _problem(record)
    model = _model(record)
    reference = _reference(record)
    record_id = _id(record, "id")
    problem_id = _id(record, "problem_id")
    if problem_id is None:
        problem_id = record_id if record_id is not None else _id(record, "idx")
    if problem_id is None and problem is not None:
        problem_id = _problem_hash(problem)
    return [
        ChainInput(
            chain_id=f"{record_id}#{index}" if record_id is not None
            else _content_id(problem, text, model, index),
            cot=text,
            problem_id=problem_id,
            problem=problem,
            reference=reference,
            model=model,
            sample_index=index,
            source=source,
        )
        for index, text in enumerate(samples)
    ]


# --- fields ------------------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - json gives no other types


def _str_tuple(value: object, key: str) -> tuple[str, ...]:
    if type(value) is not list:
        raise _RecordError(f"field {key!r} must be a list of strings, got {_type_name(value)}")
    for index, item in enumerate(value):
        if type(item) is not str:
            raise _RecordError(
                f"field {key!r} must be a list of strings, but item {index} is {_type_name(item)}"
            )
    return tuple(value)


def _first_str(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if value is not None:
            if type(value) is not str:
                raise _RecordError(f"field {key!r} must be a string, got {_type_name(value)}")
            return value
    return None


def _problem(record: dict[str, Any]) -> str | None:
    return _first_str(record, ("problem", "question"))


def _model(record: dict[str, Any]) -> str | None:
    return _first_str(record, ("model", "generator"))


def _id(record: dict[str, Any], key: str) -> str | None:
    """An id field as a string (a number is accepted); an empty one counts as absent."""
    value = record.get(key)
    if value is None:
        return None
    if type(value) is str:
        return value or None
    if type(value) is int:
        return str(value)
    raise _RecordError(f"field {key!r} must be a string or an integer, got {_type_name(value)}")


def _sample_index(record: dict[str, Any]) -> int | None:
    value = record.get("sample_index")
    if type(value) is str and value.strip().isdecimal() and len(value.strip()) <= 19:
        value = int(value)
    if value is None or (type(value) is int and -_SQLITE_INT <= value < _SQLITE_INT):
        return value
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise _RecordError(f"field 'sample_index' must be an integer below 2^63, got {_type_name(value)} {shown}")


_SQLITE_INT = 1 << 63
"""Integers SQLite stores: a sample index beyond them is not an index anyone meant."""


def _reference(record: dict[str, Any]) -> str | None:
    for key in REFERENCE_FIELDS:
        value = record.get(key)
        if value is None:
            continue
        if key == "label" and (type(value) is not str or "steps" in record):
            continue  # ProcessBench's label is the index of the first wrong step, not an answer
        if type(value) is str:
            return _gsm8k_answer(value) if _GSM8K_MARK in value else value
        if type(value) is int or type(value) is float:
            return str(value)
        raise _RecordError(f"field {key!r} must be a string or a number, got {_type_name(value)}")
    return None


def _gsm8k_answer(text: str) -> str | None:
    """``N`` from a GSM8K solution ending ``#### N``, without thousands commas."""
    tail = text.rsplit(_GSM8K_MARK, 1)[1].strip()
    answer = tail.split("\n", 1)[0].strip().replace(",", "")
    return answer or None


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _problem_hash(problem: str) -> str:
    return "p" + _sha256_hex(problem)[:12]


def _content_id(problem: str | None, cot: str, model: str | None, sample_index: int | None) -> str:
    """A chain id from what the chain is, for records without an ``id``: same input, same id."""
    parts = (problem or "", cot, model or "", "" if sample_index is None else str(sample_index))
    return "c" + _sha256_hex("\x1f".join(parts))[:16]
