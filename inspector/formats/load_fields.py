"""What a record's fields mean for its chain: the problem, the model, the ids, the reference answer, each
checked as it is read, and the chains of a plain record (one text, or a list of samples).

Below the readers of each format (`load_records` for plain records, `load_tools` for the field's other tools),
so that all of them build chains from the same checked fields and name a bad one the same way (`RecordError`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..engine.model import ChainInput

REFERENCE_FIELDS = (
    "reference", "answer", "gt", "gold", "ground_truth", "ground_truth_answer", "Ground_Truth_Answer", "target",
    "label",
)
"""Where real files keep the reference answer, first present wins (Abel: ``gold``; ToRA and the Qwen
evaluation: ``gt``; ReasonEval and MR-GSM8K: ``ground_truth_answer``; lm-eval: ``target``; the Spurious Rewards
metadata: ``label``). ``label`` is taken only as text: ProcessBench's ``label`` is an error-step index."""
_GSM8K_MARK = "####"


class RecordError(Exception):
    """A record that cannot be read; the caller adds FILE and LINE."""


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
