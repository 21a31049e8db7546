"""The widgets of the labelling app, grouped by the screen part they draw."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Change a Line API widget's virtual size without asking the whole screen for a new layout.

    Setting ``virtual_size`` triggers a layout of the screen (16 ms on the chain view, a third of the
    budget of a key press); the widget's own box does not change with its content, so only its
    scrollbars need updating. Its scrollbar gutter is stable, so showing a scrollbar moves nothing.
    """
    if size == view.virtual_size:
        return
    view.set_reactive(ScrollView.virtual_size, size)
    view._scroll_update(size)
    view.refresh()
