"""The report screen: what `inspect report` prints (verdicts, pass@k three ways, agreement, the plot), in the TUI."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import RenderableType
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
from inspector.render_report import rich_tables
from inspector.report import Report, build_report

from ..widgets.key_bar import KeyBar, app_keys

if TYPE_CHECKING:
    from ..app import LabelApp

_SCROLL = Binding.Group("scroll", compact=True)


def build(db_path: str) -> tuple[Report, list[RenderableType]]:
    """The report and its renderables, exactly as `inspect report` makes them (run in a worker thread).

    The worker opens its own connection: a SQLite connection belongs to the thread that made it.
    """
    db = store.open_reader(db_path)
    try:
        report = build_report(db, database=db_path)
    finally:
        db.close()
    return report, rich_tables(report)


class ReportScreen(Screen[None]):
    """The whole database's report, built in a worker each time the screen opens (labels change it).

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
            key_display="esc",
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
    def label_app(self) -> LabelApp:
        return cast("LabelApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="report-header", classes="bar")
        yield ScrollableContainer(id="report")
        from ..app import LabelApp

        yield KeyBar(
            [
                *self.BINDINGS,
                Binding("up", "line_up", "up", key_display="↑", group=_SCROLL),
                Binding("down", "line_down", "down", key_display="↓", group=_SCROLL),
                *app_keys(LabelApp.BINDINGS, "help"),
            ]
        )

    def on_mount(self) -> None:
        self._header("reading the whole database …")
        report = self.query_one("#report", ScrollableContainer)
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
        container = self.query_one("#report", ScrollableContainer)
        container.loading = False
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            message = str(error) if isinstance(error, InspectorError) else f"{type(error).__name__}: {error}"
            self._header("could not be built")
            container.mount(Static(Text(f"The report could not be built: {message}"), classes="-error"))
            return
        report, parts = cast("tuple[Report, list[RenderableType]]", event.worker.result)
        self.report = report
        self._header(
            f"{report.chains:,} chain{'' if report.chains == 1 else 's'} · people's labels resolved: "
            f"{report.resolution} · as `inspect report` prints it"
        )
        container.mount_all([self._static(part) for part in parts])

    def _static(self, part: RenderableType) -> Static:
        static = Static(part)
        if isinstance(part, Table):
            console = self.app.console
            static.styles.width = Measurement.get(console, console.options.update_width(10_000), part).maximum
        else:
            static.add_class("-text")
        return static

    def action_line_up(self) -> None:
        self.query_one("#report", ScrollableContainer).scroll_up()

    def action_line_down(self) -> None:
        self.query_one("#report", ScrollableContainer).scroll_down()

    def action_back(self) -> None:
        self.dismiss(None)
