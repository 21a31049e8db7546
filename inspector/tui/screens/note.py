"""The note editor: one line of free text on the chain, saved with Enter."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NoteScreen(ModalScreen[str | None]):
    """Returns the note's new text (empty clears it), or None when cancelled."""

    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen #note-box { width: 90%; max-width: 100; height: auto; padding: 1 2; background: $panel;
                           border: round $accent; }
    NoteScreen #note-help { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="note.cancel", tooltip="Close without saving"),
    ]

    def __init__(self, chain_id: str, text: str) -> None:
        super().__init__()
        self.chain_id = chain_id
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Static(f"Note on {self.chain_id}", id="note-title")
            yield Input(
                value=self.text, placeholder="what is wrong, what the machine missed …", id="note-input"
            )
            yield Static("Enter saves · Esc cancels · an empty note clears it", id="note-help")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
