"""The labelling tool's logic without a terminal: LaTeX as text, highlights, the session, the queue's SQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _tui_support import sample_db

from inspector import store
from inspector.engine.latex_text import readable
from inspector.engine.model import ClaimStatus
from inspector.labels.review import Mark, chain_marks, difference, repaired_path, segments, step_detail
from inspector.labels.session import (
    LabelSession,
    StepRating,
    UndoStack,
    agrees,
    cycle,
    describe_filter,
    label_title,
)
from inspector.store import QueueFilter, StepMachine


@pytest.fixture
def db_path(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_db(tmp_path, tmp_path_factory.getbasetemp())


@pytest.fixture
def db(db_path: Path):  # type: ignore[no-untyped-def]
    database = store.open_db(db_path)
    yield database
    database.close()


# --------------------------------------------------------------------------------------------------
# The core never imports Textual: only inspector.tui does


def test_core_and_cli_import_no_textual() -> None:
    code = (
        "import sys, inspector, inspector.cli, inspector.labels.session, inspector.labels.review, inspector.engine.latex_text, "
        "inspector.store, inspector.scale.workers\n"
        "assert not [m for m in sys.modules if m == 'textual' or m.startswith('textual.')], 'textual imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------------
# LaTeX as readable text


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        # fractions: parentheses only where needed
        (r"\(\frac{2}{3} \cdot 84 = 56\)", "2/3 · 84 = 56"),
        (r"\dfrac{a+b}{2c}", "(a+b)/2c"),
        (r"\frac{\frac{1}{2}}{3}", "(1/2)/3"),
        # operators and relations
        (r"\[900 = 2 \times 234 - 3 \times X\]", "900 = 2 × 234 - 3 × X"),
        (r"$x \le 3$ and $y \neq 4$, so $x \div 2 \approx 1.5$", "x ≤ 3 and y ≠ 4, so x ÷ 2 ≈ 1.5"),
        # powers, roots, subscripts, degrees
        (r"x^{10} + y_{1} + 2^{-1/2}", "x¹⁰ + y₁ + 2^(-1/2)"),
        (r"\sqrt{144} + \sqrt[3]{27} + \sqrt{a+b}", "√144 + ³√27 + √(a+b)"),
        (r"90^\circ", "90°"),
        # numbers: thousands separators, money
        (r"1{,}234 and 18\,000", "1,234 and 18 000"),
        ("costs $4 and $5 in all", "costs $4 and $5 in all"),
        (r"\$20 bill", "$20 bill"),
        # words, boxes, layout commands
        (r"\boxed{73} \text{ members}", "[73]  members"),
        (r"\left( \dfrac{3}{4} \right)", "( 3/4 )"),
        (r"\begin{align} a &= 3 \\ b &= 4 \end{align}", " a = 3 ;  b = 4 "),
        (r"\binom{5}{2} = 10", "C(5, 2) = 10"),
        (r"\pi r^2", "π r²"),
        # what it doesn't know stays, without the backslash; hostile input stays bounded
        (r"\foo{x}", "foox"),
        ("\\", ""),
        (r"\frac", "/"),
    ],
)
def test_latex_reads_as_text(latex: str, text: str) -> None:
    assert readable(latex).text == text


def test_readable_spans_map_back_to_the_source() -> None:
    source = r"Two thirds of 84 is \(\frac{2}{3} \cdot 84 = 54\)."
    r = readable(source)
    start = source.index(r"\frac")
    stated = source.index("54")
    s, e = r.span(start, stated + 2)
    assert r.text[s:e] == "2/3 · 84 = 54"
    s, e = r.span(stated, stated + 2)
    assert r.text[s:e] == "54"
    assert list(r.sources) == sorted(r.sources)


def test_deep_nesting_is_bounded() -> None:
    r = readable("{" * 5000 + "x" + "}" * 5000)
    assert "x" in r.text


# --------------------------------------------------------------------------------------------------
# What the chain view shows


def test_marks_and_segments(db) -> None:  # type: ignore[no-untyped-def]
    result = store.load_result(db, "extra-flow-unverifiable")
    assert result is not None
    cot = result.chain.cot
    marks = chain_marks(result)
    kinds = {(cot[s:e], m) for s, e, m in marks}
    assert ("6 * 7 = 48", Mark.WRONG) in kinds
    assert ("48", Mark.STATED) in kinds
    assert ("48", Mark.TAINTED) in kinds  # the use in step 2
    assert ("9^9^9^9 = 5", Mark.UNVERIFIABLE) in kinds
    assert ("48 * 2 = 96", Mark.CORRECT) in kinds
    runs = segments(0, len(cot), marks)
    assert "".join(cot[a:b] for a, b, _ in runs) == cot
    stated = next(marks_ for a, b, marks_ in runs if cot[a:b] == "48" and Mark.STATED in marks_)
    assert stated == {Mark.WRONG, Mark.STATED}


def test_step_detail_and_repaired_path(db) -> None:  # type: ignore[no-untyped-def]
    result = store.load_result(db, "extra-flow-unverifiable")
    assert result is not None
    first = step_detail(result, 0)
    assert [(c.status, c.stated, c.actual, c.difference) for c in first.claims] == [
        (ClaimStatus.WRONG, "48", "42", "+6")
    ]
    assert first.flows_out == ("48 (true 42) flows into step 2",)
    assert step_detail(result, 1).flows_in == ("uses 48, stated wrongly in step 1",)
    assert step_detail(result, 2).claims[0].status is ClaimStatus.UNVERIFIABLE
    assert repaired_path(result) == "step 1: 48 → 42 ⇒ repaired answer 84 = reference 84"
    club = store.load_result(db, "club-four-items-retold")
    assert club is not None
    assert step_detail(club, 5).breaks == (
        "rewrites the line above with 1924 where 2024 keeps it equivalent",
    )
    assert step_detail(club, 5).claims[0].difference == "-100"


@pytest.mark.parametrize(
    ("stated", "actual", "diff"),
    [("1924", "2024", "-100"), ("0.325", "0.375", "-0.05"), ("13", "12", "+1"), ("12", "12", None),
     ("x", "3", None), ("5", None, None)],
)  # fmt: skip
def test_difference(stated: str, actual: str | None, diff: str | None) -> None:
    assert difference(stated, actual) == diff


# --------------------------------------------------------------------------------------------------
# A session: every write committed, history kept, undo several levels deep


def _current(db, chain_id: str, annotator: str = "ann") -> store.CurrentLabels:  # type: ignore[no-untyped-def]
    return store.current_labels(db, chain_id, annotator)


def test_changing_a_label_keeps_its_history(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    s.label_chain("lucky-gsm-tomatoes", "valid", "lucky_guess", 1)
    s.label_chain("lucky-gsm-tomatoes", "lucky_guess", "lucky_guess", 1)
    assert s.label_chain("lucky-gsm-tomatoes", "lucky_guess", "lucky_guess", 1) is None  # unchanged: no row
    rows = [r for r in store.label_history(db, "lucky-gsm-tomatoes") if r["table"] == "chain_labels"]
    assert [(r["label"], r["superseded_at"] is None, r["agrees_with_machine"]) for r in rows] == [
        ("valid", False, 0),
        ("lucky_guess", True, 1),
    ]
    assert rows[1]["machine_verdict"] == "lucky_guess" and rows[1]["annotator"] == "ann"


def test_undo_goes_back_several_levels(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    cid = "club-four-items-retold"
    machine = StepMachine(1, "canceling_errors", frozenset({5, 7}))
    s.rate_step(cid, 0, StepRating.GOOD, machine)
    s.rate_step(cid, 0, StepRating.BAD, machine)
    s.first_error(cid, 5, machine)
    s.note(cid, "1924 should be 2024")
    s.label_chain(cid, "canceling_errors", "canceling_errors", 1)
    assert _current(db, cid).label == "canceling_errors"
    for _ in range(3):
        action, done = s.undo()
        assert done and action is not None
    now = _current(db, cid)
    assert now.label is None and now.note is None and now.steps == {0: (-1, False)}
    s.undo()
    assert _current(db, cid).steps == {0: (1, False)}
    s.undo()
    assert _current(db, cid).steps == {}
    assert s.undo() == (None, False)
    history = store.label_history(db, cid)
    assert len(history) == 5 and all(r["undone_at"] is not None for r in history)


def test_step_labels_record_what_the_machine_said(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    cid = "club-four-items-retold"
    machine = StepMachine(1, "canceling_errors", frozenset({5, 7}))
    s.rate_step(cid, 5, StepRating.BAD, machine)  # the machine found an error here too
    s.rate_step(cid, 6, StepRating.BAD, machine)  # it found none here
    s.rate_step(cid, 7, StepRating.NEUTRAL, machine)
    s.rate_step(cid, 8, StepRating.GOOD, machine)
    rows = [r for r in store.label_history(db, cid) if r["table"] == "step_labels"]
    assert [(r["step"], r["agrees_with_machine"], r["machine_verdict"], r["run_id"]) for r in rows] == [
        (5, 1, "canceling_errors", 1), (6, 0, "canceling_errors", 1), (7, None, "canceling_errors", 1),
        (8, 1, "canceling_errors", 1),
    ]  # fmt: skip


def test_first_error_moves_and_toggles(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    cid = "club-four-items-retold"
    s.rate_step(cid, 3, StepRating.GOOD)
    s.first_error(cid, 3)
    assert _current(db, cid).steps == {3: (-1, True)}
    s.first_error(cid, 5)
    assert _current(db, cid).steps == {3: (-1, False), 5: (-1, True)}
    s.first_error(cid, 5)
    assert _current(db, cid).steps == {3: (-1, False), 5: (-1, False)}
    s.undo()
    s.undo()  # the move, both steps at once
    assert _current(db, cid).steps == {3: (-1, True)}


def test_notes_edit_clear_and_undo(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    cid = "slip-math-fraction"
    s.note(cid, "first")
    s.note(cid, "second")
    s.note(cid, "  ")
    assert _current(db, cid).note is None
    s.undo()
    assert _current(db, cid).note == "second"


def test_undo_refuses_what_changed_since(db) -> None:  # type: ignore[no-untyped-def]
    one, two = LabelSession(db, "ann"), LabelSession(db, "ann")  # one annotator, two terminals
    one.label_chain("slip-math-fraction", "valid", "arithmetic_slip", None)
    two.label_chain("slip-math-fraction", "wrong_reasoning", "arithmetic_slip", None)
    action, done = one.undo()
    assert action is not None and not done
    assert _current(db, "slip-math-fraction").label == "wrong_reasoning"


def test_skip_and_next_unlabelled(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    first = store.queue_next(db, QueueFilter(), "ann", None, unlabelled=True)
    assert first is not None and first.verdict == "lucky_guess"
    s.skip(first.chain_id)
    after = store.queue_next(db, QueueFilter(), "ann", None, unlabelled=True, exclude=s.skipped)
    assert after is not None and after.chain_id != first.chain_id
    s.undo()
    assert s.skipped == []


def test_two_annotators_keep_their_own_labels(db) -> None:  # type: ignore[no-untyped-def]
    LabelSession(db, "ann").label_chain("slip-math-fraction", "arithmetic_slip", "arithmetic_slip", None)
    LabelSession(db, "bob").label_chain("slip-math-fraction", "unsure", "arithmetic_slip", None)
    assert _current(db, "slip-math-fraction", "ann").label == "arithmetic_slip"
    assert _current(db, "slip-math-fraction", "bob").label == "unsure"
    assert _current(db, "slip-math-fraction", "bob").agrees is None
    assert store.other_labels(db, "slip-math-fraction", "ann") == [("bob", "unsure")]


def test_a_step_that_does_not_exist_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(store.StoreError, match="no step 99"):
        LabelSession(db, "ann").rate_step("slip-math-fraction", 99, StepRating.GOOD)
    with pytest.raises(store.StoreError):
        LabelSession(db, "ann").label_chain("no-such-chain", "valid", None, None)


def test_one_current_label_per_annotator_is_in_the_schema(db) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    db.conn.execute(
        "INSERT INTO chain_labels (chain_id, annotator, label, created_at) VALUES ('slip-math-fraction', 'x', 'valid', 'now')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO chain_labels (chain_id, annotator, label, created_at) "
            "VALUES ('slip-math-fraction', 'x', 'unsure', 'now')"
        )
    db.conn.rollback()


# --------------------------------------------------------------------------------------------------
# The queue


def test_queue_filters_order_and_paging(db) -> None:  # type: ignore[no-untyped-def]
    everything = store.queue_page(db, QueueFilter(), "ann", 0, 1000)
    assert len(everything) == store.queue_count(db, QueueFilter(), "ann") == 56
    order = ["lucky_guess", "canceling_errors", "arithmetic_slip", "wrong_reasoning", "undecided", "unreferenced",
             "no_answer", "unchecked", "valid"]  # fmt: skip
    assert [r.verdict for r in everything] == sorted((r.verdict for r in everything), key=order.index)
    assert store.queue_page(db, QueueFilter(), "ann", 10, 5) == everything[10:15]
    lucky = QueueFilter(verdict="lucky_guess")
    assert {r.chain_id for r in store.queue_page(db, lucky, "ann", 0, 100)} == {
        "lucky-gsm-tomatoes", "lucky-math-rectangle"
    }  # fmt: skip
    right = store.queue_page(db, QueueFilter(right_but_errors=True), "ann", 0, 100)
    assert {r.verdict for r in right} == {"lucky_guess", "canceling_errors"}
    assert all(r.answer_correct and r.errors for r in right)
    assert {r.model for r in store.queue_page(db, QueueFilter(model="rl"), "ann", 0, 100)} == {"rl"}
    assert store.queue_count(db, QueueFilter(search="TOMATO"), "ann") == 1  # problem text, any case
    assert store.queue_count(db, QueueFilter(search="50%_"), "ann") == 0  # LIKE wildcards are literal
    inputs = store.queue_page(db, QueueFilter(order="input"), "ann", 0, 3)
    assert [r.chain_id for r in inputs] == ["valid-gsm-change", "valid-math-linear", "valid-math-frac-sqrt"]


def test_queue_labelled_filter_and_keyset_moves(db) -> None:  # type: ignore[no-untyped-def]
    s = LabelSession(db, "ann")
    s.label_chain("lucky-gsm-tomatoes", "valid", "lucky_guess", None)
    mine = QueueFilter(labelled=True)
    assert [r.chain_id for r in store.queue_page(db, mine, "ann", 0, 10)] == ["lucky-gsm-tomatoes"]
    assert store.queue_page(db, mine, "ann", 0, 10)[0].label == "valid"
    assert store.queue_count(db, mine, "bob") == 0
    assert store.queue_count(db, QueueFilter(labelled=False), "ann") == 55
    rows = store.queue_page(db, QueueFilter(), "ann", 0, 100)
    for i in (0, 7, 51):
        assert store.queue_position(db, QueueFilter(), "ann", rows[i].key) == i
    assert store.queue_next(db, QueueFilter(), "ann", rows[7].key, 1) == rows[8]
    assert store.queue_next(db, QueueFilter(), "ann", rows[7].key, -1) == rows[6]
    assert store.queue_next(db, QueueFilter(), "ann", None, -1) == rows[-1]
    assert store.queue_next(db, QueueFilter(), "ann", None, 1, unlabelled=True) == rows[1]


def test_filter_helpers() -> None:
    assert cycle([None, "a", "b"], None) == "a" and cycle([None, "a", "b"], "b") == None
    assert cycle([None, "a", "b"], None, -1) == "b"
    assert describe_filter(QueueFilter(verdict="canceling_errors", labelled=False, search=" x ")) == [
        ("verdict", "cancelling errors"), ("status", "unlabelled"), ("search", "x")
    ]  # fmt: skip
    assert label_title("lucky_guess") == "lucky guess"
    assert agrees("valid", "valid") is True and agrees("valid", "lucky_guess") is False
    assert agrees("unsure", "valid") is None
    stack = UndoStack(depth=2)
    for kind in "abc":
        stack.push(__import__("inspector.labels.session", fromlist=["Action"]).Action(kind, "x"))
    assert [stack.pop().kind, stack.pop().kind, stack.pop()] == ["c", "b", None]  # type: ignore[union-attr]


def test_queue_row_by_id(db) -> None:  # type: ignore[no-untyped-def]
    rows = store.queue_page(db, QueueFilter(), "ann", 0, 100)
    assert store.queue_row(db, rows[5].chain_id, "ann") == rows[5]
    assert store.queue_row(db, "no-such-chain", "ann") is None


def test_ids_and_models_are_cut_in_the_middle_where_they_differ_at_the_end() -> None:
    # 80 columns: "export-for-eval-step200" and "…-step1000" must stay apart, as must two samples' chain ids
    from inspector.tui.widgets.queue_list import fit_middle

    cut = {fit_middle(m, 10) for m in ("export-for-eval-step200", "export-for-eval-step1000")}
    assert len(cut) == 2 and all(len(c) == 10 and "…" in c for c in cut)
    assert fit_middle("Qwen2.5-Math-1.5B/MATH-500/12#0", 26).endswith("/MATH-500/12#0")
    assert fit_middle("short", 10) == "short     "


def test_a_wrong_claim_with_no_single_true_value_says_none_of_one() -> None:
    """``√k + 1 = √k``: the letters cancel and the sides still differ, but there is no true value to quote;
    the panel once said ``(true None)``."""
    from inspector import verify_text
    from inspector.tui.truth import view_detail

    result = verify_text("So \\(\\sqrt{k} + 1 = \\sqrt{k}\\) holds.")
    assert [c.actual for s in result.steps for c in s.claims] == [None]
    for detail in (view_detail(result, 0), step_detail(result, 0)):
        assert detail.flows_out == ("\\sqrt{k}: no later use traced",)
