"""The widgets of the labelling app, grouped by the screen part they draw."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Static


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


def flush_refreshes(screen: Screen[object]) -> None:
    """Tell ``screen`` now of every repaint (and layout) its widgets asked for, so it draws them all in
    its next frame.

    A widget tells its screen of a refresh only when the widget next idles; by then the screen may
    have drawn the frame the key asked for, and the rest waits for the next frame, 16 ms or more
    later (the screen draws at most 60 frames a second). One key, one frame: call this at the end of
    a handler that changed several widgets.
    """
    for node in screen.walk_children(with_self=False):
        if isinstance(node, Widget):
            node._check_refresh()
            for bar in (node._vertical_scrollbar, node._horizontal_scrollbar):  # not in the DOM's children
                if bar is not None:
                    bar._check_refresh()


def show_status(status: Static, message: str, kind: str = "") -> None:
    """Put ``message`` on a status line (``.status``), wrapped onto more rows rather than cut.

    The line is one row tall for the usual short message; a long one (a ``NOT SAVED`` with its
    reason) grows it to up to three rows. The screen is laid out again only when the row count
    changes, so the common case stays a repaint.
    """
    status.set_class(kind == "error", "-error")
    status.set_class(kind == "saved", "-saved")
    width = status.content_region.width or status.app.size.width - 2
    rows = 1
    if cell_len(message) > width:
        rows = min(3, len(Text(message).wrap(status.app.console, max(1, width))))
    status.update(message, layout=rows != status.outer_size.height)
