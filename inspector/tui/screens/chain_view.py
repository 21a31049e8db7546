"""The chain view as shown: the problem, the highlighted steps, the verification panel, and its header.

The chain screen is two layers: :class:`ChainView` (here) lays a chain out and redraws its parts, and
:class:`~inspector.tui.screens.chain.ChainScreen` adds the keys, the labels they save and the moves
between chains. What is drawn and what the keys do change for different reasons, so each has its module.

A long chain opens in two parts (``tui/chain_load.py``): the first frame draws its header, problem and
first steps from a few small reads, and a worker thread loads the rest (the whole result, its highlights,
the layout of every row), which then fills in the text's highlights and the panel. Meanwhile the keys
work: ``q`` and Esc at once, the chain labels on what the header already shows (``ChainScreen``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from inspector import store
from inspector.engine.latex_text import readable
from inspector.engine.model import ChainResult
from inspector.labels.review import Mark
from inspector.labels.session import label_title
from inspector.store import ChainHead, CurrentLabels, QueueRow

from ..chain_load import Loaded, is_long, load_full, opening
from ..context import APP_BINDINGS, LabelContext, label_context
from ..palette import badge
from ..widgets import flush_refreshes, show_status
from ..widgets.chain_text import ChainText
from ..widgets.key_bar import KeyBar, app_keys
from ..widgets.verification import VerificationPanel

NARROW = 100
"""Below this many columns the panes stack instead of standing side by side."""

LEGEND = (
    (Mark.STATED, "wrong number"),
    (Mark.WRONG, "false claim"),
    (Mark.UNVERIFIABLE, "can't check"),
    (Mark.CORRECT, "checks out"),
    (Mark.TAINTED, "uses wrong value"),
    (Mark.ANSWER, "answer"),
)
"""The legend under the chain: each highlight and what it means, most telling first."""


HINT = "1-6 label the chain · a accept the verdict · g/n/b rate the step · ? keys"
"""The status line of a chain just opened."""
LOADING = "Loading the chain's checks: 1-6 label it already; q quits and Esc goes back at once."
"""The status line of a long chain just opened, until its checks are loaded."""
STILL_LOADING = "Not saved: this chain's checks are still loading"
"""How the status line begins when a key waits for the checks (``ChainScreen._loading``)."""


class ChainView(Screen[None]):
    """One chain beside its re-verification, laid out and redrawn; ``ChainScreen`` adds its keys."""

    DEFAULT_CSS = """
    ChainView #problem { height: auto; max-height: 5; padding: 0 1; background: $boost; }
    ChainView #body { height: 1fr; }
    ChainView #cot { width: 3fr; }
    ChainView #panel { width: 2fr; min-width: 36; border-left: vkey $foreground 20%; }
    ChainView.-narrow #problem { max-height: 3; }
    ChainView.-narrow #body { layout: vertical; }
    ChainView.-narrow #cot { width: 1fr; height: auto; max-height: 60%; min-height: 3; }
    ChainView.-narrow #panel { width: 1fr; height: 1fr; min-width: 0; border-left: none;
                               border-top: hkey $foreground 20%; }
    ChainView #legend-row { height: 1; }
    ChainView #legend { width: 1fr; height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
                        text-overflow: ellipsis; }
    ChainView #progress { width: auto; height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
                          text-align: right; }
    ChainView.-problem-full #problem { max-height: 75%; }
    """

    def __init__(self, row: QueueRow, position: int | None) -> None:
        super().__init__()
        self.row = row
        self._pending: tuple[QueueRow, int | None] | None = (row, position)
        self.position = position
        """The row's index in the queue (``LabelApp.position_filter``), when known (not after a jump)."""
        self.total: int | None = None
        """How many chains that queue holds, when known."""
        self.head: ChainHead | None = None
        """The chain shown: its header, problem and first steps (read at once, whatever its length)."""
        self.result: ChainResult | None = None
        """The chain's whole result: for a long chain, ``None`` until the worker has loaded it."""
        self._load = 0
        """Which opening the loading worker loads for (a later one makes an earlier one's result stale)."""
        self.labels = CurrentLabels(None, None, {}, None)
        self.scores: list[store.Score] = []
        """The chain's learned scores (`inspect score`), shown beside each step's arithmetic."""
        self.readable = False
        self._status = ""
        """The status line's message."""
        self._progress_width = -1
        """The cells the progress line may take (half the row), as last laid out."""
        self._confirm: tuple[str, str] | None = None
        """The chain and label a contradicting label key was pressed for: pressed again, it is saved."""

    @property
    def label_app(self) -> LabelContext:
        return label_context(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="chain-header", classes="bar")
        with VerticalScroll(id="problem"):
            yield Static(id="problem-text")
        with Horizontal(id="body"):
            yield ChainText(on_step=self._step_selected, id="cot")
            yield VerificationPanel(id="panel")
        with Horizontal(id="legend-row"):
            yield Static(id="legend")
            yield Static(id="progress")
        yield Static(id="status", classes="status")
        yield KeyBar([*self.BINDINGS, *app_keys(APP_BINDINGS, "help", "quit", "report")])

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < NARROW, "-narrow")
        self._legend()
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def open(self, row: QueueRow, position: int | None) -> None:
        """Show this row next time the screen comes up (the screen is made once and kept)."""
        self._pending = (row, position)

    def on_screen_resume(self) -> None:
        if self._pending is not None:
            row, position = self._pending
            self._pending = None
            self.show_row(row, position)
            self.set_status(HINT if self.head is None or self.result is not None else LOADING)
        cot = self.query_one(ChainText)
        if self.focused is not cot:
            cot.focus()
        # After Textual's own resume handler too (it restyles every widget): one frame for it all.
        self.call_next(flush_refreshes, self)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")
        if self.head is not None:
            self._progress()

    def _theme_changed(self) -> None:
        self.query_one(ChainText).restyle()
        self._legend()
        self._refresh_panel()

    # ---------------------------------------------------------------------------------------------
    # Showing a chain

    def show_row(self, row: QueueRow, position: int | None, step: int = 0) -> None:
        """Show ``row``; ``position`` is its index in the current filter's queue, when the caller knows it."""
        app = self.label_app
        head = store.load_head(app.db, row.chain_id, step + self.app.size.height + 1)  # a screen from ``step`` on
        result = None if head is None or is_long(head) else store.load_result(app.db, row.chain_id)
        if head is None or (result is None and not is_long(head)):
            self.set_status(f"Chain {row.chain_id} is no longer in the database.", "error")
            return
        if app.position_filter() != app.filter:  # counted in another queue than the caller's
            position = None
        self._load += 1
        self.workers.cancel_group(self, "chain-load")
        self.row, self.position, self.head, self.result = row, position, head, result
        self._total()
        self._progress()
        self._confirm = None
        self.scores = [] if result is None else store.scores_for_chain(app.db, row.chain_id)
        app.last_key = row.key
        self.labels = store.current_labels(app.db, row.chain_id, app.annotator)
        self._header()
        self._problem(reset=True)
        cot = self.query_one(ChainText)
        if result is not None:
            cot.show(result, self.labels.steps, step)
        else:
            cot.show_head(*opening(head), head.steps, self.labels.steps, step)
            # After this frame is drawn: the worker would only slow it down.
            self.call_after_refresh(self._start_load, head.chain_id, self._load)
        self._refresh_panel()
        if position is None:
            flt, key = app.position_filter(), row.key
            position = app.quick(lambda db: store.queue_position(db, flt, app.annotator, key))
            if position is not None:  # cheap enough to show in this frame
                self.position = position
                self._header()
                return
            self.run_worker(
                lambda: self._position_worker(flt, key), thread=True, group="chain-position", exclusive=True
            )

    def load_again(self) -> None:
        """Start the loading of the chain shown over (it loads for what is shown: LaTeX as text, or not)."""
        if self.head is None or self.result is not None:
            return
        self._load += 1
        self.workers.cancel_group(self, "chain-load")
        self.call_after_refresh(self._start_load, self.head.chain_id, self._load)

    def _start_load(self, chain_id: str, load: int) -> None:
        if load != self._load:
            return  # another chain was opened since
        args = (self.label_app.db_path, chain_id, self.readable, self.query_one(ChainText).layout_width())
        self.run_worker(
            lambda: load_full(*args), name=str(load), group="chain-load", exclusive=True, thread=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "chain-load" or worker.name != str(self._load) or self.head is None:
            return
        if event.state == WorkerState.ERROR:
            self.set_status(f"Chain {self.head.chain_id} could not be loaded: {worker.error}", "error")
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, Loaded):
            self._loaded(worker.result)

    def _loaded(self, loaded: Loaded) -> None:
        """The whole chain is here: its highlights and the panel fill in, where the annotator stands."""
        if loaded.result is None or loaded.prepared is None:
            self.set_status(f"Chain {loaded.chain_id} is no longer in the database.", "error")
            return
        self.result, self.scores = loaded.result, loaded.scores
        self.query_one(ChainText).show_loaded(loaded.result, loaded.prepared, loaded.layout)
        self._refresh_panel()
        if self._status == LOADING or self._status.startswith(STILL_LOADING):  # said only while it loaded
            self.set_status(HINT)
        self.call_next(flush_refreshes, self)  # one frame for the text, the panel and the status

    def _position_worker(self, flt: store.QueueFilter, key: tuple[int, ...]) -> None:
        position = self.label_app.source.position(flt, key)
        self.app.call_from_thread(self._positioned, key, position)

    def _positioned(self, key: tuple[int, ...], position: int) -> None:
        if self.row.key == key and self.position is None:
            self.position = position
            self._header()

    def _total(self) -> None:
        """How many chains the queue holds (its position's denominator): now if cheap, else from a worker."""
        app = self.label_app
        flt = app.position_filter()
        self.total = app.filter_total(flt)
        if self.total is None:
            self.run_worker(lambda: self._total_worker(flt), thread=True, group="chain-total", exclusive=True)

    def _total_worker(self, flt: store.QueueFilter) -> None:
        total = self.label_app.source.count(flt)
        self.app.call_from_thread(self._counted, flt, total)

    def _counted(self, flt: store.QueueFilter, total: int) -> None:
        self.label_app.count_later(flt, total)
        if self.label_app.position_filter() == flt:
            self.total = total
            self._header()

    def _progress(self) -> None:
        """Labelled of all, left, this session's pace and the ETA, beside the legend (compact when narrow)."""
        width = self.app.size.width
        # half the row, whole parts only (``ETA`` is never cut to ``ET``); the legend takes the rest
        budget = max(width // 2 - 2, 8)
        line = self.label_app.progress().fit(budget, compact=width < NARROW)
        progress = self.query_one("#progress", Static)
        if self._progress_width != budget:  # a new terminal width: the row is laid out again, once
            self._progress_width = budget
            progress.styles.width = budget + 2  # (its padding)
        progress.update(line, layout=False)  # a label key redraws the line, never the row's layout

    def _header(self) -> None:
        """The chain's header line, its fields in the order a label depends on them (verdict, answer and
        ✓/✗, your label, position, then which chain): a narrow terminal cuts the last, with an ellipsis."""
        assert self.head is not None
        r = self.head
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.label_app.hidden(self.labels.label):
            t.append(" verdict hidden ", style="reverse")
        else:
            t.append(f" {label_title(r.verdict)} ", style=badge(r.verdict))
        t.append("  answer ", style="dim")
        t.append(_clip(r.final_answer or "—", 24), style="bold")
        if r.answer_correct is True:
            t.append(" ✓", style="bold green")
        elif r.answer_correct is False:
            t.append(" ✗", style="bold red")
            t.append(f" (ref {_clip(r.reference or '', 16)})", style="red")
        t.append("  yours: ", style="dim")
        if self.labels.label is not None:
            t.append(label_title(self.labels.label), style="bold")
        else:
            t.append("—", style="dim")
        if self.position is not None:
            of = "" if self.total is None else f"/{self.total:,}"
            t.append(f"  [{self.position + 1:,}{of}]", style="dim")
        t.append("  ")
        t.append(r.chain_id, style="bold")
        if r.model:
            t.append(f"  {r.model}", style="dim")
        if r.sample_index is not None:
            t.append(f" #{r.sample_index}", style="dim")
        self.query_one("#chain-header", Static).update(t, layout=False)

    def _problem(self, reset: bool = False) -> None:
        """The problem text; ``reset`` (a newly opened chain) shrinks the box and shows its last lines,
        where GSM8K and AIME problems put the question."""
        assert self.head is not None
        if reset:
            self.remove_class("-problem-full")
        problem = self.head.problem or "(no problem text stored)"
        if self.readable:
            problem = readable(problem).text
        static = self.query_one("#problem-text", Static)
        static.update(Text.assemble(("Problem ", "bold"), problem), layout=False)
        width = static.content_region.width
        if not width or static.get_content_height(self.size, self.size, width) != static.content_region.height:
            # Its height changes: lay the screen out again, in this frame. The widget would tell the
            # screen only when it next idles, after the screen has drawn this frame, so the new layout
            # came a frame (16 ms or more) later; telling it now keeps one redraw per key.
            static.refresh(layout=True)
            static._check_refresh()
        if reset:
            self.query_one("#problem", VerticalScroll).scroll_end(animate=False)

    def _legend(self) -> None:
        """What each colour of the chain text means, most telling first (a narrow screen cuts the last)."""
        from ..palette import mark_style

        dark = self.app.current_theme.dark
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        for mark, name in LEGEND:
            t.append(f" {name} ", style=mark_style(frozenset({mark}), dark) or "")
            t.append(" ")
        self.query_one("#legend", Static).update(t, layout=False)

    def _refresh_panel(self) -> None:
        panel = self.query_one(VerificationPanel)
        if self.result is None:
            if self.head is not None:
                panel.show_note(
                    f"Loading the checks of {self.head.steps:,} steps…\n\nThe chain labels (1-6) work "
                    "already; the step keys (g n b f) once the checks are here."
                )
            return
        app = self.label_app
        panel.readable = self.readable
        hidden = app.hidden(self.labels.label)
        others = [] if hidden else store.other_labels(app.db, self.result.chain.chain_id, app.annotator)
        panel.show(self.result, self.query_one(ChainText).selected, self.labels, others, self.scores, blind=hidden)

    def _step_selected(self, index: int) -> None:
        self._refresh_panel()

    def set_status(self, message: str, kind: str = "") -> None:
        self._status = message
        show_status(self.query_one("#status", Static), message, kind)


def _clip(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters (an ellipsis where it was cut)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
