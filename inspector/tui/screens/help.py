"""The help screen: every key of every screen, read from the bindings themselves so it cannot drift."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

LEGEND = (
    "Claims are highlighted where they stand: a wrong number in red, the wrong claim around it tinted red, "
    "an unverifiable claim yellow and in italics, a correct one green; a later use of a wrong value is "
    "underlined, the final answer bold. The gutter shows your step ratings (+ good, ○ neutral, ✗ bad) and "
    "⚑ the first error. Every label is committed to the database the moment the status line says "
    '"saved"; quitting or killing the program loses nothing.'
)


def _key_names(binding: Binding) -> str:
    if binding.key_display:
        extra = [k for k in binding.key.split(",")[1:]]
        return ", ".join([binding.key_display, *(_pretty(k) for k in extra)])
    return ", ".join(_pretty(k) for k in binding.key.split(","))


def _pretty(key: str) -> str:
    return {
        "space": "␣ space",
        "slash": "/",
        "question_mark": "?",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "escape": "Esc",
        "enter": "Enter",
        "pageup": "PgUp",
        "pagedown": "PgDn",
        "home": "Home",
        "end": "End",
        "up": "↑",
        "down": "↓",
        "left": "←",
        "right": "→",
        "ctrl+z": "Ctrl+Z",
        "backspace": "Backspace",
    }.get(key, key)


def _section(title: str, bindings: list[BindingType]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        show_header=False,
        box=None,
        padding=(0, 1),
        expand=True,
    )
    table.add_column(width=16, style="bold")
    table.add_column(ratio=1)
    for b in bindings:
        if not isinstance(b, Binding) or b.system:
            continue
        table.add_row(_key_names(b), b.tooltip or b.description)
    return table


class HelpScreen(ModalScreen[None]):
    """Every key, grouped by where it works."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box { width: 90%; max-width: 110; height: 90%; background: $panel; border: round $accent;
                           padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close", tooltip="Close the help"),
    ]

    def compose(self) -> ComposeResult:
        from ..app import LabelApp
        from ..widgets.chain_text import ChainText
        from ..widgets.queue_list import QueueList
        from .chain import ChainScreen
        from .queue import QueueScreen
        from .report import ReportScreen

        with VerticalScroll(id="help-box"):
            yield Static(Text("cot-inspector label: keys (Esc closes)", style="bold"))
            yield Static(_section("Chain view: labels", [b for b in ChainScreen.BINDINGS if _is_label(b)]))
            yield Static(
                _section(
                    "Chain view: moving",
                    [*ChainText.BINDINGS, *(b for b in ChainScreen.BINDINGS if not _is_label(b))],
                )
            )
            yield Static(_section("Queue", [*QueueList.BINDINGS, *QueueScreen.BINDINGS]))
            yield Static(_section("Report (R)", ReportScreen.BINDINGS))
            yield Static(
                _section("Everywhere", [*LabelApp.BINDINGS, Binding("ctrl+q", "quit", tooltip="Quit")])
            )
            yield Static(Text("\n" + LEGEND, style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


def _is_label(b: BindingType) -> bool:
    return isinstance(b, Binding) and b.action.startswith(
        ("label", "accept", "rate", "first_error", "note", "skip", "undo")
    )
