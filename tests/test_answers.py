"""Answers and verdicts you can trust: the phrasings models use, references wherever files keep them,
honest coverage, a comparison that always ends, and pass@k that counts every sample.

The phrasings are the ones in ``../shared/data/model-outputs`` (Abel's ``#### 18`` mid-line, zero-shot CoT's
"the answer (arabic numerals) is", a repeated "The answer is:", a sentence for an answer, ToRA's closing
sentence after an output block).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inspector import ChainInput, Verdict, store, verify_chain, verify_text
from inspector.engine.answer import answers_match
from inspector.formats.load import read_chains
from inspector.report.build import build_report

ROOT = Path(__file__).resolve().parents[1]


# --- extraction: the value the marker introduces, not the rest of the sentence -------------------------
@pytest.mark.parametrize(
    "chain, method, answer",
    [
        ("So 3 + 4 = 7.\nTherefore, the answer is:\nThe answer is: 140 minutes", "answer_is", "140"),
        ("The answer is: Claire will eat 7 dozens of eggs in 4 weeks.", "answer_is", "7"),
        ("So 2 + 2 = 4.\nThe answer is -88.", "answer_is", "-88"),
        ("She makes 9 * 2 = 18 dollars every day at the farmers' market. #### 18", "hash", "18"),
        ("Therefore, the answer (arabic numerals) is 18", "answer_is", "18"),
        ("**Final Answer:** 42", "answer_colon", "42"),
        ("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "answer_is", "\\frac{3}{4}"),
        ("The answer is (B).", "answer_is", "B"),
        ("The answer is $(1, 2)$.", "answer_is", "(1, 2)"),
        ("Final Answer: The probability is 1/4.\n\nThe answer is: \\frac{1}{4}.", "answer_is", "\\frac{1}{4}"),
        ("so \\boxed{10{,}000}", "boxed", "10{,}000"),
        ("The answer is 4.0", "answer_is", "4.0"),
        # no marker: the last number, with the inline math it sits in
        ("Therefore, the eighth term of the sequence is $\\frac{1}{585}$.", "last_number", "\\frac{1}{585}"),
        ("So we get $x = 2\\sqrt{3}$ as the side.", "last_number", "2\\sqrt{3}"),
        ("So the total is $12$ dollars.", "last_number", "12"),
        # the last marker wins
        ("The answer is 3.\nWait, that's wrong. The answer is 5.", "answer_is", "5"),
    ],
)
def test_answer_phrasings(chain: str, method: str, answer: str) -> None:
    fa = verify_text(chain).final_answer
    assert fa is not None and (fa.method, fa.text) == (method, answer)


def test_an_answer_in_words_after_code_is_what_the_code_printed() -> None:
    # ToRA: the prose after the output block says the answer in words
    chain = "```python\nprint(12 / 4)\n```\n```output\n3.0\n```\nThree trucks will be needed to carry 80 stones."
    fa = verify_text(chain).final_answer
    assert fa is not None and fa.text == "3"


def test_the_fallback_never_reads_code_or_what_a_base_model_runs_on_into() -> None:
    chain = ("So the area is 5 \\cdot 4 = 20 square units.\n\nQuestion: What is 1952 + 1?\nAnswer: 1953")
    r = verify_text(chain, reference="20")
    assert r.final_answer is not None and r.final_answer.text == "20" and r.answer_correct
    code = "The count is 3.\n```python\nx = root + 1 + 1 + 1\nprint(x)\n```"
    assert verify_text(code).final_answer.text == "3"  # type: ignore[union-attr]


def test_bold_is_an_answer_only_in_prose_and_not_as_a_heading() -> None:
    # Spurious Rewards: Python's power read as markdown bold, and a bold step heading, gave "answers"
    code = "So the result is 18.\n```python\nc = a + 2*d\neq = (c**2) - (a**2 + b**2)\n```"
    assert verify_text(code).final_answer.method == "last_number"  # type: ignore[union-attr]
    heading = "3. **Recall that \\(b = \\log 2\\):**\n   Then the sum is 7."
    assert verify_text(heading).final_answer.text == "7"  # type: ignore[union-attr]
    assert verify_text("So the total is **12** apples.").final_answer.method == "bold"  # type: ignore[union-attr]


# --- comparison --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answer, reference, same",
    [
        ("4.0", "4", True), ("10{,}000", "10000", True), ("140 minutes", "140", True), ("\\$18.00", "18", True),
        ("25\\%", "25", True), ("25%", "0.25", True), ("12 \\text{ cm}", "12", True), ("-88", "88", False),
        ("(3, \\frac{\\pi}{2})", "( 3, \\frac{\\pi}{2} )", True), ("[0,1)", "(0,1]", False),
        ("\\{1, 2\\}", "\\{2,1\\}", True), ("Yes", "25", False), ("(-\\infty, 4]", "721", False),
        ("m + n = 27 + 3 = 30", "30", True), ("11111111100", "11,\\! 111,\\! 111,\\! 100", True),
        ("\\text{4:30 p.m.}", "4:30 \\text{ p.m.}", True), ("2\\sqrt{3}", "\\sqrt{12}", True),
        ("x^2 + 2x + 1", "(x+1)^2", True),
        # words: the same words, case aside; never equal to mathematics (decided without math-verify)
        ("\\text{Carla}", "\\text{Evelyn}", False), ("Evelyn", "\\text{Evelyn}", True),
        ("\\text{No solutions}", "3 \\pm 2 \\sqrt{2}", False), ("\\text{(B)}", "B", True),
        ("3(1 + r)^x = 7", "\\text{(B)}", False), ("(B)", "(C)", False),
    ],
)
def test_answers_compare_as_a_reader_would(answer: str, reference: str, same: bool) -> None:
    assert answers_match(answer, reference) is same


def test_the_pair_that_hung_a_worker_returns_at_once() -> None:
    t = time.perf_counter()
    r = verify_text("so \\boxed{(x+y+z)^{60}}", reference="(x+y+z+1)^{60}")
    assert time.perf_counter() - t < 1.0
    assert r.answer_correct is False


def test_an_answer_too_big_to_compare_is_undecided() -> None:
    r = verify_text("The count is \\boxed{\\binom{99999}{5000}}", reference="21")
    assert (r.answer_correct, r.verdict) == (None, Verdict.UNDECIDED)
    assert any("undecided" in f.message for f in r.findings)


def test_comparisons_are_bounded_in_a_thread_too() -> None:
    # the TUI verifies in worker threads, where signal-based timeouts cannot work
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(answers_match("\\{1,2\\} \\cup \\{3\\}", "\\{1,2,3\\}")))
    t = time.perf_counter()
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and out == [True]
    assert time.perf_counter() - t < 60


def test_verify_prints_no_third_party_warning(tmp_path: Path) -> None:
    src = tmp_path / "hard.jsonl"
    lines = [{"id": "a", "cot": "so \\boxed{(x+y+z)^{60}}", "reference": "(x+y+z+1)^{60}"},
             {"id": "b", "cot": "so \\boxed{\\{1,2\\} \\cup \\{3\\}}", "reference": "\\{1,2,3\\}"}]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    done = subprocess.run([sys.executable, "-m", "inspector", "verify", str(src), "--no-db", "--format", "jsonl"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert [json.loads(x)["answer_correct"] for x in done.stdout.splitlines()] == [False, True]


# --- references wherever real files keep them ----------------------------------------------------------
@pytest.mark.parametrize("field", ["reference", "answer", "gt", "gold", "ground_truth", "ground_truth_answer",
                                   "Ground_Truth_Answer", "target", "label"])
def test_references_under_the_names_real_files_use(tmp_path: Path, field: str) -> None:
    src = tmp_path / "r.jsonl"
    src.write_text(json.dumps({"id": "a", "response": "So 3 + 4 = 7.\nThe answer is 7.", field: "7"}) + "\n")
    (chain,) = read_chains(src)
    assert chain.reference == "7"


def test_a_processbench_label_is_not_a_reference(tmp_path: Path) -> None:
    src = tmp_path / "pb.json"
    src.write_text(json.dumps([{"id": "p", "problem": "1+1?", "steps": ["1 + 1 = 2"], "label": -1}]))
    (chain,) = read_chains(src)
    assert chain.reference is None


def test_verify_says_how_many_chains_have_no_reference(tmp_path: Path) -> None:
    src = tmp_path / "n.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "cot": "1 + 1 = 2. The answer is 2."}) + "\n" for i in range(3)))
    done = subprocess.run([sys.executable, "-m", "inspector", "verify", str(src), "--no-db", "--format", "jsonl"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "3 of 3 chain(s) have no reference answer" in done.stderr


# --- honest coverage -----------------------------------------------------------------------------------
def test_a_right_answer_with_nothing_checked_is_unchecked_not_valid() -> None:
    code_only = "```python\nprint(6 * 8)\n```\n```output\n48\n```\nThe shop has \\boxed{48} apples."
    r = verify_text(code_only, reference="48")
    assert r.verdict is Verdict.UNCHECKED
    assert r.coverage is not None and (r.coverage.claims_checked, r.coverage.code_blocks, r.coverage.output_blocks) == (
        0, 1, 1)
    record = r.to_json()
    assert record["verdict"] == "unchecked" and record["coverage"]["claims_checked"] == 0
    checked = verify_text("6 * 8 = 48, so the shop has \\boxed{48} apples.", reference="48")
    assert checked.verdict is Verdict.VALID and checked.coverage.claims_checked == 1  # type: ignore[union-attr]


def test_numbers_in_prose_that_no_claim_checks_are_counted() -> None:
    r = verify_text("She has 12 apples and 3 pears. So 12 + 3 = 15 fruit.", reference="15")
    assert r.coverage is not None and r.coverage.numbers_unchecked == 2


def test_coverage_is_stored_and_read_back() -> None:
    db = store.open_db(None)
    run = store.start_run(db, rules_name="default", rules_hash="x", source="t", argv=[])
    r = verify_chain(ChainInput("c1", "```python\nprint(2)\n```\nThe answer is 2.", reference="2"))
    store.write_results(db, run, [r])
    back = store.load_result(db, "c1")
    assert back is not None and back.coverage == r.coverage and back.verdict is Verdict.UNCHECKED


# --- pass@k counts every sample --------------------------------------------------------------------------
def test_a_sample_without_an_answer_is_a_failed_sample() -> None:
    # two problems, two samples each: one right; three with no answer at all. pass@1 is 1/4, not 1/1.
    db = store.open_db(None)
    run = store.start_run(db, rules_name="default", rules_hash="x", source="four.jsonl", argv=[])
    chains = [
        ChainInput("p1#0", "So 3 + 4 = 7. The answer is 7.", problem_id="p1", reference="7", model="m",
                   sample_index=0, source="four.jsonl:1"),
        ChainInput("p1#1", "I am not sure how to do this.", problem_id="p1", reference="7", model="m",
                   sample_index=1, source="four.jsonl:1"),
        ChainInput("p2#0", "Let me think about it.", problem_id="p2", reference="9", model="m", sample_index=0,
                   source="four.jsonl:2"),
        ChainInput("p2#1", "No idea.", problem_id="p2", reference="9", model="m", sample_index=1,
                   source="four.jsonl:2"),
    ]
    store.write_results(db, run, [verify_chain(c) for c in chains])
    rep = build_report(db)
    (curve,) = [c for c in rep.curves if c.model == "m"]
    assert curve.problems == 2 and curve.ks[0] == 1
    assert curve.raw[0] == pytest.approx(0.25)
    assert rep.unscored == 0
    assert any("3 sample(s) with no final answer" in n for n in rep.notes)


@pytest.fixture
def math_verify_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """math-verify raises if asked: the comparison under test must be decided without it."""
    import inspector.engine.equivalence

    def not_asked(*args: object) -> bool:
        raise AssertionError("math-verify was asked")

    monkeypatch.setattr(inspector.engine.equivalence, "math_verify_equal", not_asked)


@pytest.mark.usefixtures("math_verify_forbidden")
def test_the_same_latex_but_for_spacing_is_decided_without_a_deadline() -> None:
    # MATH-500/495: decided by math-verify under a deadline, it came out `undecided` on a busy machine and
    # `right` on an idle one; an answer equal to the reference but for spaces needs no comparison at all
    assert answers_match("(2, 12) \\cup (12, 102)", "(2,12) \\cup (12,102)", timeout=0.001) is True


@pytest.mark.parametrize(("answer", "reference", "same"), [
    # vectors and matrices, entry by entry (MATH-500/99, /408, /248 in the Spurious Rewards set)
    ("\\begin{pmatrix} \\frac{1}{3} \\\\ -\\frac{2}{3} \\\\ \\frac{7}{3} \\end{pmatrix}",
     "\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", False),
    ("\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{18}{5} \\end{pmatrix}", "\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 0 & 0 \\\\ 0 & 0 \\end{pmatrix}", "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", False),
    ("\\begin{bmatrix} 1 & 2 \\end{bmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ \\end{pmatrix}", True),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", False),  # shape
    # unions of intervals as sets of reals (MATH-500/380)
    ("(0, 36)", "(0,9) \\cup (9,36)", False),
    ("(0,9) \\cup [9,36)", "(0, 36)", True),
    ("(-\\infty, 1] \\cup [1, 5)", "(-\\infty, 5)", True),
    # inequalities in one variable against intervals (MATH-500/103)
    ("0 \\le \\lambda \\le 4 and  \\lambda \\neq 1", "(3,4]", False),
    ("0 \\le \\lambda \\le 4 \\text{ and } \\lambda \\neq 1", "[0,1) \\cup (1,4]", True),
    ("4 \\ge x > 3", "(3,4]", True),
    ("x < 5", "(-\\infty, 5]", False),
    # ± makes a set; a set of two or more is never one number (MATH-500/96, /422, /284)
    ("-1, 3", "1 \\pm \\sqrt{19}", False),
    ("3 + 2\\sqrt{2}, 3 - 2\\sqrt{2}", "3 \\pm 2 \\sqrt{2}", True),
    ("\\{4, -4, 0\\}", "\\{1\\pm\\sqrt{5},-2\\}", False),
    ("\\{1\\pm\\sqrt{5},-2\\}", "0", False),
    ("3, 7, 5", "3, 5, 7", True),
    ("2, -1", "1,-2", False),
])
@pytest.mark.usefixtures("math_verify_forbidden")
def test_structured_answers_are_decided_without_math_verify(answer: str, reference: str, same: bool) -> None:
    """Each of these went to math-verify's helper process (10–100 ms each, 0.7 s for the first): decided
    exactly by our own comparison of their parts, with the outcome math-verify gave."""
    assert answers_match(answer, reference, timeout=0.001) is same


def test_a_plus_minus_inside_a_fraction_is_not_split() -> None:
    from inspector.engine.answer_sets import set_elements

    assert set_elements("\\frac{1 \\pm \\sqrt{5}}{2}") is None
    assert set_elements("1 \\pm \\sqrt{5}, -2") == ["1 + (\\sqrt{5})", "1 - (\\sqrt{5})", "-2"]
    assert set_elements("(1, 2)") is None  # a tuple's order counts


# --- the answer kinds that used to wait on math-verify (issue 9): decided by our own comparison -------------
# Each pair below is, or is the kind of, one that reached math-verify's helper process on ../shared/data
# (0.6–1.1 s for the chain that started it, 1–25 ms each after). Now none on the real data does.
@pytest.mark.parametrize(("answer", "reference", "same"), [
    # logarithms of rationals, exactly: 4 log 2 + 3 log 5 = log 2000, which is 2 to no base (sr/base/AMC/5#3)
    ("4 \\log 2 + 3 \\log 5", "2", False),
    ("\\log_2 8", "3", True), ("\\log_{2} 8", "4", False),
    ("\\ln 2 + \\ln 3", "\\ln 6", True), ("\\ln 2 + \\ln 3", "\\ln 5", False),
    ("\\log_4 8", "\\frac{3}{2}", True), ("\\log_8 4", "\\frac{3}{4}", False),
    ("2\\ln 3 - \\ln 9", "0", True), ("\\log_3 9 + \\log_2 8", "5", True),
    ("\\log_2 3", "\\frac{\\ln 3}{\\ln 2}", True),
    # trigonometric functions at three points, 60 digits (reasoneval/9: sec x / sin x − sin x / cos x is cot x)
    ("\\csc x", "\\cot x", False), ("\\frac{\\cos x}{\\sin x}", "\\cot x", True),
    ("\\tan x \\cos x", "\\sin x", True), ("\\sin 2x", "2 \\sin x \\cos x", True),
    ("\\sin 2x", "2 \\sin x", False), ("\\sin \\frac{\\pi}{6}", "\\frac{1}{2}", True),
    # numerals with a base (sr/step50/MATH-500/71#0, sr/step1000/MATH-500/71#0)
    ("5234_8", "2516_8", False), ("2512_{8}", "2516_8", False), ("2516_{8}", "2516_8", True),
    ("0123_4", "123_4", True),
    # times of day (qwen-cot/3: the reference's "4:30 p.m." as Qwen's file keeps it, mangled)
    ("4:30 \\text{ p.m.}", "4:30p..", True), ("4:30 a.m.", "4:30 p.m.", False), ("16:30", "4:30 PM", True),
    # names, as sets (sr/step200/MATH-500/398#0: Navin earns the most)
    ("\\text{Navin, Luka, and Ian all earn the most}", "\\text{Navin}", False),
    ("Luka, Navin", "Navin and Luka", True), ("Luka, Navin", "Navin, Ian", False),
    # an answer cut short inside a brace (sr/step200/MATH-500/126#0 ran out of tokens) is not the reference
    ("\\[ z_{2002} = \\frac{37363}{37265} + \\frac{1}{3726", "1+274i", False),
    ("\\frac{1}{2", "\\frac{1}{2}", False), ("\\frac{1}{2", "0.5", False),
    # complex numbers, whole: i is the imaginary unit of our polynomials
    ("\\frac{1}{2}+\\frac{3}{2}i", "0.5+1.5i", True), ("1+274i", "1-274i", False),
])
@pytest.mark.usefixtures("math_verify_forbidden")
def test_answer_kinds_math_verify_used_to_decide(answer: str, reference: str, same: bool) -> None:
    assert answers_match(answer, reference, timeout=0.001) is same


@pytest.mark.parametrize(("answer", "reference"), [
    ("\\log 2 + \\log 5", "1"),  # 1 to base 10, not to base e: a bare \log decides it only when both agree
    ("\\log 100", "2"),
    ("12_8", "1010_2"),  # the same number in another base than the reference's
    ("2519_8", "2517_8"),  # 9 is no digit in base 8: not a numeral
    ("4:30", "4:30 p.m."),  # no a.m. or p.m. on one side
    ("1:20", "2:40"),  # on neither: two times, or one ratio?
    ("e^{\\ln 5}", "5"),  # e: Euler's number or a letter?
])
def test_what_the_native_comparisons_leave_undecided(answer: str, reference: str) -> None:
    from inspector.engine.answer_forms import compare_forms

    assert compare_forms(answer, reference) is None


@pytest.mark.parametrize(("answer", "reference", "outcome"), [
    ("\\log 2^{100000}", "100000 \\log 2", True),  # the same argument's coefficients add: 2^100000 is never built
    ("\\log 2^{9999}", "\\log 3^{9999}", False),  # 9999 log(2/3): the common factor comes out first
    ("\\log_2 (2^{5000} \\cdot 3)", "5000 + \\log_2 3", None),  # a power past the bound: refused
    ("\\log_{99} 98^{999}", "1", False),
    ("\\exp(\\exp(\\exp(100)))", "1", None),
    ("\\sin(" * 500 + "x" + ")" * 500, "x", None),  # nesting past the depth bound
    ("\\sin x" + " + \\sin x" * 3000, "x", None),  # past the length bound
    ("1" * 5000 + "_2", "1_2", None),  # a numeral of 5,000 digits is not read
    (", ".join(["Navin"] * 5000), "Navin", None),  # a list of 5,000 names is not read
])
def test_native_comparisons_are_bounded_on_hostile_answers(answer: str, reference: str, outcome: bool | None) -> None:
    from inspector.engine.answer_forms import compare_forms

    t = time.perf_counter()
    assert compare_forms(answer, reference) is outcome
    assert time.perf_counter() - t < 0.05
