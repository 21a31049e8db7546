"""What to read, and how: the formats ``--input-format`` takes, the fields ``--field`` names (`ReadOptions`).

Apart from the readers, so that the options (small and picklable) reach the worker processes and the record
readers (`load_records`) alike, and ``--field``'s renaming is done in one place before any reader looks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .load_fields import REFERENCE_FIELDS, RecordError

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
