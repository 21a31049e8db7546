"""The chain view: the problem, the highlighted steps, the verification panel, and the label keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Static

from inspector import store
from inspector.engine.latex_text import readable
from inspector.engine.model import ChainResult
from inspector.errors import StoreError
from inspector.labels.review import Mark, steps_with_errors
from inspector.labels.session import CHAIN_LABEL_KEYS, Action, StepRating, label_title
from inspector.store import CurrentLabels, QueueRow, StepMachine

from ..messages import LabelsChanged
from ..palette import badge
from ..widgets import flush_refreshes, show_status
from ..widgets.chain_text import ChainText
from ..widgets.key_bar import KeyBar, app_keys
from ..widgets.verification import VerificationPanel

if TYPE_CHECKING:
    from ..app import LabelApp

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

_RATE = Binding.Group("step", compact=True)


SHORT_LABELS = {
    "valid": "valid",
    "canceling_errors": "cancel",
    "lucky_guess": "lucky",
    "arithmetic_slip": "slip",
    "wrong_reasoning": "wrong",
    "unsure": "unsure",
}
"""Each chain label as the key bar names it: ``1 valid 2 cancel …`` fits 80 columns."""


def _label_bindings() -> list[BindingType]:
    out: list[BindingType] = []
    for key, label in CHAIN_LABEL_KEYS.items():
        out.append(
            Binding(
                key,
                f"label('{label}')",
                SHORT_LABELS.get(label, label_title(label)),
                id=f"chain.label_{label}",
                tooltip=f"Label the chain {label_title(label)} (saved at once)",
            )
        )
    return out


class ChainScreen(Screen[None]):
    """One chain beside its re-verification; single keys label it and its steps."""

    DEFAULT_CSS = """
    ChainScreen #problem { height: auto; max-height: 5; padding: 0 1; background: $boost; }
    ChainScreen #body { height: 1fr; }
    ChainScreen #cot { width: 3fr; }
    ChainScreen #panel { width: 2fr; min-width: 36; border-left: vkey $foreground 20%; }
    ChainScreen.-narrow #problem { max-height: 3; }
    ChainScreen.-narrow #body { layout: vertical; }
    ChainScreen.-narrow #cot { width: 1fr; height: auto; max-height: 60%; min-height: 3; }
    ChainScreen.-narrow #panel { width: 1fr; height: 1fr; min-width: 0; border-left: none;
                                 border-top: hkey $foreground 20%; }
    ChainScreen #legend-row { height: 1; }
    ChainScreen #legend { width: 1fr; height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
                          text-overflow: ellipsis; }
    ChainScreen #progress { width: auto; height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; }
    ChainScreen.-problem-full #problem { max-height: 75%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *_label_bindings(),
        Binding(
            "g",
            "rate('GOOD')",
            "good",
            id="chain.rate_good",
            group=_RATE,
            tooltip="Rate the highlighted step good (+1, PRM800K); j/↓ moves on",
        ),
        Binding(
            "n",
            "rate('NEUTRAL')",
            "neutral",
            id="chain.rate_neutral",
            group=_RATE,
            tooltip="Rate the highlighted step neutral (0)",
        ),
        Binding(
            "b",
            "rate('BAD')",
            "bad",
            id="chain.rate_bad",
            group=_RATE,
            tooltip="Rate the highlighted step bad (-1)",
        ),
        Binding(
            "f",
            "first_error",
            "1st err",
            id="chain.first_error",
            tooltip="The first error is the highlighted step (rates it bad; again to unmark). Every step key acts on the highlighted step and stays there",
        ),
        Binding(
            "a",
            "accept",
            "Accept",
            id="chain.accept",
            tooltip="Label the chain with the machine's verdict as it stands",
        ),
        Binding("e", "note", "Note", id="chain.note", tooltip="Write a note on this chain"),
        Binding(
            "p",
            "problem",
            "Problem",
            id="chain.problem",
            tooltip="Show the whole problem (again to shrink it); each chain opens on its last lines, "
            "the question",
        ),
        Binding(
            "s",
            "skip",
            "Skip",
            show=False,
            id="chain.skip",
            tooltip="Skip this chain for now and open the next unlabelled one",
        ),
        Binding(
            "u,ctrl+z", "undo", "Undo", id="chain.undo", tooltip="Undo your last action (several levels)"
        ),
        Binding(
            "space",
            "next_unlabelled",
            "Next",
            id="chain.next_unlabelled",
            key_display="␣",
            tooltip="Open the next chain you have not labelled",
        ),
        Binding(
            "right_square_bracket,right",
            "move(1)",
            "Next chain",
            show=False,
            id="chain.next",
            key_display="]",
            tooltip="The next chain of the queue",
        ),
        Binding(
            "left_square_bracket,left",
            "move(-1)",
            "Previous chain",
            show=False,
            id="chain.previous",
            key_display="[",
            tooltip="The previous chain of the queue",
        ),
        Binding(
            "t",
            "toggle_latex",
            "LaTeX as text",
            show=False,
            id="chain.latex",
            tooltip="Show LaTeX as readable text (\\frac{1}{2} as 1/2), or as written",
        ),
        Binding(
            "shift+down,J",
            "panel(1)",
            "Scroll panel down",
            show=False,
            id="chain.panel_down",
            key_display="⇧↓",
            tooltip="Scroll the verification panel down",
        ),
        Binding(
            "shift+up,K",
            "panel(-1)",
            "Scroll panel up",
            show=False,
            id="chain.panel_up",
            key_display="⇧↑",
            tooltip="Scroll the verification panel up",
        ),
        Binding(
            "escape,backspace", "back", "Queue", show=False, id="chain.back", tooltip="Back to the queue"
        ),
    ]

    def __init__(self, row: QueueRow, position: int | None) -> None:
        super().__init__()
        self.row = row
        self._pending: tuple[QueueRow, int | None] | None = (row, position)
        self.position = position
        """The row's index in the queue (``LabelApp.position_filter``), when known (not after a jump)."""
        self.total: int | None = None
        """How many chains that queue holds, when known."""
        self.result: ChainResult | None = None
        self.labels = CurrentLabels(None, None, {}, None)
        self.scores: list[store.Score] = []
        """The chain's learned scores (`inspect score`), shown beside each step's arithmetic."""
        self.readable = False
        self._confirm: tuple[str, str] | None = None
        """The chain and label a contradicting label key was pressed for: pressed again, it is saved."""

    @property
    def label_app(self) -> LabelApp:
        return cast("LabelApp", self.app)

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
        from ..app import LabelApp

        yield KeyBar([*self.BINDINGS, *app_keys(LabelApp.BINDINGS, "help", "quit", "report")])

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
            self.set_status("1-6 label the chain · a accept the verdict · g/n/b rate the step · ? keys")
        cot = self.query_one(ChainText)
        if self.focused is not cot:
            cot.focus()
        # After Textual's own resume handler too (it restyles every widget): one frame for it all.
        self.call_next(flush_refreshes, self)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")
        if self.result is not None:
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
        result = store.load_result(app.db, row.chain_id)
        if result is None:
            self.set_status(f"Chain {row.chain_id} is no longer in the database.", "error")
            return
        if app.position_filter() != app.filter:  # counted in another queue than the caller's
            position = None
        self.row, self.position, self.result = row, position, result
        self._total()
        self._progress()
        self._confirm = None
        self.scores = store.scores_for_chain(app.db, row.chain_id)
        app.last_key = row.key
        self.labels = store.current_labels(app.db, row.chain_id, app.annotator)
        self._header()
        self._problem(reset=True)
        cot = self.query_one(ChainText)
        cot.show(result, self.labels.steps, step)
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
        line = self.label_app.progress().line(compact=self.app.size.width < NARROW)
        self.query_one("#progress", Static).update(line, layout=False)

    def _header(self) -> None:
        """The chain's header line, its fields in the order a label depends on them (verdict, answer and
        ✓/✗, your label, position, then which chain): a narrow terminal cuts the last, with an ellipsis."""
        assert self.result is not None
        r = self.result
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.label_app.hidden(self.labels.label):
            t.append(" verdict hidden ", style="reverse")
        else:
            t.append(f" {label_title(r.verdict.value)} ", style=badge(r.verdict.value))
        t.append("  answer ", style="dim")
        t.append(_clip(r.final_answer.text if r.final_answer else "—", 24), style="bold")
        if r.answer_correct is True:
            t.append(" ✓", style="bold green")
        elif r.answer_correct is False:
            t.append(" ✗", style="bold red")
            t.append(f" (ref {_clip(r.chain.reference or '', 16)})", style="red")
        t.append("  yours: ", style="dim")
        if self.labels.label is not None:
            t.append(label_title(self.labels.label), style="bold")
        else:
            t.append("—", style="dim")
        if self.position is not None:
            of = "" if self.total is None else f"/{self.total:,}"
            t.append(f"  [{self.position + 1:,}{of}]", style="dim")
        t.append("  ")
        t.append(r.chain.chain_id, style="bold")
        if r.chain.model:
            t.append(f"  {r.chain.model}", style="dim")
        if r.chain.sample_index is not None:
            t.append(f" #{r.chain.sample_index}", style="dim")
        self.query_one("#chain-header", Static).update(t, layout=False)

    def _problem(self, reset: bool = False) -> None:
        """The problem text; ``reset`` (a newly opened chain) shrinks the box and shows its last lines,
        where GSM8K and AIME problems put the question."""
        assert self.result is not None
        if reset:
            self.remove_class("-problem-full")
        problem = self.result.chain.problem or "(no problem text stored)"
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
        if self.result is None:
            return
        app = self.label_app
        panel = self.query_one(VerificationPanel)
        panel.readable = self.readable
        hidden = app.hidden(self.labels.label)
        others = [] if hidden else store.other_labels(app.db, self.result.chain.chain_id, app.annotator)
        panel.show(self.result, self.query_one(ChainText).selected, self.labels, others, self.scores, blind=hidden)

    def _step_selected(self, index: int) -> None:
        self._refresh_panel()

    def set_status(self, message: str, kind: str = "") -> None:
        show_status(self.query_one("#status", Static), message, kind)

    # ---------------------------------------------------------------------------------------------
    # Saving: every write is committed before the screen changes

    def _saved(self, action: Action | None, what: str) -> None:
        app = self.label_app
        if self.result is None:
            return
        if action is None:
            self.set_status(f"Unchanged: {what} (already so).")
            return
        self.labels = store.current_labels(app.db, self.result.chain.chain_id, app.annotator)
        self.set_status(
            f"✓ saved {app.session.saved}: {action.describe()} on {self.result.chain.chain_id}", "saved"
        )
        self.query_one(ChainText).set_ratings(self.labels.steps)
        self._header()
        self._refresh_panel()
        self._progress()
        self.post_message(LabelsChanged(self.result.chain.chain_id))

    def _not_saved(self, exc: StoreError) -> None:
        self.set_status(f"NOT SAVED: {exc}", "error")
        self.app.bell()

    def _machine(self) -> StepMachine:
        """What the machine said of this chain, as shown: recorded with every step label."""
        assert self.result is not None
        return StepMachine(
            self.row.run_id, self.result.verdict.value, frozenset(steps_with_errors(self.result))
        )

    def _contradiction(self, label: str) -> str | None:
        """Why ``label`` contradicts what is known of the chain (its answer, the errors found), or None."""
        assert self.result is not None
        right, errors = self.result.answer_correct, steps_with_errors(self.result)
        if right is False and label in ("valid", "canceling_errors", "lucky_guess"):
            return f"{label_title(label)} on a wrong answer (ref {self.result.chain.reference})"
        if label == "arithmetic_slip" and right is True and not errors:
            return "arithmetic slip with no error found and a right answer"
        return None

    def action_label(self, label: str) -> None:
        if self.result is None:
            return
        why = self._contradiction(label)
        if why is not None and self._confirm != (self.result.chain.chain_id, label):
            # Asked once: the same key again confirms (and saves at once, as every label is).
            self._confirm = (self.result.chain.chain_id, label)
            key = next(k for k, v in CHAIN_LABEL_KEYS.items() if v == label)
            self.set_status(f"Sure? {why}. Press {key} again to save it; any other label replaces it.", "error")
            self.app.bell()
            return
        self._confirm = None
        run_id = self.row.run_id
        try:
            action = self.label_app.session.label_chain(
                self.result.chain.chain_id, label, self.result.verdict.value, run_id,
                blind=self.label_app.hidden(self.labels.label),  # a relabel after seeing the verdict is not blind
            )
        except StoreError as exc:
            self._not_saved(exc)
            return
        self._saved(action, f"chain label {label_title(label)}")
        if self.label_app.advance:
            self._next_unlabelled(quiet=True)

    def action_accept(self) -> None:
        if self.result is None:
            return
        if self.label_app.hidden(self.labels.label):
            self.set_status("Blind: the verdict shows once you have labelled the chain (1-6).", "error")
            return
        self.action_label(self.result.verdict.value)

    def action_rate(self, name: str) -> None:
        if self.result is None:
            return
        step = self.query_one(ChainText).selected
        if name != "BAD" and self.labels.steps.get(step, (None, False))[1]:
            # The first error is a bad step (PRM800K): good or neutral would contradict the mark.
            self.set_status(
                f"Step {step + 1} is marked as the first error, so it is bad: f takes the mark off first.",
                "error",
            )
            self.app.bell()
            return
        try:
            action = self.label_app.session.rate_step(
                self.result.chain.chain_id, step, StepRating[name], self._machine()
            )
        except StoreError as exc:
            self._not_saved(exc)
            return
        self._saved(action, f"step {step + 1} {name.lower()}")

    def action_first_error(self) -> None:
        if self.result is None:
            return
        step = self.query_one(ChainText).selected
        try:
            action = self.label_app.session.first_error(self.result.chain.chain_id, step, self._machine())
        except StoreError as exc:
            self._not_saved(exc)
            return
        self._saved(action, f"first error at step {step + 1}")

    def action_note(self) -> None:
        if self.result is None:
            return
        from .note import NoteScreen

        chain_id = self.result.chain.chain_id

        def done(text: str | None) -> None:
            if text is None or self.result is None or self.result.chain.chain_id != chain_id:
                return
            try:
                action = self.label_app.session.note(chain_id, text)
            except StoreError as exc:
                self._not_saved(exc)
                return
            self._saved(action, "note")

        self.app.push_screen(NoteScreen(chain_id, self.labels.note or ""), done)

    def action_skip(self) -> None:
        if self.result is None:
            return
        chain_id = self.result.chain.chain_id
        self.label_app.session.skip(chain_id)
        self._next_unlabelled(quiet=True)
        self.set_status(f"Skipped {chain_id} (u brings it back).")

    def action_undo(self) -> None:
        app = self.label_app
        try:
            action, done = app.session.undo()
        except StoreError as exc:
            self._not_saved(exc)
            return
        if action is None:
            self.set_status("Nothing to undo.")
            return
        if not done:
            self.set_status(
                f"Not undone: the {action.describe()} on {action.chain_id} changed since.", "error"
            )
            return
        # Show what was undone: go back to its chain and step.
        if self.result is None or action.chain_id != self.result.chain.chain_id:
            self._goto_chain(action.chain_id, action.step or 0)
        elif action.step is not None:
            self.query_one(ChainText).selected = action.step
        if self.result is not None and self.result.chain.chain_id == action.chain_id:
            self.labels = store.current_labels(app.db, action.chain_id, app.annotator)
            self.query_one(ChainText).set_ratings(self.labels.steps)
            self._header()
            self._refresh_panel()
        if action.kind == "skip":
            self.set_status(f"Undid the skip of {action.chain_id}.")
        else:
            self._progress()
            self.set_status(
                f"✓ saved {app.session.saved}: undid {action.describe()} on {action.chain_id}", "saved"
            )
            self.post_message(LabelsChanged(action.chain_id))

    def _goto_chain(self, chain_id: str, step: int) -> None:
        app = self.label_app
        row = store.queue_row(app.db, chain_id, app.annotator, app.filter.order)
        if row is not None:  # it may be outside the current filter: shown without a position
            self.show_row(row, None, step)

    # ---------------------------------------------------------------------------------------------
    # Moving between chains

    def action_next_unlabelled(self) -> None:
        self._next_unlabelled(quiet=False)

    def _next_unlabelled(self, quiet: bool) -> None:
        """Open the next chain not labelled yet (after this one, then from the start of the queue)."""
        app = self.label_app
        skipped = app.session.skipped
        row = store.queue_next(
            app.db, app.filter, app.annotator, self.row.key, 1, unlabelled=True, exclude=skipped
        )
        if row is None:
            row = store.queue_next(
                app.db, app.filter, app.annotator, None, 1, unlabelled=True, exclude=skipped
            )
        if row is None or row.chain_id == self.row.chain_id:
            self.notify("No other unlabelled chain in this queue.", title="Queue done", timeout=4)
            return
        self.show_row(row, None)

    def action_move(self, direction: int) -> None:
        app = self.label_app
        row = store.queue_next(app.db, app.filter, app.annotator, self.row.key, direction)
        if row is None:
            self.set_status("End of the queue." if direction > 0 else "Start of the queue.")
            return
        position = None if self.position is None else self.position + direction
        self.show_row(row, position)  # (dropped there when the position is counted in another queue)

    def action_toggle_latex(self) -> None:
        self.readable = not self.readable
        self.query_one(ChainText).set_readable(self.readable)
        self._problem()
        self._legend()
        self._refresh_panel()

    def action_problem(self) -> None:
        full = not self.has_class("-problem-full")
        self.set_class(full, "-problem-full")
        box = self.query_one("#problem", VerticalScroll)
        if full:
            box.scroll_home(animate=False)
        else:
            box.scroll_end(animate=False)

    def action_panel(self, direction: int) -> None:
        panel = self.query_one(VerificationPanel)
        panel.scroll_to(y=panel.scroll_y + direction * 3, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()


def _clip(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters (an ellipsis where it was cut)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
