"""The engine on real-looking chains, one table per phenomenon.

Every wrong flag an annotator reports becomes a row here.
"""

from __future__ import annotations

import collections
import gc
import itertools
import json
import pickle
import sys
from pathlib import Path

import pytest

from inspector import ChainInput, ClaimStatus, Verdict, verify_chain, verify_text
from inspector.engine.arith import Unverifiable, evaluate, format_value, parse


def claims(text: str) -> list[tuple[str, str | None, str]]:
    r = verify_text(text)
    return [(c.stated, c.actual, c.status.value) for s in r.steps for c in s.claims]


def errors(text: str) -> list[tuple[str | None, str | None]]:
    return [(f.stated, f.actual) for f in verify_text(text).errors]


# --- exact evaluation of what people write --------------------------------------------------
@pytest.mark.parametrize(
    "written, value",
    [
        # operators, plain and Unicode
        ("3 + 4 * 2", "11"),
        ("7 − 2", "5"),
        ("6 × 7", "42"),
        ("6 · 7", "42"),
        ("84 ÷ 2", "42"),
        ("2 x 3", "6"),
        ("2^10", "1024"),
        ("2**3", "8"),
        # thousands separators and decimals
        ("1,234 + 1", "1235"),
        ("1{,}234", "1234"),
        ("18 000", "18000"),
        (".5 * 4", "2"),
        ("0.1 + 0.2", "0.3"),
        # percentages
        ("20%", "0.2"),
        ("20% of 50", "10"),
        # mixed numbers as grade-school text writes them
        ("5 and 2/3", "17/3"),
        ("1 1/2 + 1", "2.5"),
        # LaTeX
        ("\\frac{1}{3} + \\frac12", "5/6"),
        ("\\dfrac{3}{4} \\cdot 8", "6"),
        ("2^{10}", "1024"),
        ("\\left( 3 \\right)^2", "9"),
        ("\\sqrt{49}", "7"),
        ("\\sqrt[3]{27}", "3"),
        ("2\\frac{1}{2}", "2.5"),
        ("5!", "120"),
        # letters stay symbols
        ("3X + 2 - X", "2*X + 2"),
        ("(195 + 367 + 562 + 900) − 437 − 2 × 234 − 3 × 𝑋", "-3*X + 1119"),
    ],
)
def test_exact_values(written: str, value: str) -> None:
    assert format_value(evaluate(parse(written))) == value


@pytest.mark.parametrize("hostile", ["9^9^9^9", "10^10^10", "100000!", "2^(10^8)", "(" * 5000 + "1" + ")" * 5000])
def test_unbounded_work_is_refused(hostile: str) -> None:
    with pytest.raises(Unverifiable):
        evaluate(parse(hostile))


# --- within-line claims ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "chain, expected",
    [
        # right
        ("She has 16 - 3 - 4 = 9 eggs left.", [("9", "9", "correct")]),
        ("So 3 + 4 = 7 = 7.", [("7", "7", "correct"), ("7", "7", "correct")]),
        ("Each costs $12 + $3 = $15.", [("15", "15", "correct")]),
        ("\\( 3 \\times 4 = 12 \\)", [("12", "12", "correct")]),
        # wrong
        ("He pays 17 * 6 = 112 dollars.", [("112", "102", "wrong")]),
        ("So 2 + 3 = 6 = 6.", [("6", "5", "wrong"), ("6", "6", "correct")]),
        # rounding: a decimal is right when it is the true value rounded to its digits
        ("Each gets 10/3 = 3.33 cups.", [("3.33", "10/3", "correct")]),
        ("Each gets 10/3 = 3.34 cups.", [("3.34", "10/3", "wrong")]),
        ("Each gets 10/3 = 3 cups.", [("3", "10/3", "wrong")]),
        ("Each gets about 10/3 = 3 cups.", [("3", "10/3", "correct")]),
        ("10/3 ≈ 3.3", [("3.3", "10/3", "correct")]),
        # reversed: a bare number, then the computation
        ("900 = 1019 + 437 + 468", [("900", "1924", "wrong")]),
    ],
)
def test_inline_claims(chain: str, expected: list[tuple[str, str, str]]) -> None:
    assert claims(chain) == expected


@pytest.mark.parametrize(
    "chain",
    [
        # readings grade-school text intends
        "He can buy 25 / 1/3 = 75 bags.",  # divide by a fraction written inline
        "She saves $1 / 2 = 50 cents.",  # unit change
        "It loses 5 thousand dollars a day, so 5 * 3 = $15,000 in three days.",  # counted in thousands
        "Each takes 17/3 = 5 and 2/3 laps.",  # mixed number in words
        "It fits 13 / 6 = 2 full cycles.",  # "full": a whole number of them
        "They sum to 45 + 21 + 28 = 94%.",  # percentages added as numbers
        "Remaining 10 = 62,300/10 = 6230",  # a label before the computation
        "He ran 3/2 = 1.50 + 3.00 = 4.50 miles.",  # a running total
        # not arithmetic at all
        "Mckenna works 11:00-8:00 = 3 hours.",  # clock times
        "He left at 0900-0130 = 0730 hours.",  # military time
        "48 = 100% + 20% = 120% of the actual number",  # a correspondence, not an equality
        "She has 16 eggs - 3 = 13 left.",  # the left side ran into words
        "- 3 + 4 = 7 is the bullet's sum",  # a markdown bullet, not a minus
    ],
)
def test_no_false_alarm(chain: str) -> None:
    assert errors(chain) == []


# --- GSM8K calculator annotations -----------------------------------------------------------
def test_annotation_float_noise_is_its_value_but_the_written_result_is_checked() -> None:
    r = verify_text("The total is $4.20 + $9.45 + $1.35 = $<<4.20+9.45+1.35=14.999999999999998>>14.99.")
    kinds = {c.kind: c.status for s in r.steps for c in s.claims}
    assert kinds == {"annotation": ClaimStatus.CORRECT, "annotation_result": ClaimStatus.WRONG}
    assert [(f.rule, f.stated, f.actual) for f in r.errors] == [("annotation_result", "14.99", "15")]


def test_wrong_annotation_is_one_error_not_two() -> None:
    r = verify_text("She makes 13 * 2 = $<<13*2=25>>25 a day.\n#### 25")
    assert [(f.rule, f.stated, f.actual) for f in r.errors] == [("annotation", "25", "26")]


def test_annotation_with_fraction_result() -> None:
    assert errors("Half of it is <<3/4=3/4>>3/4 of the tank.") == []


# --- cross-line derivations -----------------------------------------------------------------
DERIVATION = """900 = 195 + 367 + 562 + 900 − 437 − 2 × 234 − 3 × X
900 = 195 + 367 + 562 + 900 − 437 − 468 − 3 × X
900 = 1717 − 905 − 3 × X
900 = 812 − 3 × X
3 × X = 812 − 900
3 × X = −88"""


def test_a_rewrite_slip_is_pinned_to_the_number() -> None:
    r = verify_text(DERIVATION)
    assert [(f.rule, f.step, f.stated, f.actual) for f in r.errors] == [("rewrite", 2, "1717", "2024")]
    start, end = r.errors[0].span
    assert DERIVATION[start:end] == "1717"


def test_equivalent_rearrangements_are_not_slips() -> None:
    assert errors("3X = 1119 - 900\n3X = 219\nX = 73") == []
    assert errors("2x + 4 = 10\n2x = 6\nx = 3") == []


def test_continuation_lines_are_checked_against_the_line_above() -> None:
    chain = "Total = 195 + 367 + 562\n= 1124\n= 1125"
    assert [(f.rule, f.stated, f.actual) for f in verify_text(chain).errors] == [("continuation", "1125", "1124")]


@pytest.mark.parametrize(
    "chain, reference, slip",
    [
        # a number moved to the other side: the one new number is the slip
        ("2x - 12 = 20\n2x = 28\nx = 14\n#### 14", "16", ("28", "32")),
        ("\\[x + 7 = 19\\]\n\\[x = 11\\]\n\\boxed{11}", "12", ("11", "12")),
        # a bare expression continued on the next lines, inside display math
        ("\\[\n4 \\times 25 + 3 \\times 12\n\\]\n\\[\n= 100 + 46\n\\]\n\\[\n= 146\n\\]\n\\boxed{146}", "136",
         ("46", "36")),
    ],
)
def test_derivation_slips_repair_to_the_reference(chain: str, reference: str, slip: tuple[str, str]) -> None:
    r = verify_text(chain, reference)
    assert [(f.stated, f.actual) for f in r.errors] == [slip]
    assert r.verdict is Verdict.ARITHMETIC_SLIP


@pytest.mark.parametrize(
    "chain",
    [
        "Ann gets 1/2 of 10 = 5 apples.",
        "half of 10 = 5",
        "3/4 of 20 = 15",
        "Let x be the third score\nBowler 1:3x(1/3)=x\nTotal:x+3x+x=810\n5x=810",  # 3x(1/3) is not 3 times (1/3)
    ],
)
def test_no_false_alarm_in_fractions_of_things(chain: str) -> None:
    assert errors(chain) == []


@pytest.mark.parametrize(
    "chain",
    [
        # LaTeX seen in real Qwen2.5-Math chains
        "\\(d_1 + d_2 = 9\\). If \\(d_1 = 3\\), then \\(d_2 = 6\\).",  # subscripts are names
        "\\[\n\\text{Total shaded area} = 6 \\times \\frac{s^2}{16} = \\frac{3s^2}{8}\n\\]",  # a label
        "\\[\n\\text{Area} = \\frac{1}{2} \\times 4 \\times 3 = 6\n\\]",
        "\\[ \\frac{1 \\text{ km}}{2.5 \\text{ hours}} = \\frac{1000 \\text{ meters}}{2.5 \\times 3600 \\text{ seconds}} \\]",
        "\\[10y = 33.3333\\ldots\\]\n\\[10y - y = 33.3333\\ldots - 3.3333\\ldots\\]\n\\[9y = 30\\]",  # trailing dots
        "- If \\(a = 3\\), then \\(b = 6\\)\n- If \\(a = 4\\), then \\(b = 5\\)",  # cases, not rewrites
        "\\[ C = 2\\pi \\times 9 = 18\\pi \\approx 18 \\times 3.14159 \\approx 56.54866 \\]",  # ≈ of 18π
        "\\[ \\sqrt{\\frac{50}{9}} \\approx \\sqrt{5.5556} \\approx 2.357 \\]",
    ],
)
def test_no_false_alarm_in_latex(chain: str) -> None:
    assert errors(chain) == []


@pytest.mark.parametrize(
    "chain",
    [
        # seen in MATH-500 gold solutions
        "$\\sin 120^\\circ = \\frac{\\sqrt{3}}{2}$",  # a function's argument is not a quantity
        "$\\cos 25^\\circ + \\cos 85^\\circ = 2 \\cos 55^\\circ \\cos 30^\\circ$",
        "$6_8 \\cdot 7_8 = 42_{10} = 52_8$",  # numbers in other bases
        "$(1-2)+(3-4)+ \\dots +(97-98)+(99-100) = 50(-1) = -50$",  # elided terms
        "$f(3) - f(2) = 2 + 2$\n$f(4) - f(3) = 3 + 2$",  # functions, not products
        "\\[(-4)^2=16\\] \\[(-1)^2=1\\] \\[\\left(\\frac{5+\\sqrt{5}}{2}\\right)^2=\\frac{15+5\\sqrt{5}}{2}\\]",
        "$(6768 + 1144 \\sqrt{35}) + (6768 - 1144 \\sqrt{35}) = 13536$",  # exact through the roots
        "$(5\\text{ cm})(3\\text{ cm})=15\\text{ cm}^2$",  # the square is the unit's
        "$90^3=729,\\!000$",
        "\\begin{align*} \\angle ADB &= 180^\\circ - \\angle ADC \\\\ &= 180^\\circ - 100^\\circ \\\\ &= 80^\\circ \\end{align*}",
        "\\begin{align*} (z + i)^2 &= z^2 + 2zi + i^2 \\\\ &= z^2 + 2iz - 1 \\end{align*}",  # i squared is -1
        "$\\frac{279}{99999} = 0.\\overline{00279}$",  # a repeating decimal
    ],
)
def test_no_false_alarm_in_competition_latex(chain: str) -> None:
    assert errors(chain) == []


def test_a_rounded_answer_stays_rounded_in_the_repair() -> None:
    chain = "He runs 4 * 3 = 13 km on weekdays, and 10 / 3 = 3.33 km per day on the weekend.\n#### 3.33"
    r = verify_text(chain, "3.33")
    assert (r.verdict, r.repaired_answer) == (Verdict.CANCELING_ERRORS, "3.33")


def test_a_substitution_is_a_new_equation_not_a_slip() -> None:
    assert errors("Y = 1019 − 3 × X\n900 = Y + 437 + 2 × 234 + 3 × X") == []


# --- answers and verdicts -------------------------------------------------------------------
@pytest.mark.parametrize(
    "chain, reference, verdict",
    [
        ("3 + 4 = 7\nThe answer is 7.", "7", Verdict.VALID),
        ("3 + 4 = 8\nThe answer is 8.", "7", Verdict.ARITHMETIC_SLIP),
        ("3 + 4 = 7\nThe answer is 9.", "7", Verdict.WRONG_REASONING),
        ("2 + 2 = 5\n3 + 4 = 7\nThe answer is 7.", "7", Verdict.CANCELING_ERRORS),
        ("3 + 3 = 7\nThe answer is 7.", "7", Verdict.LUCKY_GUESS),
        ("I am not sure how to start.", "7", Verdict.NO_ANSWER),
        ("3 + 4 = 8\nThe answer is 8.", None, Verdict.UNREFERENCED),
        ("so \\(\\frac{1}{2} + \\frac{1}{4} = \\frac{3}{4}\\), giving \\boxed{\\frac34}", "0.75", Verdict.VALID),
    ],
)
def test_verdicts(chain: str, reference: str | None, verdict: Verdict) -> None:
    assert verify_text(chain, reference).verdict is verdict


def test_value_flow_carries_a_wrong_value_to_the_answer() -> None:
    chain = "He buys 17 * 6 = 112 pens.\nHe gives away 12, so 112 - 12 = 100 remain.\nThe answer is 100."
    r = verify_text(chain, "90")
    assert r.verdict is Verdict.ARITHMETIC_SLIP
    assert r.repaired_answer == "90"
    # 112 flows into the next claim, and the answer 100 comes from that claim
    assert [(fl.value, fl.from_step) for fl in r.flows] == [("112", 0), ("100", 1)]


@pytest.mark.parametrize(
    "chain, method, answer",
    [
        ("so \\boxed{42}.", "boxed", "42"),
        ("Janet makes $18.\n#### 18", "hash", "18"),
        ("The answer is 18 dollars.", "answer_is", "18"),
        ("A: 26", "answer_colon", "26"),
        ("So she has **12** apples.", "bold", "12"),
        ("So she has 12 apples left", "last_number", "12"),
    ],
)
def test_final_answer_methods(chain: str, method: str, answer: str) -> None:
    fa = verify_text(chain).final_answer
    assert fa is not None and (fa.method, fa.text) == (method, answer)


def test_the_fallback_answer_prefers_a_number_the_chain_computed() -> None:
    r = verify_text("14 + 20 = 34\nSo, she spends a total of 34 hours on practice in 4 weeks.", "34")
    assert r.final_answer is not None and (r.final_answer.text, r.final_answer.method) == ("34", "last_number")
    assert r.verdict is Verdict.VALID


@pytest.mark.parametrize(
    "answer, reference, same",
    [("1,000", "1000", True), ("\\frac{1}{2}", "0.5", True), ("$18.00", "18", True), ("x = 5", "5", True),
     ("17", "18", False), ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}", True), ("(1, 2)", "(1,2)", True),
     ("\\15", "15", True)],
)
def test_answer_equivalence(answer: str, reference: str, same: bool) -> None:
    from inspector.engine.answer import answers_match

    assert answers_match(answer, reference) is same


def test_results_are_picklable_for_worker_processes() -> None:
    r = verify_chain(ChainInput(chain_id="a", cot=DERIVATION, reference="73"))
    assert pickle.loads(pickle.dumps(r)) == r


def test_a_hostile_chain_is_only_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "pwned"
    r = verify_text(f"__import__('os').system('touch {target}') = 0\neval('1+1') = 2")
    assert not target.exists()
    assert r.errors == ()


def _cyclic_garbage_of(chains: list[ChainInput]) -> collections.Counter[str]:
    """What verifying ``chains`` left that only the garbage collector can free (objects in reference cycles), by type."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for chain in chains:
            verify_chain(chain)
        gc.collect()
        return collections.Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_verifying_a_chain_leaves_no_reference_cycles() -> None:
    """Everything a chain's verification makes is freed by reference counting as soon as it is done with. A cycle
    (a nested function and the frame it closes over, as the compiled engine keeps them; a derivation's first line as
    its own start) holds what it reaches until the next collection: that was a twentieth of a run's time."""
    samples = Path(__file__).resolve().parents[1] / "samples"
    chains = [ChainInput(r["id"], r["cot"], reference=r.get("reference"))
              for name in ("verdicts.jsonl", "cancelling_retelling.jsonl")
              for r in map(json.loads, (samples / name).read_text(encoding="utf-8").splitlines())]
    chains.append(ChainInput("paper", DERIVATION, reference="1119"))
    assert _cyclic_garbage_of(chains) == collections.Counter()


def test_real_chains_leave_no_reference_cycles() -> None:
    """The same over a slice of the Spurious Rewards chains (AIME/AMC/MATH-500), where ``../shared/data`` is present."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import real_sources  # (the benchmarks' loaders, on the path only for this test)

    if not real_sources.available():
        pytest.skip("../shared/data/model-outputs is not here")
    chains = [ChainInput(c.chain_id, c.text, reference=c.reference)
              for ckpt in ("base", "step1000") for c in itertools.islice(real_sources.spurious_rewards(ckpt), 0, None, 11)]
    assert len(chains) > 250
    assert _cyclic_garbage_of(chains) == collections.Counter()


def test_verify_chain_resumes_the_garbage_collector_as_it_found_it() -> None:
    """The collector is paused while a chain is verified, and resumed only where it was running: after a result,
    after an error, and never switched on for a program that keeps it off."""
    assert gc.isenabled()
    verify_chain(ChainInput("a", "2 + 2 = 5"))
    assert gc.isenabled()
    with pytest.raises((TypeError, AttributeError)):
        verify_chain(ChainInput("b", None))  # type: ignore[arg-type]
    assert gc.isenabled()
    gc.disable()
    try:
        assert verify_chain(ChainInput("c", "2 + 2 = 5")).errors
        assert not gc.isenabled()
    finally:
        gc.enable()
