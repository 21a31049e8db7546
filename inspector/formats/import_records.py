"""What every importer shares: `Imported`, what each reader yields, and the records of a JSON list or JSONL
file, of which the first alone tells the file's format (`importers.detect_format`).

Below both the readers of the field's data sets (`import_datasets`) and of our own exports (`import_exports`),
so that each reads its records, and names a bad one, the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..engine.model import ChainInput
from ..errors import InputError
from ..labels.labelset import ChainLabels
from .compressed import DECOMPRESSION_ERRORS, damaged, open_input


@dataclass(frozen=True, slots=True)
class Imported:
    """One chain to verify, and what people said about it (empty for unlabelled formats)."""

    chain: ChainInput
    labels: ChainLabels
    verdict: str | None = None
    """The verdict the file records for the chain (the shards of ``inspect verify --ray``), which verifying it
    again here is checked against."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _problem_id(problem: str) -> str:
    """The id ``inspect verify`` gives a problem it has only the text of (so the two agree)."""
    return "p" + _sha(problem)[:12]


def _first_record(path: str) -> tuple[dict[str, Any] | None, bool]:
    """The first JSON object of a JSONL file or JSON list, and whether the file is a list."""
    try:
        return _first_record_of(path)
    except DECOMPRESSION_ERRORS as exc:  # a gzip or zstd file cut short within its first megabytes
        raise damaged(path, exc) from None


def _first_record_of(path: str) -> tuple[dict[str, Any] | None, bool]:
    with open_input(path) as f:
        head = f.read(1 << 20)
        text = head.decode("utf-8-sig", errors="replace").lstrip()
        is_list = text.startswith("[")
        if is_list:
            text = text[1:].lstrip()
        decoder = json.JSONDecoder()
        while True:
            try:
                obj, _ = decoder.raw_decode(text)
                return (obj if isinstance(obj, dict) else None), is_list
            except (RecursionError, ValueError) as exc:
                if not isinstance(exc, json.JSONDecodeError):
                    return None, is_list  # too deep, a 5,000-digit number: the reader names the line
                more = f.read(1 << 22)
                if not more or len(text) > 1 << 26:
                    return None, is_list
                text += more.decode("utf-8", errors="replace")


def _records(name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(record number, record)`` of a JSON list or a JSONL file; numbers are lines for JSONL."""
    _, is_list = _first_record(name)
    if is_list:
        try:
            with open_input(name) as f:
                records = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(name, None, f"invalid JSON: {exc}") from exc
        for i, record in enumerate(records, 1):
            if not isinstance(record, dict):
                raise InputError(name, i, f"record {i}: expected a JSON object")
            yield i, record
        return
    with open_input(name) as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(name, lineno, f"invalid JSON: {exc}") from exc
            if not isinstance(record, dict):
                raise InputError(name, lineno, "expected a JSON object")
            yield lineno, record


def _str(value: Any, what: str, name: str, number: int) -> str:
    if not isinstance(value, str):
        raise InputError(name, number, f"field {what!r} must be a string")
    return value
