"""Small dataclass messages that cross screens (a widget's own messages live in the widget)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class VerifyProgress(Message):
    """Chains verified so far while opening a JSONL file; a newer one replaces a queued older one."""

    done: int
    total: int | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, VerifyProgress)


@dataclass
class VerifyFinished(Message):
    """Verifying on open ended: ``error`` says why when it failed."""

    chains: int
    error: str | None = None


@dataclass
class LabelsChanged(Message):
    """Something was saved (or undone): lists and counts showing labels must refresh."""

    chain_id: str
