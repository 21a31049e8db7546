"""The report screen: what `inspect report` prints (verdicts, pass@k three ways, agreement, the plot), in the TUI."""

from __future__ import annotations

import io
from typing import ClassVar, NamedTuple, cast

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from inspector import store
from inspector.errors import InspectorError
from inspector.report.build import Report, build_report
from inspector.report.render import rich_tables

from ..context import APP_BINDINGS, LabelContext, label_context
from ..widgets.key_bar import KeyBar, app_keys

_SCROLL = Binding.Group("scroll", compact=True)


class Part(NamedTuple):
    """One part of the report, ready to show: a table drawn already (``width``: its natural width), or text."""

    renderable: RenderableType
    width: int | None
    """A table's width (the screen scrolls sideways rather than squeeze it); None: text, wrapped to the screen."""


_BUILT: dict[str, tuple[tuple[object, ...], tuple[Report, list[Part]]]] = {}
"""The last report built per database, with the state it was built from (`store.report_state`): reopening the
screen when nothing has changed shows it again instead of reading the whole database. (Building it counts
the chains in SQL, a tenth of a second on 200,000 chains; where the curves cross takes the rest.)"""


def build(db_path: str) -> tuple[Report, list[Part]]:
    """The report and its renderables, exactly as `inspect report` makes them (run in a worker thread).

    The worker opens its own connection: a SQLite connection belongs to the thread that made it.
    """
    db = store.open_reader(db_path)
    try:
        state = store.report_state(db)
        cached = _BUILT.get(db_path)
        if cached is not None and cached[0] == state:
            return cached[1]
        report = build_report(db, database=db_path)
    finally:
        db.close()
    built = (report, [_drawn(part) for part in rich_tables(report)])
    _BUILT[db_path] = (state, built)
    return built


def _drawn(part: RenderableType) -> Part:
    """A table drawn into lines of text here, in the worker, once: a Rich table in a ``Static`` is drawn
    again for every layout of the screen (its height, then its lines), the better part of a second for
    the report of 200,000 chains on the UI thread. Text (the plot's legend, notes) stays as it is."""
    if not isinstance(part, Table):
        return Part(part, None)
    part.title_justify = "left"  # a title centred over a table wider than the screen is off screen
    console = Console(file=io.StringIO(), width=10_000, force_terminal=True, color_system="truecolor",
                      legacy_windows=False, safe_box=False, highlight=False, markup=False, emoji=False)  # fmt: skip
    width = Measurement.get(console, console.options, part).maximum
    text = Text(no_wrap=True, end="")
    for n, line in enumerate(console.render_lines(part, console.options.update_width(width), pad=False)):
        if n:
            text.append("\n")
        for segment in line:
            if not segment.control:
                text.append(segment.text, segment.style)
    return Part(text, width)


class ReportView(ScrollableContainer):
    """The report's tables, one under the other; ← → move a sixth of the view (one column is too slow)."""

    def action_scroll_left(self) -> None:
        self.scroll_relative(x=-max(4, self.size.width // 6), animate=False)

    def action_scroll_right(self) -> None:
        self.scroll_relative(x=max(4, self.size.width // 6), animate=False)


class ReportScreen(Screen[None]):
    """The whole database's report, built in a worker when the screen opens and the database has changed since
    it was last built (labels change it).

    Tables keep their natural width and the screen scrolls sideways, rather than squeezing them to
    the terminal as `inspect report` must (a model name cut to ``demo-…`` says nothing); text (the
    plot's legend, notes) wraps at the screen's width.
    """

    DEFAULT_CSS = """
    ReportScreen #report { height: 1fr; padding: 0 1; }
    ReportScreen #report > Static { margin-bottom: 1; }
    ReportScreen #report > Static.-text { width: 100%; }
    ReportScreen #report > Static.-error { width: 100%; color: $text-error; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,backspace,q,R",
            "back",
            "Back",
            id="report.back",
            tooltip="Back to where you were (the report is built again each time it opens)",
        ),
        Binding(
            "k",
            "line_up",
            "Scroll up",
            show=False,
            id="report.up",
            tooltip="Scroll up (also ↑, PgUp, Home)",
        ),
        Binding(
            "j",
            "line_down",
            "Scroll down",
            show=False,
            id="report.down",
            tooltip="Scroll down (also ↓, PgDn, End); ← → scroll tables wider than the screen",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        """The report shown, once the worker has built it."""

    @property
    def label_app(self) -> LabelContext:
        return label_context(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="report-header", classes="bar")
        yield ReportView(id="report")
        yield KeyBar(
            [
                *self.BINDINGS,
                Binding("up", "line_up", "up", key_display="↑", group=_SCROLL),
                Binding("down", "line_down", "down", key_display="↓", group=_SCROLL),
                Binding("left", "line_left", "left", key_display="←", group=_SCROLL),
                Binding("right", "line_right", "right", key_display="→", group=_SCROLL),
                *app_keys(APP_BINDINGS, "help"),
            ]
        )

    def on_mount(self) -> None:
        self._header("building the report: reading the whole database …")  # at once; a worker builds it
        report = self.query_one(ReportView)
        report.loading = True
        report.focus()
        path = self.label_app.db_path
        self.run_worker(lambda: build(path), thread=True, group="report", exclusive=True, exit_on_error=False)

    def _header(self, what: str) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append("Report", style="bold")
        t.append(f"  {self.label_app.db_name}  ", style="dim")
        t.append(what)
        self.query_one("#report-header", Static).update(t, layout=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "report" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        container = self.query_one(ReportView)
        container.loading = False
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            message = str(error) if isinstance(error, InspectorError) else f"{type(error).__name__}: {error}"
            self._header("could not be built")
            container.mount(Static(Text(f"The report could not be built: {message}"), classes="-error"))
            return
        report, parts = cast("tuple[Report, list[Part]]", event.worker.result)
        self.report = report
        self._header(
            f"{report.chains:,} chain{'' if report.chains == 1 else 's'} · labels resolved: {report.resolution}"
            " · as `inspect report`"
        )
        container.mount_all([self._static(part) for part in parts])

    def _static(self, part: Part) -> Static:
        static = Static(part.renderable)
        if part.width is not None:
            static.styles.width = part.width
        else:
            static.add_class("-text")
        return static

    def action_line_up(self) -> None:
        self.query_one(ReportView).scroll_up()

    def action_line_down(self) -> None:
        self.query_one(ReportView).scroll_down()

    def action_line_left(self) -> None:
        self.query_one(ReportView).action_scroll_left()

    def action_line_right(self) -> None:
        self.query_one(ReportView).action_scroll_right()

    def action_back(self) -> None:
        self.dismiss(None)
