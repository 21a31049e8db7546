"""The chain view's keys: labelling the chain and its steps, undo, and moving between chains.

:class:`ChainScreen` is the screen the app shows; it draws through :class:`.chain_view.ChainView` and
adds here every binding and the action behind it, each write committed before the screen changes.

While a long chain loads (``ChainView.head`` shown, ``ChainView.result`` not yet), every key that needs
only what the header shows works on it: the chain labels (their warnings read the header's answer), accept,
note, skip, undo and the moves. A key that needs the checks (a step rating records the steps the machine
found wrong, and so does a slip's warning on a right answer) saves nothing and says the chain is loading.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll

from inspector import store
from inspector.errors import StoreError
from inspector.labels.review import steps_with_errors
from inspector.labels.session import CHAIN_LABEL_KEYS, Action, StepRating, label_title
from inspector.store import StepMachine

from ..messages import LabelsChanged
from ..widgets.chain_text import ChainText
from ..widgets.verification import VerificationPanel
from .chain_view import LEGEND, NARROW, STILL_LOADING, ChainView

__all__ = ["LEGEND", "NARROW", "SHORT_LABELS", "ChainScreen", "ChainView"]

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


class ChainScreen(ChainView):
    """One chain beside its re-verification; single keys label it and its steps."""

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

    # ---------------------------------------------------------------------------------------------
    # Saving: every write is committed before the screen changes

    def _saved(self, action: Action | None, what: str, *, show: bool = True) -> None:
        """Say what was saved; ``show`` it on this chain too (not when the view is about to leave it)."""
        app = self.label_app
        if self.head is None:
            return
        if action is None:
            self.set_status(f"Unchanged: {what} (already so).")
            return
        chain_id = self.head.chain_id
        self.set_status(f"✓ saved {app.session.saved}: {action.describe()} on {chain_id}", "saved")
        if show:
            self._show_labels()
        self._progress()
        self.post_message(LabelsChanged(chain_id))

    def _show_labels(self) -> None:
        """This chain's labels as stored now: the step gutter, the header and the panel."""
        assert self.head is not None
        self.labels = store.current_labels(self.label_app.db, self.head.chain_id, self.label_app.annotator)
        self.query_one(ChainText).set_ratings(self.labels.steps)
        self._header()
        self._refresh_panel()

    def _not_saved(self, exc: StoreError) -> None:
        self.set_status(f"NOT SAVED: {exc}", "error")
        self.app.bell()

    def _loading(self, what: str) -> bool:
        """Whether the chain's checks are still loading; if so, says ``what`` waits for them (not saved)."""
        if self.result is not None:
            return False
        self.set_status(f"{STILL_LOADING}; {what} once they are shown.", "error")
        self.app.bell()
        return True

    def _machine(self) -> StepMachine:
        """What the machine said of this chain, as shown: recorded with every step label."""
        assert self.result is not None
        return StepMachine(
            self.row.run_id, self.result.verdict.value, frozenset(steps_with_errors(self.result))
        )

    def _contradiction(self, label: str) -> str | None:
        """Why ``label`` contradicts what is known of the chain (its answer, the errors found), or None."""
        assert self.head is not None
        right = self.head.answer_correct
        if right is False and label in ("valid", "canceling_errors", "lucky_guess"):
            return f"{label_title(label)} on a wrong answer (ref {self.head.reference})"
        if label == "arithmetic_slip" and right is True:
            assert self.result is not None  # (``action_label`` waits for it)
            if not steps_with_errors(self.result):
                return "arithmetic slip with no error found and a right answer"
        return None

    def action_label(self, label: str) -> None:
        if self.head is None:
            return
        if label == "arithmetic_slip" and self.head.answer_correct is True and self._loading(
            "a slip on a right answer is checked against the errors found: label it"
        ):
            return
        chain_id = self.head.chain_id
        why = self._contradiction(label)
        if why is not None and self._confirm != (chain_id, label):
            # Asked once: the same key again confirms (and saves at once, as every label is).
            self._confirm = (chain_id, label)
            key = next(k for k, v in CHAIN_LABEL_KEYS.items() if v == label)
            self.set_status(f"Sure? {why}. Press {key} again to save it; any other label replaces it.", "error")
            self.app.bell()
            return
        self._confirm = None
        run_id = self.row.run_id
        try:
            action = self.label_app.session.label_chain(
                chain_id, label, self.head.verdict, run_id,
                blind=self.label_app.hidden(self.labels.label),  # a relabel after seeing the verdict is not blind
            )
        except StoreError as exc:
            self._not_saved(exc)
            return
        # with --advance the next chain replaces this one at once: drawing the label here first would be
        # wasted (half the time of a label key on 200k chains); it is drawn only if the view stays
        leaving = self.label_app.advance and action is not None
        self._saved(action, f"chain label {label_title(label)}", show=not leaving)
        if self.label_app.advance and not self._next_unlabelled(quiet=True) and leaving:
            self._show_labels()

    def action_accept(self) -> None:
        if self.head is None:
            return
        if self.label_app.hidden(self.labels.label):
            self.set_status("Blind: the verdict shows once you have labelled the chain (1-6).", "error")
            return
        self.action_label(self.head.verdict)

    def action_rate(self, name: str) -> None:
        if self.head is None or self._loading("rate its steps"):
            return
        assert self.result is not None
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
        if self.head is None or self._loading("rate its steps"):
            return
        assert self.result is not None
        step = self.query_one(ChainText).selected
        try:
            action = self.label_app.session.first_error(self.result.chain.chain_id, step, self._machine())
        except StoreError as exc:
            self._not_saved(exc)
            return
        self._saved(action, f"first error at step {step + 1}")

    def action_note(self) -> None:
        if self.head is None:
            return
        from .note import NoteScreen

        chain_id = self.head.chain_id

        def done(text: str | None) -> None:
            if text is None or self.head is None or self.head.chain_id != chain_id:
                return
            try:
                action = self.label_app.session.note(chain_id, text)
            except StoreError as exc:
                self._not_saved(exc)
                return
            self._saved(action, "note")

        self.app.push_screen(NoteScreen(chain_id, self.labels.note or ""), done)

    def action_skip(self) -> None:
        if self.head is None:
            return
        chain_id = self.head.chain_id
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
        if self.head is None or action.chain_id != self.head.chain_id:
            self._goto_chain(action.chain_id, action.step or 0)
        elif action.step is not None:
            self.query_one(ChainText).selected = action.step
        if self.head is not None and self.head.chain_id == action.chain_id:
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

    def _next_unlabelled(self, quiet: bool) -> bool:
        """Open the next chain not labelled yet (after this one, then from the start of the queue); False
        when there is none to open."""
        app = self.label_app
        skipped = app.session.skipped
        row = store.queue_next(
            app.db, app.filter, app.annotator, self.row.key, 1, unlabelled=True, exclude=skipped
        )
        position = None
        if row is not None and self.position is not None and app.position_filter() == app.filter:
            # a few places on from a known position: count the rows passed over, not all before it
            low, high = self.row.key, row.key
            passed = app.quick(lambda db: store.queue_rows_between(db, app.filter, app.annotator, low, high))
            position = None if passed is None else self.position + 1 + passed
        if row is None:
            row = store.queue_next(
                app.db, app.filter, app.annotator, None, 1, unlabelled=True, exclude=skipped
            )
        if row is None or row.chain_id == self.row.chain_id:
            self.notify("No other unlabelled chain in this queue.", title="Queue done", timeout=4)
            return False
        self.show_row(row, position)
        return True

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
        self.load_again()  # (a chain still loading loads as shown)
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
        self.workers.cancel_group(self, "chain-load")  # the chain is read again when next opened
        self.app.pop_screen()
