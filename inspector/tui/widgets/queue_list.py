"""The queue: a virtual list over the database, reading only the pages the screen shows.

200,000 chains never enter memory: rows are fetched 100 at a time, in a worker thread with its own
connection, and kept in a small cache; the count comes the same way. A row not fetched yet draws
as a placeholder for the few milliseconds it takes. A search is counted no further than
:data:`COUNT_CAP` ("1,000+ chains": a word in most chains took 0.2 s to count), and exactly only when
the list needs its end (End, or the cursor near the cap). Rejected: ``DataTable`` (it holds every
row, and adding 200,000 of them takes seconds) and paging by hand (a list that stops at page ends).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inspector.labels.session import label_title
from inspector.store import QueueFilter, QueueRow

from ..palette import badge
from . import set_virtual_size

PAGE = 100
"""Rows fetched at a time."""

CACHED_PAGES = 30

COUNT_CAP = 1_000
"""A search is counted this far at first: more matches show as "1,000+"."""

Fetch = Callable[[QueueFilter, int, int], list[QueueRow]]
"""``(filter, offset, limit)`` → rows; runs in a worker thread."""
Count = Callable[[QueueFilter, "int | None"], int]
"""``(filter, cap)`` → the number of rows; with a ``cap``, ``cap + 1`` may mean "more" (``store.queue_count``)."""
FetchNow = Callable[[QueueFilter, int, int], "list[QueueRow] | None"]
"""As ``Fetch``, on the UI thread, when it is quick; ``None`` when it would not be (a worker does it)."""
CountNow = Callable[[QueueFilter, "int | None"], "int | None"]


def fit_middle(text: str, width: int) -> str:
    """``text`` cut in the middle (``Qwen2.…/MATH-500/12#0``, ``exp…step1000``) or padded to ``width`` cells:
    chain ids and model names differ at their ends (the sample, the checkpoint), not at their starts."""
    if width <= 0 or cell_len(text) <= width or not text.isascii():
        return fit(text, width)
    head = max(1, (width - 1) // 4)
    tail = width - 1 - head
    return text[:head] + "…" + text[len(text) - tail :]


def fit(text: str, width: int, align: str = "left") -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    pad = width - cell_len(text)
    return (" " * pad + text) if align == "right" else (text + " " * pad)


@dataclass(frozen=True, slots=True)
class Columns:
    chain: int
    model: int
    sample: int
    answer: int
    errors: int
    verdict: int
    label: int

    @classmethod
    def for_width(cls, width: int) -> Columns:
        if width >= 110:
            fixed = cls(0, 16, 6, 7, 6, 20, 19)
        elif width >= 90:
            fixed = cls(0, 12, 4, 7, 4, 19, 15)
        else:
            fixed = cls(0, 8, 3, 1, 3, 18, 12)
        used = 1 + 6 + fixed.model + fixed.sample + fixed.answer + fixed.errors + fixed.verdict + fixed.label
        return cls(
            max(8, width - used),
            *(getattr(fixed, f) for f in ("model", "sample", "answer", "errors", "verdict", "label")),
        )


class QueueList(ScrollView, can_focus=True):
    """The chains of the queue, one a line, under a fixed header line."""

    DEFAULT_CSS = """
    QueueList {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    QueueList > .queue-list--header { text-style: bold; color: $text-muted; }
    QueueList > .queue-list--cursor { background: $block-cursor-blurred-background; }
    QueueList:focus > .queue-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    QueueList > .queue-list--placeholder { color: $text-disabled; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-list--header",
        "queue-list--cursor",
        "queue-list--placeholder",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="queue.up", tooltip="Previous chain"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="queue.down", tooltip="Next chain"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="queue.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="queue.page_down"),
        Binding("home", "first", "First", show=False, id="queue.first", tooltip="First chain of the queue"),
        Binding("end", "last", "Last", show=False, id="queue.last", tooltip="Last chain of the queue"),
        Binding("enter", "open", "Open", id="queue.open", tooltip="Open the chain under the cursor"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        """The cursor moved onto a row (``None`` while that row is still loading)."""

        queue_list: QueueList
        row: QueueRow | None
        position: int

    @dataclass
    class Opened(Message):
        """Enter (or a double click) on a row."""

        queue_list: QueueList
        row: QueueRow
        position: int

    @dataclass
    class Counted(Message):
        """The queue's length is known (``more``: it is more than ``total``, counted no further)."""

        queue_list: QueueList
        total: int
        more: bool = False

    def __init__(
        self,
        fetch: Fetch,
        count: Count,
        *,
        fetch_now: FetchNow | None = None,
        count_now: CountNow | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._fetch = fetch
        self._count = count
        self._fetch_now = fetch_now
        self._count_now = count_now
        """Quick reads done at once, so a new filter's rows and count land in the key's own frame."""
        self.filter = QueueFilter()
        self.total: int | None = None
        """The number of rows, once counted."""
        self.more_than: int | None = None
        """A search counted no further than :data:`COUNT_CAP`: there are more rows than this (``total`` is None)."""
        self._exact: QueueFilter | None = None
        """The filter counted exactly (its end was needed): counted so again when labels change."""
        self._to_last = False
        """End was pressed before the exact count came: the cursor goes to the last row when it does."""
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._stale: set[int] = set()
        """Pages still shown from before a soft reload, fetched again when next drawn."""
        self._generation = 0
        self._frame: tuple[int, Style] = (0, Style())

    # ---------------------------------------------------------------------------------------------
    # Data

    def load(self, flt: QueueFilter, position: int = 0, *, soft: bool = False) -> None:
        """Show the queue for ``flt`` with the cursor at ``position``; fetching starts at once.

        ``soft`` (same filter, labels changed): the rows shown stay until their fresh copies arrive,
        so coming back to the queue never flashes placeholders.
        """
        soft = soft and flt == self.filter
        self.filter = flt
        self._generation += 1
        self._pending.clear()
        if soft:
            self._stale = set(self._pages)
        else:
            self._pages.clear()
            self._stale = set()
            self.total = self.more_than = None
            self._to_last = False
            self._set_virtual_height()
        generation = self._generation
        cap = COUNT_CAP if flt.search.strip() and flt != self._exact else None  # other filters: exact at once
        total = None if self._count_now is None else self._count_now(flt, cap)
        if total is None:
            self._count_later(flt, generation, cap)
        else:
            self._counted(generation, total, cap)
        page = max(0, position) // PAGE
        rows = None if self._fetch_now is None else self._fetch_now(flt, page * PAGE, PAGE)
        if rows is None:
            self._request(page)
        else:
            self._stale.add(page)  # as if a worker brought it: redrawn only if it changed
            self._page_loaded(generation, page, rows)
        if not soft or self.cursor != max(0, position):
            self.cursor = max(0, position)
        else:  # a soft reload in place: the cursor stays, and nothing is drawn again yet
            self._announce()

    def reload(self, position: int | None = None) -> None:
        """Fetch everything again (labels changed), keeping the cursor where it is."""
        self.load(self.filter, self.cursor if position is None else position, soft=True)

    def _count_later(self, flt: QueueFilter, generation: int, cap: int | None) -> None:
        self.run_worker(
            lambda: self._count_worker(flt, generation, cap), thread=True, group="queue-count", exclusive=True
        )

    def _count_worker(self, flt: QueueFilter, generation: int, cap: int | None) -> None:
        try:
            total = self._count(flt, cap)
        except Exception as exc:  # noqa: BLE001 - a read that fails must not take the annotator's screen down
            self.app.call_from_thread(self._read_failed, exc)
            return
        self.app.call_from_thread(self._counted, generation, total, cap)

    def count_exactly(self) -> None:
        """Count a search counted no further than the cap to its end (a worker's tenth of a second or so)."""
        if self.more_than is not None and self._exact != self.filter:
            self._exact = self.filter
            self._count_later(self.filter, self._generation, None)

    def _read_failed(self, exc: Exception) -> None:
        self.notify(f"Cannot read the queue: {exc}", title="Database", severity="error", timeout=8)

    def _counted(self, generation: int, total: int, cap: int | None = None) -> None:
        if generation != self._generation:
            return
        more = cap is not None and total > cap
        known = (None, cap) if more else (total, None)
        changed = known != (self.total, self.more_than)
        self.total, self.more_than = known
        if changed:  # else a soft reload that changed nothing: no frame to draw
            self._set_virtual_height()
            if self.total is not None and self._to_last:
                self._to_last = False
                self.cursor = max(0, self.total - 1)
            elif self.total and self.cursor >= self.total:
                self.cursor = self.total - 1
            self.refresh()
        self.post_message(self.Counted(self, total if self.total is not None else self.more_than or 0, more))

    def _request(self, page: int) -> None:
        if page < 0 or page in self._pending or (page in self._pages and page not in self._stale):
            return
        if self.total is not None and page * PAGE >= max(self.total, 1):
            return
        self._pending.add(page)
        generation = self._generation
        flt = self.filter
        self.run_worker(lambda: self._page_worker(flt, page, generation), thread=True, group="queue-page")

    def _page_worker(self, flt: QueueFilter, page: int, generation: int) -> None:
        try:
            rows = self._fetch(flt, page * PAGE, PAGE)
        except Exception as exc:  # noqa: BLE001 - as above; the page is asked for again when next drawn
            self.app.call_from_thread(self._read_failed, exc)
            self.app.call_from_thread(self._pending.discard, page)
            return
        self.app.call_from_thread(self._page_loaded, generation, page, rows)

    def _page_loaded(self, generation: int, page: int, rows: list[QueueRow]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(page)
        unchanged = page in self._stale and self._pages.get(page) == rows
        self._stale.discard(page)
        self._pages[page] = rows
        if unchanged:  # a soft reload brought the same rows back: nothing to redraw
            if page == self.cursor // PAGE:
                self._announce()
            return
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        if self.total is None and len(rows) < PAGE:  # the last page tells the length before the count
            self.total, self.more_than = page * PAGE + len(rows), None
            self._set_virtual_height()
            self.post_message(self.Counted(self, self.total))
            if self.total and self.cursor >= self.total:
                self.cursor = self.total - 1
        self.refresh()
        if page == self.cursor // PAGE:
            self._announce()

    def row_at(self, index: int) -> QueueRow | None:
        """The row at ``index`` if it is fetched; asks for its page otherwise."""
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None or page in self._stale:
            self._request(page)
        if rows is None:
            return None
        self._pages.move_to_end(page)
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    @property
    def current(self) -> QueueRow | None:
        return self.row_at(self.cursor) if self._has_rows else None

    @property
    def _has_rows(self) -> bool:
        return self.total is None or self.total > 0

    def _set_virtual_height(self) -> None:
        if self.total is not None:
            rows = self.total
        else:
            rows = max(PAGE, len(self._pages) * PAGE, (self.more_than or 0) + 1, self.cursor + 1)
        set_virtual_size(self, Size(self.size.width, rows + 1))

    # ---------------------------------------------------------------------------------------------
    # Cursor

    def validate_cursor(self, value: int) -> int:
        if self.total is not None:
            return max(0, min(value, self.total - 1)) if self.total else 0
        return max(0, value)

    def watch_cursor(self, old: int, new: int) -> None:
        if self.more_than is not None and new >= self.more_than - PAGE:  # near the end of what was counted
            self.count_exactly()
            self._set_virtual_height()
        self._scroll_to_cursor()
        self._request(new // PAGE)
        # Read ahead: the page after (or before) the one in view, before the cursor gets there.
        if new % PAGE > PAGE - 30:
            self._request(new // PAGE + 1)
        elif new % PAGE < 30 and new >= PAGE:
            self._request(new // PAGE - 1)
        self.refresh_lines(old + 1)  # the header is line 0; a scroll, if needed, redraws the rest itself
        self.refresh_lines(new + 1)
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self, self.current, self.cursor))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def action_page(self, direction: int) -> None:
        self.cursor = self.cursor + direction * max(1, self.scrollable_content_region.height - 2)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        if self.total is not None:
            self.cursor = max(0, self.total - 1)
        elif self.more_than is not None:  # a search counted no further than the cap: its end is counted first
            self._to_last = True
            self.count_exactly()

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(self, row, self.cursor))

    def on_resize(self, event: events.Resize) -> None:
        self._set_virtual_height()
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = round(self.scroll_y) + event.y - 1
        if self.total is not None and index >= self.total:
            return
        if index == self.cursor and event.chain >= 2:
            self.action_open()
        else:
            self.cursor = index

    # ---------------------------------------------------------------------------------------------
    # Drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = (self.scrollable_content_region.width, self.rich_style)  # once a frame, not a line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, base = self._frame
        cols = Columns.for_width(width)
        if y == 0:
            return self._strip(
                self._header(cols), width, base + self.get_component_rich_style("queue-list--header")
            )
        index = round(self.scroll_y) + y - 1
        if self.total is not None and index >= self.total:
            if self.total == 0 and y == 1:
                empty = self.filter._replace(order="suspicious") == QueueFilter()
                message = " The database holds no chains yet." if empty else " No chain matches (c clears the filters)."
                return self._strip(Text(message), width, base)
            return Strip.blank(width, base)
        row = self.row_at(index)
        line_style = base
        if index == self.cursor:
            line_style = base + self.get_component_rich_style("queue-list--cursor")
        if row is None:
            placeholder = self.get_component_rich_style("queue-list--placeholder")
            return self._strip(Text(" …", style=placeholder), width, line_style)
        return self._strip(self._row(row, cols), width, line_style)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text.no_wrap = True
        text.end = ""
        segments = list(text.render(self.app.console))
        return Strip(segments).crop_extend(0, width, style).apply_style(style)

    def _header(self, c: Columns) -> Text:
        return Text(
            " "
            + fit("chain", c.chain)
            + " "
            + fit("model", c.model)
            + " "
            + fit("#", c.sample, "right")
            + " "
            + fit("answer" if c.answer > 1 else "✓", c.answer)
            + " "
            + fit("err", c.errors, "right")
            + " "
            + fit("machine verdict", c.verdict)
            + " "
            + fit("your label", c.label)
        )

    def _row(self, r: QueueRow, c: Columns) -> Text:
        t = Text(" ")
        t.append(fit_middle(r.chain_id, c.chain))
        t.append(" ")
        t.append(fit_middle(r.model or "—", c.model))
        t.append(" ")
        t.append(fit("" if r.sample_index is None else str(r.sample_index), c.sample, "right"))
        t.append(" ")
        if r.answer_correct is None:
            t.append(fit("–" if c.answer == 1 else "– n/a", c.answer), style="dim")
        elif r.answer_correct:
            t.append(fit("✓" if c.answer == 1 else "✓ right", c.answer), style="bold green")
        else:
            t.append(fit("✗" if c.answer == 1 else "✗ wrong", c.answer), style="bold red")
        t.append(" ")
        t.append(
            fit(str(r.errors) if r.errors else "·", c.errors, "right"),
            style="bold red" if r.errors else "dim",
        )
        t.append(" ")
        if getattr(self.app, "blind", False) and r.label is None:  # --blind: shown once you have labelled it
            t.append(fit(" hidden", c.verdict), style="dim")
        else:
            t.append(fit(" " + label_title(r.verdict), c.verdict), style=badge(r.verdict))
        t.append(" ")
        if r.label is None:
            t.append(fit("·", c.label), style="dim")
        elif r.label == "unsure":
            t.append(fit("? unsure", c.label), style="italic")
        else:
            same = r.label == r.verdict
            t.append(
                fit(("= " if same else "≠ ") + label_title(r.label), c.label),
                style="bold" if same else "bold yellow",
            )
        return t
