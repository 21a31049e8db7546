"""The note editor: one line of free text on the chain, saved with Enter."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NoteInput(Input):
    """The note's line: a pasted text of several lines is kept whole, its lines joined with " / " (Textual's
    Input keeps only the first line of a paste, silently), and the annotator is told."""

    def _on_paste(self, event: events.Paste) -> None:
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        if len(lines) > 1:
            event.prevent_default()
            event.stop()
            text = " / ".join(lines)
            if self.selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *self.selection)
            self.app.notify(f"the pasted {len(lines)} lines are kept on one line, joined with ' / '", timeout=4)
        # one line: Input's own handler (which runs after this one) pastes it


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
            yield NoteInput(
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
