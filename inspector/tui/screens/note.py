"""The note editor: one line of free text on the chain, saved with Enter."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input


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
    """Returns the note's new text (empty clears it), or None when cancelled.

    A line docked at the foot of the terminal, over the chain view's keys, with the chain still there
    above it (dimmed a little), so the note is written with the chain in sight: at 80×24 it takes three
    rows. The app's ``Screen { background: $surface }`` outranks a screen's default CSS, and would blank
    the chain: the background is set on the screen itself (an inline style outranks every stylesheet).
    """

    DEFAULT_CSS = """
    NoteScreen { align: center bottom; }
    NoteScreen #note-box { width: 100%; height: auto; padding: 0 1; background: $panel;
                           border: round $accent; border-title-color: $text; border-subtitle-color: $text-muted; }
    NoteScreen #note-input { border: none; height: 1; padding: 0; background: $panel; }
    NoteScreen #note-input:focus { border: none; background-tint: $foreground 5%; }
    """

    DIM = 0.35
    """How much the chain behind is dimmed (the theme's background, this opaque, over it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="note.cancel", tooltip="Close without saving"),
    ]

    def __init__(self, chain_id: str, text: str) -> None:
        super().__init__()
        self.chain_id = chain_id
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box") as box:
            box.border_title = f"Note on {self.chain_id}"
            box.border_subtitle = "Enter saves · Esc cancels · empty clears it"
            yield NoteInput(
                value=self.text, placeholder="what is wrong, what the machine missed …", id="note-input"
            )

    def on_mount(self) -> None:
        background = Color.parse(self.app.get_css_variables().get("background", "black"))
        self.styles.background = background.with_alpha(self.DIM)
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
