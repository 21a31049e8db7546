"""Read inputs into a stream of `ChainInput`: JSONL, JSON documents, parquet and Arrow files, Hugging Face
datasets and inspect_ai logs, each record known by its fields (see `iter_chains`)."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..engine.model import ChainInput
from ..errors import InputError
from . import sources
from .compressed import DECOMPRESSION_ERRORS, STDIN, damaged, open_input, plain_name

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

_SAMPLE_FIELDS = ("code", "completions", "responses", "samples", "response")
"""Fields that hold many samples of one problem when they are a list (``response`` only then)."""
_COT_FIELDS = ("completion", "response", "output", "solution")
"""Fields that hold the chain text after ``cot``, first present wins."""
REFERENCE_FIELDS = (
    "reference", "answer", "gt", "gold", "ground_truth", "ground_truth_answer", "Ground_Truth_Answer", "target",
    "label",
)
"""Where real files keep the reference answer, first present wins (Abel: ``gold``; ToRA and the Qwen
evaluation: ``gt``; ReasonEval and MR-GSM8K: ``ground_truth_answer``; lm-eval: ``target``; the Spurious Rewards
metadata: ``label``). ``label`` is taken only as text: ProcessBench's ``label`` is an error-step index."""
_GSM8K_MARK = "####"
_BOM = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder()

OnSkip = Callable[[InputError], None]

# --- what to read, and how --------------------------------------------------------------------------------

CONTAINER_FORMATS = ("jsonl", "parquet", "arrow", "hf", "inspect-ai")
"""Formats of a whole input: JSON text (JSONL, a JSON list or one JSON object), a parquet file, an Arrow IPC
file or stream (Feather), a Hugging Face dataset (a folder written by ``save_to_disk``, or ``hf:NAME``), an
inspect_ai log (``.eval`` or ``.json``)."""
RECORD_FORMATS = ("openai", "vllm", "messages", "mr-gsm8k")
"""Formats of one record, whatever holds it: an OpenAI completion (or a Batch API output line), a vLLM
offline generation, a chat conversation, an MR-GSM8K (or ReasonEval) record."""
INPUT_FORMATS = ("auto", *CONTAINER_FORMATS, *RECORD_FORMATS)
"""What ``inspect verify --input-format`` takes; ``auto`` knows an input by its first bytes and each record
by its fields."""
FIELD_ROLES = ("cot", "reference", "problem", "id", "model")
"""What ``--field ROLE=NAME`` can name: the chain text and the fields that go with it."""
_ROLE_FIELDS: dict[str, tuple[str, ...]] = {
    "reference": REFERENCE_FIELDS, "problem": ("problem", "question"), "id": ("id",),
    "model": ("model", "generator"),
}  # fmt: skip
"""The fields a role is otherwise looked for in, first present wins; a named field replaces them all."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read an input: its format (``auto``: known by its bytes and each record by its fields) and the
    fields that hold what a chain needs when their names are unusual (``--field``). Small and picklable: it
    travels with each chunk of lines to the worker processes."""

    format: str = "auto"
    fields: tuple[tuple[str, str], ...] = ()
    """``(role, field name)`` pairs, from `parse_fields`."""

    def __post_init__(self) -> None:
        if self.format not in INPUT_FORMATS:
            raise ValueError(f"unknown input format {self.format!r} (one of {', '.join(INPUT_FORMATS)})")
        roles = [role for role, _ in self.fields]
        if any(role not in FIELD_ROLES for role in roles) or len(set(roles)) != len(roles):
            raise ValueError(f"fields must name each of {', '.join(FIELD_ROLES)} at most once, got {roles}")
        if "cot" in roles and self.format in RECORD_FORMATS:
            raise ValueError(f"--field cot=... names the chain of plain records; a {self.format} record has its "
                             "own place for it: give one or the other")

    @property
    def container(self) -> str | None:
        """The whole input's format when it is forced, else ``None``."""
        return self.format if self.format in CONTAINER_FORMATS else None

    @property
    def record_format(self) -> str | None:
        """Every record's format when it is forced, else ``None``."""
        return self.format if self.format in RECORD_FORMATS else None


AUTO = ReadOptions()


def parse_fields(specs: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``--field cot=model_output,reference=gt`` (the option may be repeated) as ``(role, name)`` pairs.

    ``ValueError`` with a message for people: an unknown role, a role named twice, ``ROLE=`` with no name. A
    dotted name (``doc.answer``) reaches into a nested object when no field has the name as it is.
    """
    pairs: list[tuple[str, str]] = []
    for spec in specs:
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            role, sep, name = item.partition("=")
            role, name = role.strip(), name.strip()
            if not sep:
                raise ValueError(f"expected ROLE=FIELD, got {item!r} (roles: {', '.join(FIELD_ROLES)})")
            if role not in FIELD_ROLES:
                raise ValueError(f"unknown role {role!r} in {item!r} (roles: {', '.join(FIELD_ROLES)})")
            if not name:
                raise ValueError(f"no field name after {role}=")
            if any(r == role for r, _ in pairs):
                raise ValueError(f"{role} is named twice")
            pairs.append((role, name))
    return tuple(pairs)


class RecordError(Exception):
    """A record that cannot be read; the caller adds FILE and LINE."""


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


# --- records -----------------------------------------------------------------------------------------


def _chains(record: dict[str, Any], source: str, opts: ReadOptions = AUTO) -> list[ChainInput]:
    """The chains of one record, by the first format its fields match (or the one ``opts`` forces)."""
    if opts.fields:
        record, named_cot = _mapped(record, opts.fields)
        if named_cot is not None:
            return _mapped_chains(record, *named_cot, source)
    forced = opts.record_format
    if forced is not None:
        return _RECORD_READERS[forced](record, source)
    get = record.get
    if type(get("metadata")) is list and "dataset" in record:
        return _evaluation_dump(record, source)
    if _is_inspect_log(record):  # an inspect_ai log on one line (pretty-printed ones are read sample by sample)
        return [_inspect_sample(sample, record, source) for sample in record["samples"]]
    cot = get("cot")
    if cot is not None:
        if type(cot) is not str:
            raise RecordError(f"field 'cot' must be a string, got {_type_name(cot)}")
        return [_single(record, cot, None, source)]
    other = _other_tool(record)
    if other is not None:
        return _RECORD_READERS[other](record, source)
    if _is_stepwise(record):
        return [_stepwise(record, source)]
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
                raise RecordError(f"field {key!r} must be a string, got {_type_name(value)}")
            return [_single(record, value, None, source)]
    if _MR_GSM8K_FIELDS & record.keys():
        return _mr_gsm8k(record, source)
    steps = get("steps")
    if steps is not None:
        parts = _str_tuple(steps, "steps")
        return [_single(record, "\n\n".join(parts), parts, source)]
    answer = get("answer")
    if type(answer) is str and _GSM8K_MARK in answer:
        return [_single(record, answer, None, source)]  # GSM8K: the gold solution, ending "#### N"
    if _REASONING_FIELDS & record.keys() or get("role") == "assistant":
        return [_single(record, _message_text(record, "the record"), None, source)]  # one chat message
    if not_a_list is not None:
        raise RecordError(f"field {not_a_list!r} must be a list of strings, got {_type_name(get(not_a_list))}")
    raise RecordError(
        "no chain text: expected a string in 'cot', 'completion', 'response', 'output' or 'solution', "
        "a list of strings in 'code', 'completions', 'responses' or 'samples', 'steps', "
        "a GSM8K 'answer' ending '#### N', OpenAI 'choices', vLLM 'outputs', chat 'messages' or MR-GSM8K's "
        "'model_output_steps' (name another field with --field cot=NAME)"
    )


_CHAT_USER_RE = re.compile(r"<\|im_start\|>user\n(.*?)(?:<\|im_end\|>|$)", re.DOTALL)


def _user_turn(prompt: str) -> str | None:
    """The user turn of a ChatML-templated prompt (Qwen's), else the prompt itself."""
    user = _CHAT_USER_RE.search(prompt)
    return (user.group(1) if user else prompt).strip() or None


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
            raise RecordError(f"metadata[{n}] must be an object, got {_type_name(item)}")
        outputs = item.get("outputs")
        if type(outputs) is str:
            try:
                outputs = json.loads(outputs)
            except (ValueError, RecursionError):
                raise RecordError(f"metadata[{n}].outputs is a string that is not a JSON list") from None
        if type(outputs) is not list or not all(type(o) is str for o in outputs):
            raise RecordError(f"metadata[{n}].outputs must be a list of strings")
        index = item.get("index", n)
        if type(index) not in (str, int):
            raise RecordError(f"metadata[{n}].index must be a string or an integer")
        prompt = item.get("prompt")
        problem = None
        if type(prompt) is str:
            problem = _user_turn(prompt)
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
        raise RecordError(f"{field_name} is not valid Unicode: a lone surrogate {value[exc.start]!r} at character "
                           f"{exc.start}") from None


def _many(record: dict[str, Any], key: str, value: list[Any], source: str) -> list[ChainInput]:
    samples = _str_tuple(value, key)
    if not samples:
        raise RecordError(f"field {key!r} is an empty list: no samples")
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


# --- the field's other tools: OpenAI, vLLM, chat messages, TRL, MR-GSM8K, inspect_ai -------------------

_REASONING_FIELDS = frozenset({"reasoning_content", "reasoning"})
"""Where OpenAI-compatible servers put a reasoning model's chain (vLLM's reasoning parsers, DeepSeek's API:
``reasoning_content``; newer vLLM and OpenRouter: ``reasoning``), apart from the answer in ``content``."""
_MR_GSM8K_FIELDS = frozenset({"model_output_steps", "model_output"})
"""MR-GSM8K's chain (``model_output_steps``) and ReasonEval's MR-MATH one (``model_output``)."""


def _other_tool(record: dict[str, Any]) -> str | None:
    """The record format of another tool's output that the fields announce, if any."""
    get = record.get
    if "custom_id" in record and ("response" in record or "error" in record):
        return "openai"  # a Batch API output line
    choices = get("choices")
    if get("object") in ("chat.completion", "text_completion") or (
            type(choices) is list and choices and type(choices[0]) is dict):  # not a multiple-choice question's
        return "openai"
    if any(type(inner := get(k)) is dict and "choices" in inner for k in ("response", "completion", "output")):
        return "openai"  # a completion saved inside a record that says more
    if type(get("outputs")) is list:
        return "vllm"
    if type(get("messages")) is list:
        return "messages"
    return None


_PART_TEXT = {"text": "text", "reasoning": "reasoning", "thinking": "thinking"}
"""Where a content part of each type keeps its text: OpenAI's ``text`` parts, inspect_ai's ``reasoning`` parts,
Anthropic's ``thinking`` blocks. Other parts (images, audio, tool calls) hold no chain."""


def _message_text(message: dict[str, Any], where: str) -> str:
    """A chat message's text: its reasoning (``reasoning_content`` / ``reasoning``, or reasoning parts) first,
    then its ``content``, the answer part, so that the chain is whole and its final answer is still found.

    ``content`` may be a string, null (a reasoning model cut off before it answered, a tool call) or a list of
    parts (``{"type": "text", "text"}``, inspect_ai's ``{"type": "reasoning", "reasoning"}``); images and other
    parts are left out. A message with no text at all is its record's error.
    """
    text = message_parts(message, where)
    if not text.strip():
        raise RecordError(f"{where} has no text: its content is null or empty and it has no reasoning")
    return text


def message_parts(message: dict[str, Any], where: str) -> str:
    """`_message_text`, or ``""`` for a message without text."""
    reasoning: list[str] = []
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if value is not None:
            if type(value) is not str:
                raise RecordError(f"{where}: field {key!r} must be a string, got {_type_name(value)}")
            reasoning.append(value)
            break
    content = message.get("content")
    answer: list[str] = []
    if type(content) is str:
        answer.append(content)
    elif type(content) is list:
        for k, part in enumerate(content):
            if type(part) is str:
                answer.append(part)
            elif type(part) is dict:
                kind = part.get("type")
                field = _PART_TEXT.get(str(kind))
                text = part.get(field) if field else None
                if text is not None and type(text) is not str:
                    raise RecordError(f"{where}: content part {k}'s {field!r} must be a string")
                if text:
                    (answer if kind == "text" else reasoning).append(text)
            else:
                raise RecordError(f"{where}: content part {k} is {_type_name(part)}, not an object")
    elif content is not None:
        raise RecordError(f"{where}: 'content' must be a string, a list of parts or null, got "
                           f"{_type_name(content)}")
    return "\n\n".join(t for t in (*reasoning, *answer) if t)


def _text_or_none(message: dict[str, Any], where: str) -> str | None:
    """A user turn's text, for the problem: one without text (an image, a null) leaves the chain without a
    problem rather than unread."""
    return message_parts(message, where).strip() or None


def _chat_chain(
    record: dict[str, Any], text: str, source: str, *, problem: str | None, model: str | None,
    base_id: str | None, index: int, several: bool,
) -> ChainInput:
    """One chain of a record that holds one or several samples: its id is the record's (``ID#INDEX`` when the
    record holds several), else one made from its content."""
    reference = _reference(record)
    problem_id = _id(record, "problem_id")
    if problem_id is None and problem is not None:
        problem_id = _problem_hash(problem)
    for field_name, value in (("chain text", text), ("problem", problem), ("reference", reference),
                              ("model", model), ("id", base_id)):
        _check_unicode(field_name, value)
    if base_id is not None:
        chain_id = f"{base_id}#{index}" if several else base_id
    else:
        chain_id = _content_id(problem, text, model, index)
    return ChainInput(
        chain_id=chain_id, cot=text, problem_id=problem_id, problem=problem, reference=reference, model=model,
        sample_index=index, source=source,
    )  # fmt: skip


def _openai(record: dict[str, Any], source: str) -> list[ChainInput]:
    """An OpenAI ``chat.completion`` or ``text_completion`` object, saved as it came (``choices[].message`` or
    ``choices[].text``; several choices are several samples, ``sample_index`` the choice's index); the same
    inside a record that says more (``{"problem", "reference", "response": <completion>}``); or a Batch API
    output line (``{"custom_id", "response": {"status_code", "body": <completion>}, "error"}``), whose
    ``custom_id`` is the chain id. A failed request is its line's error, never a silent gap.

    A completion carries no prompt: the problem and the reference come from the record around it, or from
    ``--references``/``--field`` where there is one.
    """
    outer = record
    base_id: str | None
    if "custom_id" in record:
        base_id = _id(record, "custom_id")
        error = record.get("error")
        if error is not None:
            raise RecordError(f"request {base_id!r} failed: {_error_message(error)}")
        response = record.get("response")
        if type(response) is not dict:
            raise RecordError(f"request {base_id!r}: 'response' must be an object, got {_type_name(response)}")
        status = response.get("status_code")
        body = response.get("body")
        if status is not None and status != 200:
            why = _error_message(body.get("error")) if type(body) is dict and body.get("error") else "no body"
            raise RecordError(f"request {base_id!r} failed with HTTP {status}: {why}")
        if type(body) is not dict:
            raise RecordError(f"request {base_id!r}: 'response.body' must be a completion object, got "
                               f"{_type_name(body)}")
        completion = body
    elif "choices" in record:
        completion = record
        base_id = _id(record, "id")
    else:
        key = next((k for k in ("response", "completion", "output") if type(record.get(k)) is dict), None)
        if key is None:
            raise RecordError("not an OpenAI completion: no 'choices' list, no Batch API 'custom_id' and "
                               "'response', no completion object in 'response', 'completion' or 'output'")
        completion = record[key]
        base_id = _id(record, "id") or _id(completion, "id")
    choices = completion.get("choices")
    if type(choices) is not list or not choices:
        raise RecordError(f"'choices' must be a non-empty list, got {_type_name(choices)}")
    problem = _problem(outer)
    model = _model(outer) if outer is not completion else None
    model = model or _first_str(completion, ("model",))
    chains: list[ChainInput] = []
    for position, choice in enumerate(choices):
        where = f"choices[{position}]"
        if type(choice) is not dict:
            raise RecordError(f"{where} must be an object, got {_type_name(choice)}")
        index = choice.get("index", position)
        if type(index) is not int or not 0 <= index < _SQLITE_INT:
            raise RecordError(f"{where}.index must be a non-negative integer")
        message = choice.get("message")
        if type(message) is dict:
            text = _message_text(message, f"{where}.message")
        elif type(choice.get("text")) is str:
            text = choice["text"]  # text_completion
        else:
            raise RecordError(f"{where} has no 'message' object and no 'text' string")
        chains.append(_chat_chain(outer, text, source, problem=problem, model=model, base_id=base_id, index=index,
                                  several=len(choices) > 1))
    return chains


def _error_message(error: Any) -> str:
    if type(error) is dict:
        message = error.get("message") or error.get("code")
        if message is not None:
            return str(message)[:300]
    return json.dumps(error, ensure_ascii=False)[:300]


def _vllm(record: dict[str, Any], source: str) -> list[ChainInput]:
    """vLLM offline generations as saved from ``LLM.generate``: ``{"prompt", "outputs": [{"index", "text",
    ...}]}`` (a ``RequestOutput`` as a dict; ``request_id`` is the chain id), or ``outputs`` as plain strings.
    Several outputs are several samples. The problem is ``problem``/``question`` when the record has one, else
    the user turn of a chat-templated ``prompt``, else the prompt."""
    outputs = record.get("outputs")
    if type(outputs) is not list or not outputs:
        raise RecordError(f"not a vLLM record: 'outputs' must be a non-empty list, got {_type_name(outputs)}")
    problem = _problem(record)
    prompt = record.get("prompt")
    if problem is None and type(prompt) is str:
        problem = _user_turn(prompt)
    elif problem is None and type(prompt) is list:  # the conversation given to LLM.chat
        users = [m for m in prompt if type(m) is dict and m.get("role") == "user"]
        problem = _text_or_none(users[-1], "prompt") if users else None
    model = _model(record)
    base_id = _id(record, "id") or _id(record, "request_id")
    chains: list[ChainInput] = []
    for position, output in enumerate(outputs):
        index = position
        if type(output) is dict:
            text = output.get("text")
            index = output.get("index", position)
            if type(index) is not int or not 0 <= index < _SQLITE_INT:
                raise RecordError(f"outputs[{position}].index must be a non-negative integer")
        else:
            text = output
        if type(text) is not str:
            raise RecordError(f"outputs[{position}] must be a string or an object with a 'text' string")
        chains.append(_chat_chain(record, text, source, problem=problem, model=model, base_id=base_id, index=index,
                                  several=len(outputs) > 1))
    return chains


def _messages(record: dict[str, Any], source: str) -> list[ChainInput]:
    """A conversation, ``{"messages": [{"role", "content"}, ...]}``: the last assistant turn is the chain, the
    last user turn before it the problem (unless the record has a ``problem`` of its own)."""
    messages = record.get("messages")
    if type(messages) is not list:
        raise RecordError(f"field 'messages' must be a list, got {_type_name(messages)}")
    for k, message in enumerate(messages):
        if type(message) is not dict:
            raise RecordError(f"messages[{k}] must be an object, got {_type_name(message)}")
    last = next((k for k in range(len(messages) - 1, -1, -1) if messages[k].get("role") == "assistant"), None)
    if last is None:
        raise RecordError("no assistant turn in 'messages': nothing to check")
    text = _message_text(messages[last], f"messages[{last}]")
    problem = _problem(record)
    if problem is None:
        user = next((k for k in range(last - 1, -1, -1) if messages[k].get("role") == "user"), None)
        if user is not None:
            problem = _text_or_none(messages[user], f"messages[{user}]")
    return [_single({**record, "problem": problem}, text, None, source)]


def _is_stepwise(record: dict[str, Any]) -> bool:
    """TRL's stepwise supervision (``{"prompt", "completions", "labels"}``, one label a step): one chain whose
    steps are the completions, not one sample a completion."""
    completions, labels = record.get("completions"), record.get("labels")
    return (type(record.get("prompt")) is str and type(completions) is list and type(labels) is list
            and len(labels) == len(completions))


def _stepwise(record: dict[str, Any], source: str) -> ChainInput:
    """A TRL stepwise record as ``inspect import`` reads it: the same chain id, so verifying and importing the
    same file (JSONL or the hub's parquet) name the same chains."""
    steps = _str_tuple(record["completions"], "completions")
    if not steps:
        raise RecordError("field 'completions' is an empty list: no steps")
    prompt = record["prompt"]
    cot = "\n\n".join(steps)
    for k, step in enumerate(steps):
        _check_unicode(f"step {k}", step)
    _check_unicode("prompt", prompt)
    return ChainInput(
        chain_id=stepwise_chain_id(prompt, cot), cot=cot, problem_id=_problem_hash(prompt), problem=prompt,
        reference=_reference(record), model=_model(record), source=source, steps=steps,
    )  # fmt: skip


def stepwise_chain_id(prompt: str | None, cot: str) -> str:
    """The id of a TRL stepwise chain (shared with ``importers``)."""
    return "trl-" + _sha256_hex(f"{prompt}\x1f{cot}")[:16]


def _mr_gsm8k(record: dict[str, Any], source: str) -> list[ChainInput]:
    """MR-GSM8K (``{"uuid", "question", "ground_truth_answer", "model_output_steps", ...}``; the graded solution
    in ``model_output_steps``, a list of steps in ``MR-GSM8K.json``, a string elsewhere) and ReasonEval's MR-MATH
    (``model_output``, with ``generator``). The human judgements beside them (``model_output_solution_first_error_step``, ...) are
    labels, not part of the chain."""
    key = "model_output_steps" if "model_output_steps" in record else "model_output"
    if key not in record:
        raise RecordError("not an MR-GSM8K record: no 'model_output_steps' (nor ReasonEval's 'model_output')")
    value = record[key]
    steps: tuple[str, ...] | None = None
    if type(value) is str and value.startswith("[") and value.rstrip().endswith("]"):
        # the list of steps saved as text (a CSV or parquet copy): JSON is read; Python's repr is left as text,
        # never evaluated (its "Step k:" markers still split it)
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            parsed = None
        if type(parsed) is list and parsed and all(type(step) is str for step in parsed):
            value = parsed
    if type(value) is str:
        cot = value
    elif type(value) is list:
        steps = _str_tuple(value, key)
        cot = "\n\n".join(steps)
    else:
        raise RecordError(f"field {key!r} must be a string or a list of strings, got {_type_name(value)}")
    if _id(record, "id") is None and _id(record, "uuid") is not None:
        record = {**record, "id": record["uuid"]}
    return [_single(record, cot, steps, source)]


def _is_inspect_log(document: dict[str, Any]) -> bool:
    return type(document.get("eval")) is dict and type(document.get("samples")) is list


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


def _inspect_sample(sample: Any, log: dict[str, Any], source: str) -> ChainInput:
    """One inspect_ai sample: ``{"id", "epoch", "input", "target", "output": {"choices": [{"message"}]},
    "scores"}``. The chain is the output's first choice (the last assistant message when there is no output),
    the problem the input (its last user message when it is a conversation), the reference the target; the
    problem id is ``TASK/ID`` and the sample index the epoch counted from 0, so epochs are samples for pass@k.
    The scores are the log's own grading: kept out, as the other formats' graders' verdicts are."""
    if type(sample) is not dict:
        raise RecordError(f"a sample must be an object, got {_type_name(sample)}")
    spec: dict[str, Any] = log["eval"] if type(log.get("eval")) is dict else {}
    task = _first_str(spec, ("task",)) or "task"
    model = _first_str(spec, ("model",))
    sample_id = sample.get("id")
    if type(sample_id) not in (str, int):
        raise RecordError(f"a sample's 'id' must be a string or an integer, got {_type_name(sample_id)}")
    epoch = sample.get("epoch", 1)
    if type(epoch) is not int or not 1 <= epoch < _SQLITE_INT:
        raise RecordError(f"sample {sample_id!r}: 'epoch' must be a positive integer")
    where = f"sample {sample_id!r} epoch {epoch}"
    if sample.get("error") and not sample.get("output"):
        raise RecordError(f"{where} failed: {_error_message(sample['error'])}")
    output = sample.get("output")
    choices = output.get("choices") if type(output) is dict else None
    if type(choices) is list and choices and type(choices[0]) is dict and type(choices[0].get("message")) is dict:
        text = _message_text(choices[0]["message"], f"{where}: output.choices[0].message")
    else:
        messages = sample.get("messages")
        turns = [m for m in messages if type(m) is dict] if type(messages) is list else []
        last = next((m for m in reversed(turns) if m.get("role") == "assistant"), None)
        if last is None:
            raise RecordError(f"{where} has no output: no output.choices and no assistant message")
        text = _message_text(last, f"{where}: the last assistant message")
    problem = _inspect_input(sample.get("input"), where)
    target = sample.get("target")
    if type(target) is list:
        target = next((t for t in target if type(t) is str), None)  # one of several accepted answers
    if target is not None and type(target) is not str:
        raise RecordError(f"{where}: 'target' must be a string or a list of strings")
    problem_id = f"{task}/{sample_id}"
    index = epoch - 1
    for field_name, value in (("chain text", text), ("problem", problem), ("reference", target),
                              ("model", model), ("id", problem_id)):
        _check_unicode(field_name, value)
    return ChainInput(
        chain_id=f"{model or 'model'}/{problem_id}#{index}", cot=text, problem_id=problem_id, problem=problem,
        reference=target or None, model=model, sample_index=index, source=source, problem_set=task,
    )  # fmt: skip


def _inspect_input(value: Any, where: str) -> str | None:
    if value is None or type(value) is str:
        return value or None
    if type(value) is list:
        users = [m for m in value if type(m) is dict and m.get("role") == "user"]
        return _text_or_none(users[-1], f"{where}: input") if users else None
    raise RecordError(f"{where}: 'input' must be a string or a list of messages, got {_type_name(value)}")


_RECORD_READERS: dict[str, Callable[[dict[str, Any], str], list[ChainInput]]] = {
    "openai": _openai, "vllm": _vllm, "messages": _messages, "mr-gsm8k": _mr_gsm8k,
}  # fmt: skip


# --- --field ---------------------------------------------------------------------------------------------

_MISSING = object()


def _lookup(record: dict[str, Any], name: str) -> Any:
    """A field by its name as given, else (``doc.answer``) through nested objects; ``_MISSING`` when absent."""
    if name in record:
        return record[name]
    value: Any = record
    for part in name.split("."):
        if type(value) is not dict or part not in value:
            return _MISSING
        value = value[part]
    return value


def _mapped(
    record: dict[str, Any], fields: tuple[tuple[str, str], ...]
) -> tuple[dict[str, Any], tuple[str, Any] | None]:
    """The record with each ``--field`` role's value under the role's own name (where every reader looks
    first), and the chain field's name and value, if one was named. A named field that is absent is an error:
    a misspelt name must not pass as a record without a reference."""
    out = dict(record)
    cot: tuple[str, Any] | None = None
    for role, name in fields:
        value = _lookup(record, name)
        if value is _MISSING:
            raise RecordError(f"no field {name!r} (named by --field {role}={name})")
        if role == "cot":
            cot = (name, value)
            continue
        for alternative in _ROLE_FIELDS[role]:
            out.pop(alternative, None)  # the named field replaces them all, even when it is null
        if value is not None:
            out[_ROLE_FIELDS[role][0]] = value
    return out, cot


def _mapped_chains(record: dict[str, Any], name: str, value: Any, source: str) -> list[ChainInput]:
    """The chains of a record whose chain field ``--field cot=NAME`` named: one for a string, one a sample for
    a list of strings."""
    if type(value) is str:
        return [_single(record, value, None, source)]
    if type(value) is list:
        return _many(record, name, value, source)
    raise RecordError(f"field {name!r} (--field cot={name}) must be a string or a list of strings, got "
                       f"{_type_name(value)}")


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
        raise RecordError(f"field {key!r} must be a list of strings, got {_type_name(value)}")
    for index, item in enumerate(value):
        if type(item) is not str:
            raise RecordError(
                f"field {key!r} must be a list of strings, but item {index} is {_type_name(item)}"
            )
    return tuple(value)


def _first_str(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if value is not None:
            if type(value) is not str:
                raise RecordError(f"field {key!r} must be a string, got {_type_name(value)}")
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
    raise RecordError(f"field {key!r} must be a string or an integer, got {_type_name(value)}")


def _sample_index(record: dict[str, Any]) -> int | None:
    value = record.get("sample_index")
    if type(value) is str and value.strip().isdecimal() and len(value.strip()) <= 19:
        value = int(value)
    if value is None or (type(value) is int and -_SQLITE_INT <= value < _SQLITE_INT):
        return value
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise RecordError(f"field 'sample_index' must be an integer below 2^63, got {_type_name(value)} {shown}")


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
            return gsm8k_answer(value) if _GSM8K_MARK in value else value
        if type(value) is int or type(value) is float:
            return str(value)
        raise RecordError(f"field {key!r} must be a string or a number, got {_type_name(value)}")
    return None


def gsm8k_answer(text: str) -> str | None:
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
