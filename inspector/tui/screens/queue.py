"""The queue of chains: filters, search, order, and the way into each chain."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from inspector import store
from inspector.engine.model import Verdict
from inspector.errors import StoreError
from inspector.labels.session import cycle, describe_filter, label_title
from inspector.store import QueueRow

from ..context import APP_BINDINGS, LabelContext, label_context
from ..widgets import flush_refreshes, show_status
from ..widgets.key_bar import KeyBar, app_keys
from ..widgets.queue_list import QueueList

VERDICTS: list[str | None] = [None, *(v.value for v in Verdict)]
LABELLED: list[bool | None] = [None, False, True]
ORDER_TITLES = {"suspicious": "suspicious first", "input": "input order"}


class QueueScreen(Screen[None]):
    """Every chain of the database, filtered and sorted, suspicious ones first."""

    DEFAULT_CSS = """
    QueueScreen #search { display: none; height: 3; margin: 0 1; }
    QueueScreen #search.-active { display: block; }
    QueueScreen #filters { height: auto; max-height: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "next_unlabelled",
            "Next unlabelled",
            id="queue.next_unlabelled",
            key_display="␣",
            tooltip="Open the first chain of the queue you have not labelled",
        ),
        Binding(
            "slash",
            "search",
            "Search",
            id="queue.search",
            key_display="/",
            tooltip="Search chain ids, models, problems, chain text and notes",
        ),
        Binding(
            "v", "verdict(1)", "Verdict", id="queue.verdict", tooltip="Filter by machine verdict (V: back)"
        ),
        Binding("V", "verdict(-1)", "Verdict back", show=False, id="queue.verdict_back"),
        Binding("m", "model(1)", "Model", show=False, id="queue.model", tooltip="Filter by model (M: back)"),
        Binding("M", "model(-1)", "Model back", show=False, id="queue.model_back"),
        Binding(
            "l",
            "labelled",
            "Labelled?",
            id="queue.labelled",
            tooltip="Show all chains, only the unlabelled ones, or only the labelled ones",
        ),
        Binding(
            "r",
            "right_but_errors",
            "Right+errors",
            show=False,
            id="queue.right_but_errors",
            tooltip='Only "answer right but errors found" (cancelling errors, lucky guesses)',
        ),
        Binding(
            "D",
            "disagreements",
            "Disagreements",
            show=False,
            id="queue.disagreements",
            tooltip="Only chains whose annotators' current labels differ (for an adjudicator)",
        ),
        Binding(
            "o",
            "order",
            "Order",
            show=False,
            id="queue.order",
            tooltip="Suspicious first (lucky guesses, cancelling errors ...) or input order",
        ),
        Binding(
            "c", "clear", "Clear", show=False, id="queue.clear", tooltip="Clear every filter and the search"
        ),
        Binding(
            "u,ctrl+z", "undo", "Undo", show=False, id="queue.undo", tooltip="Undo your last label action"
        ),
        Binding("escape", "leave_search", "Leave search", show=False, id="queue.leave_search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._search_timer: Timer | None = None
        self._models: list[str | None] | None = None
        self._bars: dict[str, tuple[str, tuple[object, ...]]] = {}

    @property
    def label_app(self) -> LabelContext:
        return label_context(self.app)

    def compose(self) -> ComposeResult:
        app = self.label_app
        yield Static(id="topbar", classes="bar")
        yield Static(id="filters", classes="bar")
        yield Input(
            placeholder="search: chain id, model, problem or chain text, note (Enter: done, Esc: clear)",
            id="search",
        )
        yield QueueList(
            app.source.page,
            self._count,
            fetch_now=lambda flt, offset, limit: app.quick(
                lambda db: store.queue_page(db, flt, app.annotator, offset, limit)
            ),
            count_now=lambda flt, cap: app.quick(lambda db: store.queue_count(db, flt, app.annotator, cap=cap)),
            id="queue",
        )
        yield Static(id="status", classes="status")
        yield KeyBar(
            [
                Binding("enter", "open_current", "Open"),
                *self.BINDINGS,
                *app_keys(APP_BINDINGS, "help", "quit", "report"),
            ]
        )

    def _count(self, flt: store.QueueFilter, cap: int | None) -> int:
        """The queue's length, in a worker thread (its own connection); a search no further than ``cap``."""
        app = self.label_app
        db = store.open_reader(app.db_path)
        try:
            return store.queue_count(db, flt, app.annotator, cap=cap)
        finally:
            db.close()

    def on_mount(self) -> None:
        self._show_filters()
        self._show_topbar()
        self.set_status("Enter opens a chain · ␣ the next unlabelled one · / search · ? every key")
        self.query_one(QueueList).load(self.label_app.filter)
        self.query_one(QueueList).focus()

    # ---------------------------------------------------------------------------------------------
    # Bars

    def _show_topbar(self) -> None:
        """Who labels, their progress (labelled of all, left, pace, ETA), then the database: a narrow
        terminal cuts the database name first, then says the progress shorter (``Progress.fit``), never
        cutting it in a word."""
        app = self.label_app
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        t.append("cot-inspector label", style="bold")
        t.append("  ")
        t.append(app.annotator, style="bold")
        t.append("  ")
        width = max(0, self.app.size.width - 2)  # the bar's padding
        t.append(app.progress().fit(width - t.cell_len))
        t.append(f"  {app.db_name}", style="dim")
        self._update_bar("#topbar", t)

    def on_resize(self, event: events.Resize) -> None:
        self._show_topbar()

    def _show_filters(self) -> None:
        flt = self.label_app.filter
        qlist = self.query_one(QueueList)
        t = Text()
        total, more = qlist.total, qlist.more_than
        if total or more:  # the cursor's place in this filter's queue
            t.append(f"{qlist.cursor + 1 if more else min(qlist.cursor + 1, total or 0):,}/", style="bold")
        if more is not None:  # a search counted no further: End counts it all
            t.append(f"{more:,}+ chains ", style="bold")
        else:
            t.append("queue " if total is None else f"{total:,} chain{'' if total == 1 else 's'} ", style="bold")
        t.append(f"· {ORDER_TITLES.get(flt.order, flt.order)} ", style="dim")
        shown = describe_filter(flt)
        if not shown:
            t.append("· no filter", style="dim")
        for name, value in shown:
            t.append("· ", style="dim")
            t.append(f"{name}: ", style="dim")
            t.append(value + " ", style="bold")
        self._update_bar("#filters", t)

    def _update_bar(self, selector: str, text: Text) -> None:
        """Draw a bar again only when its text changed: an unchanged bar costs no extra frame."""
        drawn = (text.plain, tuple(text.spans))
        if self._bars.get(selector) != drawn:
            self._bars[selector] = drawn
            self.query_one(selector, Static).update(text, layout=False)

    def set_status(self, message: str, kind: str = "") -> None:
        show_status(self.query_one("#status", Static), message, kind)

    @on(QueueList.Counted)
    def _counted(self, event: QueueList.Counted) -> None:
        self._show_filters()

    @on(QueueList.Highlighted)
    def _highlighted(self, event: QueueList.Highlighted) -> None:
        self._show_filters()
        # The bar changes with the cursor: in the key's own frame, not the one after it.
        self.query_one("#filters", Static)._check_refresh()

    # ---------------------------------------------------------------------------------------------
    # Coming back from a chain, and labels changing

    def on_screen_resume(self) -> None:
        app = self.label_app
        self._show_topbar()
        key = app.last_key
        qlist = self.query_one(QueueList)
        if key is None:
            qlist.reload()
        else:
            flt = app.filter
            position = app.quick(lambda db: store.queue_position(db, flt, app.annotator, key))
            if position is not None:  # cheap enough to do now, in this frame
                qlist.load(flt, position, soft=True)
            else:
                self.run_worker(
                    lambda: self._position_worker(flt, key), thread=True, group="queue-position", exclusive=True
                )
        if self.focused is not qlist:  # focusing again repaints it all: a second frame for nothing
            qlist.focus()
        # After Textual's own resume handler too (it restyles every widget): one frame for it all.
        self.call_next(flush_refreshes, self)

    def _position_worker(self, flt: store.QueueFilter, key: tuple[int, ...]) -> None:
        position = self.label_app.source.position(flt, key)
        self.app.call_from_thread(lambda: self.query_one(QueueList).load(flt, position, soft=True))

    def labels_changed(self) -> None:
        # Only while the queue is on top: Textual counts the screen just below the top one as
        # "current" too, and a reload there repaints the chain view over it (twice, a frame apart).
        # Coming back to the queue reloads it anyway.
        if self.app.screen is self:
            self._show_topbar()
            self.query_one(QueueList).reload()

    # ---------------------------------------------------------------------------------------------
    # Opening chains

    @on(QueueList.Opened)
    def _opened(self, event: QueueList.Opened) -> None:
        self.open_chain(event.row, event.position)

    def open_chain(self, row: QueueRow, position: int | None) -> None:
        from .chain import ChainScreen

        # One chain screen, made once and kept: opening a chain then costs no compose and no mount.
        if not self.app.is_screen_installed("chain"):
            self.app.install_screen(ChainScreen(row, position), "chain")
        screen = self.app.get_screen("chain")
        assert isinstance(screen, ChainScreen)
        screen.open(row, position)
        self.app.push_screen("chain")

    def action_open_current(self) -> None:
        self.query_one(QueueList).action_open()

    def action_next_unlabelled(self) -> None:
        app = self.label_app
        row = store.queue_next(
            app.db, app.filter, app.annotator, None, 1, unlabelled=True, exclude=app.session.skipped
        )
        if row is None:
            self.set_status("Every chain of this queue is labelled (or skipped).")
            return
        self.open_chain(row, None)

    # ---------------------------------------------------------------------------------------------
    # Filters

    def _apply(self, **changes: object) -> None:
        app = self.label_app
        app.filter = app.filter._replace(**changes)  # type: ignore[arg-type]
        app.last_key = None
        self.query_one(QueueList).load(app.filter)
        self._show_filters()

    def action_disagreements(self) -> None:
        self._apply(disagreements=not self.label_app.filter.disagreements)

    def action_verdict(self, step: int) -> None:
        if self.label_app.blind:
            self.set_status("Blind labelling: the queue cannot be filtered by the machine's verdict.", "error")
            return
        self._apply(verdict=cycle(VERDICTS, self.label_app.filter.verdict, step))

    def action_model(self, step: int) -> None:
        if self._models is None:
            self._models = [None, *store.queue_models(self.label_app.db)]
        self._apply(model=cycle(self._models, self.label_app.filter.model, step))

    def action_labelled(self) -> None:
        current = self.label_app.filter.labelled
        self._apply(labelled=LABELLED[(LABELLED.index(current) + 1) % len(LABELLED)])

    def action_right_but_errors(self) -> None:
        self._apply(right_but_errors=not self.label_app.filter.right_but_errors)

    def action_order(self) -> None:
        self._apply(order="input" if self.label_app.filter.order == "suspicious" else "suspicious")

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.remove_class("-active")
        self._apply(verdict=None, model=None, labelled=None, right_but_errors=False, disagreements=False, search="")
        self.query_one(QueueList).focus()

    # ---------------------------------------------------------------------------------------------
    # Search: filters as you type (after a pause), Enter goes back to the list, Esc clears it

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("-active")
        search.value = self.label_app.filter.search
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value
        self._search_timer = self.set_timer(0.3, lambda: self._search(value))

    def _search(self, value: str) -> None:
        if value != self.label_app.filter.search:
            self._apply(search=value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search(event.value)
        if not event.value:
            self.query_one("#search", Input).remove_class("-active")
        self.query_one(QueueList).focus()

    def action_leave_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            if self._search_timer is not None:
                self._search_timer.stop()
            search.value = ""
            search.remove_class("-active")
            self._search("")
            self.query_one(QueueList).focus()

    # ---------------------------------------------------------------------------------------------
    # Undo from the queue

    def action_undo(self) -> None:
        app = self.label_app
        try:
            action, done = app.session.undo()
        except StoreError as exc:
            self.set_status(f"NOT undone: {exc}", "error")
            self.app.bell()
            return
        if action is None:
            self.set_status("Nothing to undo.")
        elif not done:
            self.set_status(
                f"Not undone: the {action.describe()} on {action.chain_id} changed since.", "error"
            )
        else:
            self.set_status(
                f"✓ saved {app.session.saved}: undid {action.describe()} on {action.chain_id}", "saved"
            )
            self.labels_changed()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_unlabelled", "verdict", "model", "labelled", "right_but_errors", "order", "clear",
                      "disagreements", "undo"):  # fmt: skip
            return not self.query_one("#search", Input).has_focus
        return True


def verdict_title(value: str | None) -> str:
    return "any" if value is None else label_title(value)
