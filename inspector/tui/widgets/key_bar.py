"""The key bar at the bottom: the main keys of a screen, drawn once, each clickable.

Textual's ``Footer`` was rejected here: it rebuilds itself (a widget per key) whenever the focus or
the screen changes, which cost a third of the time of opening a chain. This bar is one line of text
made from the same ``Binding`` objects, so it cannot drift from what the keys do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Resize
from textual.widgets import Static

_KEY_NAMES = {
    "space": "␣", "slash": "/", "question_mark": "?", "escape": "esc", "enter": "⏎",
    "left_square_bracket": "[", "right_square_bracket": "]",
}  # fmt: skip


def key_name(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    first = binding.key.split(",")[0]
    return _KEY_NAMES.get(first, first)


def app_keys(bindings: Iterable[BindingType], *actions: str) -> list[Binding]:
    """The app's bindings for ``actions``, addressed to the app (for a screen's key bar)."""
    by_action = {b.action: b for b in bindings if isinstance(b, Binding)}
    return [replace(by_action[a], action=f"app.{a}") for a in actions]


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


class KeyBar(Static):
    """``key description`` for each binding shown; a group's keys share one description."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-description-foreground;
        padding: 0 1;
        link-style: bold;
        link-color: $footer-key-foreground;
        link-background: $footer-background;
        link-style-hover: bold reverse;
    }
    """

    def __init__(self, bindings: Iterable[BindingType], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown = [b for b in bindings if isinstance(b, Binding) and b.show]

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self, event: Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(self._content(self.content_region.width), layout=False)

    def _content(self, width: int) -> Content:
        """As many keys as fit in ``width`` cells (all of them while the width is not known yet), in
        order, and the help key always: a key that does not fit is left out whole, never cut after its
        key (an ``R`` with no ``Report``)."""
        parts: list[str] = []
        heads: list[Binding] = []
        i = 0
        bindings = self._shown
        while i < len(bindings):
            b = bindings[i]
            group = [b]
            while (
                b.group is not None
                and i + len(group) < len(bindings)
                and bindings[i + len(group)].group == b.group
            ):
                group.append(bindings[i + len(group)])
            keys = "".join(f"[@click={_escape(_action(g))}]{_escape(key_name(g))}[/]" for g in group)
            description = b.group.description if b.group is not None and len(group) > 1 else b.description
            parts.append(f"{keys} {_escape(description)}")
            heads.append(b)
            i += len(group)
        # The help key is always shown, at the end: the way to every other key must never be cut off.
        pinned = [p for p, b in zip(parts, heads, strict=True) if b.action.split("(")[0].endswith("help")]
        rest = [p for p in parts if p not in pinned]
        shown: list[str] = []
        used = sum(Content.from_markup(p).cell_length + 2 for p in pinned)
        for part in rest:
            cells = Content.from_markup(part).cell_length + (2 if shown else 0)
            if shown and width > 0 and used + cells > width:
                continue  # left out whole; a shorter one further on may still fit
            shown.append(part)
            used += cells
        return Content.from_markup("  ".join([*shown, *pinned]))


def _action(binding: Binding) -> str:
    """The binding's action, addressed to the screen unless it names its own namespace."""
    return binding.action if "." in binding.action.split("(")[0] else f"screen.{binding.action}"
