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

from ..context import APP_BINDINGS

LEGEND = (
    "Colours of the chain text. wrong number (bright red): the number a wrong claim stated. false claim (red "
    "tint): a claim that does not hold, or an equation whose two sides differ (900 = 1019), even where it "
    "follows from the line above. can't check (yellow, italics): a claim the engine could not decide. "
    "checks out (green): a claim that holds. uses wrong value (pink, underlined): a later use traced to a "
    "wrong number (a number that only happens to equal it, such as one from the problem, is not marked). "
    "answer (bold, underlined): the final answer found. Gutter: your step ratings (+ good, ○ neutral, ✗ bad) "
    "and ⚑ the first error. Every label is committed to the database the moment the status line says "
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
                           padding: 0 1; border-title-align: left; border-subtitle-align: right; }
    HelpScreen.-small #help-box { width: 100%; height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close", tooltip="Close the help"),
    ]

    def compose(self) -> ComposeResult:
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
                _section("Everywhere", [*APP_BINDINGS, Binding("ctrl+q", "quit", tooltip="Quit")])
            )
            yield Static(Text("\n" + LEGEND, style="dim"))

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < 100 or self.app.size.height < 30, "-small")
        box = self.query_one("#help-box", VerticalScroll)
        box.border_title = "Keys · Esc closes"
        box.focus()
        self.watch(box, "scroll_y", self._paged)
        self.call_after_refresh(self._paged)

    def _paged(self, *_: object) -> None:
        """The box's subtitle says which page this is, and how to see the next one."""
        box = self.query_one("#help-box", VerticalScroll)
        height = max(1, box.scrollable_content_region.height)
        pages = max(1, -(-box.virtual_size.height // height))
        if pages == 1:
            box.border_subtitle = ""
            return
        page = pages if box.scroll_y >= box.max_scroll_y else min(pages, 1 + round(box.scroll_y) // height)
        more = "  ↓ PgDn: more" if page < pages else "  ↑ PgUp: back"
        box.border_subtitle = f"page {page} of {pages}{more}"

    def action_close(self) -> None:
        self.dismiss(None)


def _is_label(b: BindingType) -> bool:
    return isinstance(b, Binding) and b.action.startswith(
        ("label", "accept", "rate", "first_error", "note", "skip", "undo")
    )
