"""The chain of thought, its steps numbered in a gutter and every checked claim highlighted at its span.

A Line API widget. Laying out a chain only finds where its rows break (a greedy word wrap over the plain
text, linear and cheap: ``chain_layout``); a row is styled and rendered when it is first on screen, and
moving between steps only redraws the rows of two steps. A long chain opens in two parts: ``show_head``
draws its first steps at once, unhighlighted, and ``show_loaded`` completes it when the chain view's
worker has loaded, highlighted and laid out the whole (``tui/chain_load.py``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import ClassVar

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inspector.engine.model import ChainResult
from inspector.labels.review import Marked, segments, steps_with_errors

from ..palette import FIRST_ERROR_GLYPH, RATING_GLYPH, RATING_STYLE, SELECTED_STEP, mark_style
from . import set_virtual_size
from .chain_layout import GUTTER, Layout, Prepared, lay_out, prepare, prepare_result

__all__ = ["GUTTER", "ChainText"]


class ChainText(ScrollView, can_focus=True):
    """The numbered, highlighted steps of one chain; one step is selected."""

    DEFAULT_CSS = """
    ChainText {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    ChainText > .chain-text--gutter { color: $text-muted; }
    ChainText > .chain-text--selected-gutter { color: $accent; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"chain-text--gutter", "chain-text--selected-gutter"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up,k",
            "step(-1)",
            "Previous step",
            show=False,
            id="chain.step_up",
            tooltip="Select the step above",
        ),
        Binding(
            "down,j",
            "step(1)",
            "Next step",
            show=False,
            id="chain.step_down",
            tooltip="Select the step below",
        ),
        Binding("home", "first_step", "First step", show=False, id="chain.first_step"),
        Binding("end", "last_step", "Last step", show=False, id="chain.last_step"),
        Binding("pageup", "scroll_page(-1)", "Page up", show=False, id="chain.page_up"),
        Binding("pagedown", "scroll_page(1)", "Page down", show=False, id="chain.page_down"),
        Binding(
            "w",
            "next_error",
            "Next error",
            show=False,
            id="chain.next_error",
            tooltip="Select the next step with an arithmetic error",
        ),
    ]

    selected: reactive[int] = reactive(0, init=False)

    def __init__(self, *, on_step: Callable[[int], None] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._on_step = on_step
        """Called at once when the selected step changes. A callback, not a message: a message is
        handled a frame later, and the verification panel must change in the same frame as the
        highlight (one redraw per key, not two)."""
        self.result: ChainResult | None = None
        """The chain shown, once loaded; ``None`` while only its first steps are (``show_head``)."""
        self.readable = False
        self.ratings: dict[int, tuple[int | None, bool]] = {}
        self._head: tuple[str, list[tuple[int, int]]] | None = None
        """While the chain loads: the text and spans of its first steps, as stored."""
        self._steps = 0
        """How many steps the chain has (while it loads, more than are laid out)."""
        self._prep = Prepared("", [], [], [], 0, False)
        self._text = ""
        self._spans: list[tuple[int, int]] = []
        self._marks: list[Marked] = []
        self._mark_starts: list[int] = []
        self._mark_reach = 0
        """The longest mark: a row's marks are those starting at most this far before it."""
        self._rows: list[tuple[int, int]] = []
        """Each visual row as ``[start, end)`` of the text."""
        self._strips: dict[int, Strip] = {}
        """Rows rendered so far (for this width and theme)."""
        self._line_step: list[int] = []
        self._first_line: list[int] = []
        self._built_for: tuple[int, bool] | None = None
        self._frame: tuple[int, Style, bool, int] = (0, Style(), True, 0)
        self._gutter_styles: dict[bool, Style] = {}

    # ---------------------------------------------------------------------------------------------
    # Content

    def show(
        self, result: ChainResult, ratings: dict[int, tuple[int | None, bool]], selected: int = 0
    ) -> None:
        """Show a chain with the annotator's step labels, selecting ``selected``."""
        self.result, self._head = result, None
        self._open(prepare_result(result, self.readable), len(result.steps) or 1, ratings, selected)

    def show_head(
        self,
        text: str,
        spans: list[tuple[int, int]],
        steps: int,
        ratings: dict[int, tuple[int | None, bool]],
        selected: int = 0,
    ) -> None:
        """Show a long chain's first ``spans`` of ``steps`` (``text`` reaches at least their end), without
        highlights, while the whole chain loads; ``show_loaded`` then completes it where it stands."""
        self.result, self._head = None, (text, spans)
        self._open(prepare(text, spans, [], self.readable), steps, ratings, selected)

    def show_loaded(self, result: ChainResult, prepared: Prepared, layout: Layout | None) -> None:
        """The whole chain of ``show_head``, highlighted (``prepared`` from it, laid out if ``layout``):
        the selected step and the scroll stay where the annotator has them."""
        self.result, self._head = result, None
        if prepared.as_text != self.readable:  # LaTeX toggled while it loaded
            prepared, layout = prepare_result(result, self.readable), None
        self._take(prepared, len(result.steps) or 1)
        width = self._width()
        if layout is not None and layout.width == width and self._built_for is not None:
            self._use(layout)
        else:
            self._built_for = None
            self._rebuild()
        self.refresh()

    @property
    def partial(self) -> bool:
        """Whether only the chain's first steps are shown, unhighlighted, while it loads."""
        return self._head is not None

    def layout_width(self) -> int | None:
        """The width the chain is laid out at, once the widget has one."""
        return None if self._built_for is None else self._built_for[0]

    def _open(
        self, prepared: Prepared, steps: int, ratings: dict[int, tuple[int | None, bool]], selected: int
    ) -> None:
        self.ratings = ratings
        self._take(prepared, steps)
        self._built_for = None
        self._rebuild()
        self.set_reactive(ChainText.selected, max(0, min(selected, len(self._spans) - 1)))
        self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_to_selected()
        self.refresh()

    def _take(self, prepared: Prepared, steps: int) -> None:
        self._prep, self._steps = prepared, steps
        self._text = prepared.text
        self._spans = prepared.spans
        self._marks = prepared.marks
        self._mark_starts = prepared.mark_starts
        self._mark_reach = prepared.mark_reach

    def set_ratings(self, ratings: dict[int, tuple[int | None, bool]]) -> None:
        """New step labels: only the gutter changes."""
        self.ratings = ratings
        self.refresh()

    def set_readable(self, on: bool) -> None:
        """Show LaTeX as readable text (``\\frac{1}{2}`` as ``1/2``), or as written."""
        self.readable = on
        if self.result is not None:
            prepared = prepare_result(self.result, on)
        elif self._head is not None:
            prepared = prepare(*self._head, [], on)
        else:
            return
        self._take(prepared, self._steps)
        self._built_for = None
        self._rebuild()
        self._scroll_to_selected()
        self.refresh()

    def restyle(self) -> None:
        """Colours changed (dark/light)."""
        self._built_for = None
        self._rebuild()
        self.refresh()

    @property
    def step_count(self) -> int:
        return self._steps

    # ---------------------------------------------------------------------------------------------
    # Layout

    def _width(self) -> int:
        return max(GUTTER + 10, self.scrollable_content_region.width)

    def _rebuild(self) -> None:
        if self.scrollable_content_region.width <= 0 and not self._rows:
            return  # not laid out yet: the first resize builds it, at its real width
        width = self._width()
        dark = self.app.current_theme.dark
        if self._built_for == (width, dark) or (self.result is None and self._head is None):
            return
        if self._built_for is None or self._built_for[0] != width:
            self._use(lay_out(self._prep, width))
        else:
            self._strips = {}
            self._built_for = (width, dark)

    def _use(self, layout: Layout) -> None:
        self._rows, self._line_step, self._first_line = layout.rows, layout.line_step, layout.first_line
        self._strips = {}
        self._built_for = (layout.width, self.app.current_theme.dark)
        # While the chain loads, each step not laid out yet holds a row at least: the scrollbar says so.
        size = Size(layout.width, len(self._rows) + max(0, self._steps - len(self._spans)))
        if self.styles.height is not None and self.styles.height.is_auto:
            self.virtual_size = size  # the pane's height follows its lines: the screen must lay out again
        else:
            set_virtual_size(self, size)

    def _strip(self, index: int) -> Strip:
        """Row ``index`` with its highlights, rendered on first sight."""
        strip = self._strips.get(index)
        if strip is None:
            a, b = self._rows[index]
            lo = bisect_left(self._mark_starts, a - self._mark_reach)
            hi = bisect_left(self._mark_starts, b)
            width, dark = self._built_for or (GUTTER + 10, True)
            strip = _render_row(self._text, a, b, self._marks[lo:hi], dark, self.app.console, width - GUTTER)
            self._strips[index] = strip
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._rebuild()
        self._scroll_to_selected()

    def step_region(self, index: int) -> Region:
        if not self._first_line:
            return Region(0, 0, 1, 1)
        start = self._first_line[index]
        end = self._first_line[index + 1] if index + 1 < len(self._first_line) else len(self._rows)
        return Region(0, start, self.virtual_size.width, max(1, end - start))

    def _scroll_to_selected(self) -> None:
        if not self._rows:
            return
        region = self.step_region(self.selected)
        height = self.scrollable_content_region.height
        if region.height >= height:
            self.scroll_to(y=region.y, animate=False, immediate=True)
        else:
            self.scroll_to_region(region, animate=False, immediate=True, x_axis=False)

    # ---------------------------------------------------------------------------------------------
    # Selection

    def validate_selected(self, value: int) -> int:
        return max(0, min(value, max(0, len(self._spans) - 1)))

    def watch_selected(self, old: int, new: int) -> None:
        # Only the two steps' lines change (a scroll, if one is needed, redraws the rest itself).
        for index in (old, new):
            if 0 <= index < len(self._first_line):
                region = self.step_region(index)
                self.refresh_lines(region.y, region.height)
        self._scroll_to_selected()
        if self._on_step is not None:
            self._on_step(new)

    def action_step(self, delta: int) -> None:
        self.selected = self.selected + delta

    def action_first_step(self) -> None:
        self.selected = 0

    def action_last_step(self) -> None:
        self.selected = len(self._spans) - 1

    def action_scroll_page(self, direction: int) -> None:
        self.scroll_to(
            y=self.scroll_y + direction * max(1, self.scrollable_content_region.height - 1), animate=False
        )

    def action_next_error(self) -> None:
        if self.result is None:
            return
        errors = steps_with_errors(self.result)
        if errors:
            later = [i for i in errors if i > self.selected]
            self.selected = later[0] if later else errors[0]

    def on_click(self, event: events.Click) -> None:
        line = round(self.scroll_y) + event.y
        if 0 <= line < len(self._line_step):
            self.selected = self._line_step[line]

    # ---------------------------------------------------------------------------------------------
    # Drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of this frame shares, looked up once (each lookup walks the DOM's styles).
        self._frame = (
            self.scrollable_content_region.width,
            self.rich_style,
            self.app.current_theme.dark,
            round(self.scroll_y),
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, base, dark, top = self._frame
        index = top + y
        if index >= len(self._rows):
            return Strip.blank(width, base)
        step = self._line_step[index]
        first = self._first_line[step] == index
        selected = step == self.selected
        gutter = self._gutter(step, first, selected, dark)
        strip = Strip.join([gutter, self._strip(index)])
        if selected:
            strip = strip.apply_style(SELECTED_STEP[dark])
        return strip.crop_extend(0, width, base).apply_style(base)

    def _gutter(self, step: int, first: bool, selected: bool, dark: bool) -> Strip:
        style = self.get_component_rich_style(
            "chain-text--selected-gutter" if selected else "chain-text--gutter"
        )
        return self._gutter_strip(step, first, selected, dark, style)

    def _gutter_strip(self, step: int, first: bool, selected: bool, dark: bool, style: Style) -> Strip:
        t = Text(no_wrap=True, end="")
        t.append("▌" if selected else " ", style)
        if first:
            t.append(f"{step + 1:>3} ", style)
            rating, first_error = self.ratings.get(step, (None, False))
            if rating is not None:
                t.append(RATING_GLYPH[rating], RATING_STYLE[rating][dark])
            else:
                t.append(" ")
            t.append(FIRST_ERROR_GLYPH if first_error else " ", RATING_STYLE[-1][dark])
        else:
            t.append("      ")
        t.append("│", style)
        return Strip(list(t.render(self.app.console)), GUTTER)


def _render_row(
    text: str, start: int, end: int, marks: list[Marked], dark: bool, console: Console, width: int
) -> Strip:
    """One row ``text[start:end]`` with its highlights, ``width`` cells wide."""
    if start == end:
        return Strip.blank(width)
    t = Text(end="", no_wrap=True)
    for a, b, here in segments(start, end, marks):
        style: Style | None = mark_style(here, dark)
        t.append(text[a:b], style or "")
    return Strip(list(t.render(console))).adjust_cell_length(width)
