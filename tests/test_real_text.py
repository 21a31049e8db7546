"""Lines real models wrote, each read as a reader with a calculator reads it (``SLIP_POLICY.md``).

Every line here was quoted from a real generation (Abel, ToRA, zero-shot CoT, Qwen2.5-Math, the Spurious
Rewards checkpoints) in the issue "Real model text: flags a reader agrees with". A row says what the
reader expects: no error, or the one slip (stated, true value).
"""

from __future__ import annotations

import pytest

from inspector import ClaimStatus, Severity, Verdict, verify_text


def errors(text: str) -> list[tuple[str | None, str | None]]:
    return [(f.stated, f.actual) for f in verify_text(text).errors]


def checked(text: str) -> list[tuple[str, str]]:
    """Every checked claim: (stated, status)."""
    return [(c.stated, c.status.value) for s in verify_text(text).steps for c in s.claims
            if c.status is not ClaimStatus.UNVERIFIABLE]


# --- rounded operands and float noise: right within the precision the writer used ------------------
@pytest.mark.parametrize(
    "line",
    [
        "750 * 1/3 = 750 * 0.3333 = 250",
        "6000$ * 0.33 = 2000$",
        "$1666.67 * 1.2 = $2000",
        "19.833333333333332 + 9.166666666666666 = 29",
        "n = 74/3\nn = 24.67",
        "So 1.414 * 1.414 = 2",
        "66 * 0.3333 = 22 pages",
        "75 * 0.67 = 50",
    ],
)
def test_rounded_operands_are_not_slips(line: str) -> None:
    assert errors(line) == []


def test_a_rounded_operand_says_what_it_was_read_as() -> None:
    claim = verify_text("6000 * 0.33 = 2000").steps[0].claims[0]
    assert claim.status is ClaimStatus.CORRECT
    assert claim.actual == "2000" and "0.33 as 1/3" in (claim.reason or "")


@pytest.mark.parametrize(
    "line, slip",
    [
        # exact operands with a wrong result stay wrong: no tolerance for 1-2 digit decimals
        ("2.5 * 1.2 = 3.1", ("3.1", "3")),
        # integers are exact: no calculator-noise tolerance on a 13-digit integer
        ("1111112111111 = 3 × 370370703707", ("1111112111111", "1111112111121")),
        # an approximation must be sensible for its digits
        ("20√7 ≈ 53.07", ("53.07", "≈52.91502622")),
    ],
)
def test_precision_never_hides_a_slip(line: str, slip: tuple[str, str]) -> None:
    assert errors(line) == [slip]


# --- words are not operands or symbols ------------------------------------------------------------
@pytest.mark.parametrize(
    "line, slip",
    [
        ("So there is a 7-2=25 year gap", ("25", "5")),
        ("Carl will receive a $10 - $6 = $5 change", ("5", "4")),
        ("So, that's 2 * 6 = 120 tickets", ("120", "12")),
        ("he got 30*30=903 M&Ms", ("903", "900")),
        ("she fell back to 1 - 5 = 6th place", ("6th", "-4")),
        ("1/12 + 2/3 = 5/6 of a mile", ("5/6", "0.75")),
        ("**Cars remaining:** 30 - 5 = 24", ("24", "25")),
        ("So 40 / 8 is 6 boxes.", ("6", "5")),
    ],
)
def test_prose_around_a_slip_does_not_hide_it(line: str, slip: tuple[str, str]) -> None:
    assert errors(line) == [slip]


@pytest.mark.parametrize(
    "line",
    [
        "40 + over 40 = 80",
        "30% off of $80 = $24",
        "30% off $80 = $56",
        "x = 360 inches / 30 inches/day = 12 days",
        "(The total after Round 1) × 1/100 = 5",
        "Tracy can do 1-handed cartwheels at 2*4=8 miles per hour",
        "Lazlo = 4 pounds - 6 ounces = 58 ounces",
        "1/2 a cup = 4 ounces",
        "100 stickers / 3 friends = 33 stickers for each friend, with 1 remaining.",
        "410 \\div 333 = 1 with a remainder of 77",
    ],
)
def test_prose_is_not_read_as_a_slip(line: str) -> None:
    assert errors(line) == []


def test_words_around_a_computation_are_read_past() -> None:
    assert checked("x = 360 inches / 30 inches/day = 12 days") == [("12", "correct")]
    assert checked("(30 minutes + 20 minutes) / 2 = 25 minutes") == [("25", "correct")]


# --- rewrites only where the text rewrites --------------------------------------------------------
@pytest.mark.parametrize(
    "chain",
    [
        "n = 3k + 1\nn = 3k + 2",
        "Case 1: 5x-1=x+3\nx = 1\nCase 2: 5x-1=-(x+3)\nx = -1/3",
        "x+6x+2=7x+2\n7x+2=42\nx = 40/7",
        "2 + 8 = 4, which is false",
        "So x = 2 + 8 = 4 (False)",
        "This gives 3 = 6, which is not true.",
        "Plugging in 1 we get 1 = \\sqrt{9} + 4, so x = 1 is extraneous.",
        "1. \\(\\frac{20 + X}{6} = 1\\)\n2. \\(\\frac{20 + X}{6} = 7\\)\n3. \\(\\frac{20 + X}{6} = X\\)",
        "Since both sides are equal, \\(r = 4\\) is a solution.\nNow we substitute \\(r = \\frac{7}{2}\\) into it.",
        "We know that x = 7n + 5 for some integer n\nSo 7n + 5 = 143p + 10",
    ],
)
def test_not_a_rewrite(chain: str) -> None:
    assert errors(chain) == []


def test_an_identity_the_next_line_builds_on_must_hold() -> None:
    chain = "the total is 1x + 12 + 15 = 3x + 27.\nWe set up the equation 3x + 27 = 30."
    assert errors(chain) == [("3x + 27", "x + 27")]


def test_letters_that_cancel_leave_a_false_equation() -> None:
    assert errors("(53 - 26)^2 + k^2 = 26^2 + k^2") == [("26^2 + k^2", "k^2 + 729")]
    assert errors("\\frac{\\frac{1}{137} + 2i}{\\frac{1}{137}} = 1 + 268i") == [("1 + 268i", "274*i + 1")]


def test_a_percentage_is_rounded_to_its_own_digits() -> None:
    assert errors("The share is (2/3) × 100 = 66.67%.") == []
    assert errors("The share is (2/3) × 100 = 67.67%.") == [("67.67%", "200/3")]


def test_a_false_equation_restated_in_other_forms_is_one_slip() -> None:
    chain = ("\\[\n1 = \\sqrt{2} \\cdot \\sqrt[3]{2} \\cdot \\sqrt[4]{2}\n\\]\n"
             "\\[\n1 = 2^{\\frac{1}{2}} \\cdot 2^{\\frac{1}{3}} \\cdot 2^{\\frac{1}{4}}\n\\]\n"
             "\\[\n1 = 2^{\\frac{6}{12} + \\frac{4}{12} + \\frac{3}{12}} = 2^{\\frac{13}{12}}\n\\]\n"
             "This implies:\n\\[\n2^0 = 2^{\\frac{13}{12}}\n\\]")
    r = verify_text(chain)
    assert [(f.stated, f.actual) for f in r.errors] == [("1", "≈2.118926189")]
    assert sum(f.rule == "contradiction" for f in r.findings) == 2


def test_letters_cancelled_from_a_line_above_leave_no_new_slip() -> None:
    r = verify_text("\\[\ny = (y \\cdot 2^{-1/12}) \\cdot 2^{-1/3} = y \\cdot 2^{-5/12}\n\\]\n\\[\n1 = 2^{-5/12}\n\\]")
    assert r.errors == ()
    assert [f.rule for f in r.findings] == ["contradiction"]
    # one side keeps its letters: nothing cancelled, and "0 = 200" is the slip (true 0 = 20x − 200)
    assert errors("we get: $5x - $5x = $25x - $200 - $5x.\nSimplifying both sides, we get: $0 = $200.") != []


def test_the_same_false_computation_written_again_is_still_a_slip() -> None:
    assert len(errors("So 31 - 22 - 15 - 9 = -5.\nAgain, 31 - 22 - 15 - 9 = -5.")) == 2


def test_a_trial_affirmed_later_is_the_slip() -> None:
    chain = ("Plugging in $1$ we get $1=\\sqrt{11-2(1)}+4$ which simplifies to $1=\\sqrt{9}+4$.\n"
             "This simplification confirms that $1=7$, which proves $1$ is certainly a solution.")
    assert errors(chain) == [("7", "1")]


def test_a_subscript_typed_plainly_is_a_name_and_a_denominator_is_pinned() -> None:
    r = verify_text("a8 = $\\frac{125}{9} \\times \\frac{1}{78125}$\n\na8 = $\\frac{1}{585}$\n\n"
                    "So the answer is $\\frac{1}{585}$.")
    assert [(f.stated, f.actual) for f in r.errors] == [("585", "5625")]
    assert r.repaired_answer == "1/5625"


def test_an_equation_of_a_system_expanded_later_restates_itself_not_the_line_above() -> None:
    chain = ("\\[\n\\begin{cases}\n(x - 4)^2 + y^2 = 16 \\\\\nx^2 + (y - 10)^2 = 100\n\\end{cases}\n\\]\n"
             "Let's expand and simplify the equations:\n\\[\n(x - 4)^2 + y^2 = 16 \\implies x^2 - 8x + 16 + y^2 = 16 "
             "\\implies x^2 + y^2 - 8x = 0\n\\]")
    assert errors(chain) == []


def test_a_derivation_written_out_again_is_checked_again() -> None:
    block = "\\[ s = (13/12)^2 - 2(11/4) \\]\n\\[ s = 169/144 - 22/2 \\]\n"
    chain = block + "This is incorrect, so let's solve it properly.\n\\[ s = (a+b+c)^2 - 2(ab+bc+ca) \\]\n" + block
    assert errors(chain) == [("22", "11"), ("22", "11")]


def test_an_equation_the_text_sets_up_is_reasoning_not_arithmetic() -> None:
    r = verify_text("7. By step 6, we can set up the equation 4V + 339 = 4V - 8 + 339 to represent the sum.")
    assert r.errors == () and [f.rule for f in r.findings] == ["contradiction"]
    assert errors("So (53 - 26)^2 + k^2 = 26^2 + k^2") == [("26^2 + k^2", "k^2 + 729")]  # no set-up: the slip


def test_a_proportion_set_up_above_a_display_and_restated_is_reasoning_not_arithmetic() -> None:
    """The prose that sets the equation up is on the line above its display (a Spurious Rewards AIME chain); the
    same false equation written again to be solved is no slip either. The wrong step after it still is one."""
    chain = (
        "The sides 150, 210 and 280 are proportional to 3t, 5t and 7t, so we can set up the following proportion:\n"
        "\\[\n\\frac{150}{3t} = \\frac{210}{5t}\n\\]\n"
        "Let's solve it:\n\\[\n\\frac{150}{3t} = \\frac{210}{5t}\n\\]\n"
    )
    r = verify_text(chain)
    assert r.errors == ()
    states = " (states \\frac{210}{5t})"
    assert [f.message for f in r.findings if f.rule == "contradiction"] == [
        "an equation the text sets up that holds for no value of its letters: a reasoning error, not arithmetic" + states,
        "the equation the text set up above, written again: a reasoning error, not arithmetic" + states,
    ]
    # without the words that set it up, the same display is flagged
    assert verify_text(chain.replace("so we can set up the following proportion", "hence")).errors != ()


# --- notation: one habit, one finding ---------------------------------------------------------------
def test_reversed_division_is_one_notation_finding() -> None:
    chain = "\n".join(f"\\[ {k} \\div 50 \\approx {50 / k:.2f} \\]" for k in range(1, 8))
    r = verify_text(chain, reference="7")
    assert r.errors == ()
    notation = [f for f in r.findings if f.rule == "notation"]
    assert len(notation) == 1 and notation[0].severity is Severity.WARNING
    assert "7 claims" in notation[0].message


def test_a_single_reversed_claim_is_still_a_slip() -> None:
    assert errors("She moved back 5 - 8 = 3 places.") == [("3", "-3")]


# --- code is not prose ------------------------------------------------------------------------------
def test_code_blocks_are_not_read_and_are_said() -> None:
    chain = "We compute:\n```python\nx = 2 * 3  # 2 * 3 = 7\n```\n```output\n6\n```\nSo 2 * 3 = 6."
    r = verify_text(chain)
    assert r.errors == ()
    code = [f.message for f in r.findings if f.rule == "code"]
    assert len(code) == 2 and "output" in code[1]


# --- repair through derivations ---------------------------------------------------------------------
def test_a_slip_inside_a_derivation_is_repaired_by_every_later_line() -> None:
    r = verify_text("5x + 3 = 40\n5x = 27\nx = 27/5", reference="37/5")
    assert [(f.stated, f.actual) for f in r.errors] == [("27", "37")]
    assert r.repaired_answer == "7.4"  # 37/5
    assert r.verdict is Verdict.ARITHMETIC_SLIP


def test_a_false_middle_link_does_not_reach_the_answer() -> None:
    r = verify_text("They ate 2 * 12 * 3/4 = 24/4 = 18 slices.\nThe answer is 18.", reference="18")
    assert r.verdict is Verdict.CANCELING_ERRORS


# --- letters, equations set up then rewritten, systems, rounded solutions ----------------------------
def test_letters_glued_to_a_number_are_a_product_of_letters() -> None:
    assert errors("Expanding, \\[ (b + c)^2 = b^2 + 2bc + c^2 \\]") == []
    assert errors("Expanding, \\[ (b + c)^2 = b^2 + 3bc + c^2 \\]") == [("b^2 + 3bc + c^2", "2*b*c + b^2 + c^2")]


def test_a_unit_glued_to_a_number_stays_a_unit() -> None:
    assert errors("The trip is 5km long, so 5km + 3 = 8 km.") == []
    assert errors("The trip is 5km long, so 5km + 3 = 9 km.") == [("9", "8")]


def test_an_equation_set_up_and_then_rewritten_is_not_an_identity() -> None:
    # every later link holds: the first is the equation the chain goes on to solve
    assert errors("\\[ n\\mu + 11 = (n+1)(\\mu+1) = n\\mu + \\mu + n + 1 \\]") == []
    assert errors("\\[ 2^{2^k} = 2^{27} \\cdot 2^k = 2^{27+k} \\]") == []
    # an expansion written wrong is still the slip, and so is a chain whose later links fail too
    assert errors("\\[ (x+1)^2 = x^2 + x + 1 = x + 5 \\]")[0] == ("x^2 + x + 1", "2*x + x^2 + 1")
    assert len(errors("\\[ (n+1)(m+1) = nm + m + n + 2 = 2nm + 1 \\]")) == 2


def test_solving_for_the_letter_on_the_right_is_an_equation() -> None:
    assert errors("\\[ y - 2y = x \\]\n\\[ x = -y \\]") == []


def test_a_line_that_rewrites_an_earlier_equation_of_a_system_is_not_read_against_the_line_above() -> None:
    system = "\\[ x^2 + y^2 = 25 \\]\n\\[ x^2 - 8x + y^2 = 9 \\]\nRewriting the first equation:\n"
    assert errors(system + "\\[ 2x^2 + 2y^2 = 50 \\]") == []


@pytest.mark.parametrize("solved", ["\\[ x = \\frac{214}{36} \\]", "\\[ 18x = 107 \\]"])
def test_a_solution_rounded_to_the_digits_written_is_a_restatement(solved: str) -> None:
    assert errors(solved + "\n\\[ x = 5.94 \\]") == []
    assert errors(solved + "\n\\[ x = 5.97 \\]") == [("5.97", "107/18")]


def test_the_next_case_of_an_enumeration_is_not_a_rewrite_of_the_last() -> None:
    cases = ("\\[ n + 2 = 1 \\implies n = -1 \\text{ (not a positive integer)}. \\]\n"
             "\\[ n + 2 = 3 \\implies n = 1. \\]\n\\[ n + 2 = 13 \\implies n = 11. \\]")
    assert errors(cases) == []
    assert errors(cases.replace("n = 11", "n = 12")) == [("12", "11")]


def test_a_case_whose_consequences_the_next_line_calls_a_contradiction_is_rejected() -> None:
    case = ("If \\(b = 0\\), then the first equation becomes:\n\\[\na^2 = a^2 - 0 + 40 \\implies a^2 = a^2 + 40 "
            "\\implies 0 = 40\n\\]\n\n")
    assert errors(case + "This is a contradiction, so \\(b \\neq 0\\).") == []
    assert errors(case + "So we get 40.") == [("a^2 - 0 + 40", "a^2")]


def test_an_equation_in_letters_the_text_calls_impossible_is_rejected() -> None:
    # sr/step400/AMC/68#3: "a^2 = a^2 + 40, which is not possible" rejects an equation that holds for no a;
    # for a number, "not possible" still says only that the value cannot be a count
    line = "the equation simplifies to \\( a^2 = a^2 + 40 \\), which is not possible unless we re-evaluate."
    assert errors(line) == []
    assert errors(line.replace("which is not possible", "so")) == [("a^2 + 40", "a^2")]
    assert errors("So 31 - 44 - 9 = -12, which is not possible.") == [("-12", "-22")]


def test_an_equation_the_text_rejected_is_no_slip_when_written_again() -> None:
    chain = ("So \\( a^2 = a^2 + 40 \\), which is not possible.\n"
             "Thus, we have \\( a^2 = a^2 + 40 \\), which suggests we need to recheck the interpretation.")
    assert errors(chain) == []
    assert errors(chain.split("\n")[1]) == [("a^2 + 40", "a^2")]  # never rejected: still the slip


# --- lists of equations and their solutions; trials rejected below; new list items ------------------
@pytest.mark.parametrize(
    ("chain", "slip"),
    [
        # sr/step50/MATH-500/319#0: the two equations, then their two solutions, in order
        ("\\[ x-4 = 12 \\]\n\\[ x-4 = -12 \\]\nSolving these equations, we get:\n\\[ x = 16 \\]\n\\[ x = -8 \\]",
         ("x = 16", "x = 15", "16")),
        # sr/step50/AIME-2025/0#6: joined by "or" on one line
        ("So \\(b + 7 = 28\\) or \\(b + 7 = 56\\), which gives us \\(b = 21\\) or \\(b = 49\\).",
         ("b = 21", "b = 22", "21")),
        # sr/base/AMC/26#4
        ("Setting each factor equal to 0:\n$x+5=0$ or $x-3=0$\nSolving for $x$:\n$x=-5$ or $x=3$", None),
        # in the other order: each solution is a right rewrite of one of the listed equations
        ("\\[ x-4 = 12 \\]\n\\[ x-4 = -12 \\]\nSolving these equations, we get:\n\\[ x = -8 \\]\n\\[ x = 16 \\]", None),
    ],
)
def test_solutions_of_a_list_of_equations_are_paired_with_theirs(
        chain: str, slip: tuple[str, str, str] | None) -> None:
    assert errors(chain) == []
    if slip is not None:  # the same solution miscomputed: still the slip, pinned against its own equation
        right, wrong, true = slip
        assert errors(chain.replace(right, wrong, 1)) == [(wrong.split()[-1], true)]


def test_a_solution_that_rewrites_none_of_the_listed_equations_is_still_a_slip() -> None:
    listed = "\\[ x-4 = 12 \\]\n\\[ x-4 = -12 \\]\nSolving these equations, we get:\n"
    assert errors(listed + "\\[ x = 15 \\]\n\\[ x = -8 \\]") == [("15", "16")]
    assert errors("\\[ 2x + 3 = 7 \\]\n\\[ 2x = 5 \\]") == [("5", "4")]  # a rewrite, no list: as before


TRIAL = ("- For \\( x = 1 \\):\n\\[\n 1 = \\sqrt{11 - 2(1)} + 4\n \\]\n\\[\n 1 = \\sqrt{9} + 4\n \\]\n"
         "\\[\n 1 = 3 + 4\n \\]\n")


@pytest.mark.parametrize(
    "verdict",
    ["\\[\n 1 \\neq 7\n \\]\nSo x = 1 is not a solution.", "\\[ 1 \\neq 7 \\]", "So x = 1 is not a solution.",
     "\\[ 1 = 7 \\]\nThis is false, so x = 1 is extraneous."],
)
def test_a_substitution_the_text_rejects_lines_below_is_a_test(verdict: str) -> None:
    # sr/base/MATH-500/23#0: the trial is restated line by line, then rejected
    result = verify_text(TRIAL + verdict)
    assert result.errors == ()
    assert {f.rule for f in result.findings} == {"contradiction"}


@pytest.mark.parametrize(("verdict", "slip"), [
    ("So x = 1 is a solution.", ("1", "7")),
    # restated down to "1 = 7" and declared true: the slip is the line declared true
    ("\\[ 1 = 7 \\]\nThis confirms that x = 1 works.", ("7", "1")),
    ("\\[ 6 \\neq 12 \\]", ("1", "7")),  # (a "≠" between other values rejects nothing)
])
def test_a_substitution_the_text_affirms_is_still_a_slip(verdict: str, slip: tuple[str, str]) -> None:
    assert errors(TRIAL + verdict) == [slip]


def test_a_rejected_equation_set_up_again_is_no_new_slip() -> None:
    # sr/step50/AMC/12#3: "This equation is not correct", then the same equation set up again further on
    first = "\\[ 1^2 + 3^2 = 2^2 + 4^2 \\]\n\\[ 10 = 20 \\]\nThis equation is not correct.\n\nAgain:\n"
    assert errors(first + "\\[ 1^2 + 3^2 = 2^2 + 4^2 \\]\nWe move on.") == []
    assert errors(first + "\\[ 1^2 + 3^2 = 2^2 + 4^2 \\]\nThis confirms the theorem.") == [("2^2 + 4^2", "10")]


def test_a_false_result_before_a_rejected_trial_value_is_still_a_slip() -> None:
    # sr/step1000/AIME-2025/27#2: "So L ≠ 3/4" rejects the trial value, not the wrong sum above it
    chain = ("By trying \\( L = \\frac{3}{4} \\), we see that\n\\[ \\frac{81 - 36 + 48 - 64}{64} = \\frac{3}{64} \\]\n"
             "So \\( L \\neq \\frac{3}{4} \\).")
    assert errors(chain) == [("\\frac{3}{64}", "0.453125")]


def test_consequences_that_end_in_the_text_rejecting_them_are_no_slip() -> None:
    # sr/step400/MATH-500/108#0: the verdict is the last consequence, on the same display line
    line = ("\\[ \\sqrt{\\frac{k-1}{k}} + 1 = \\sqrt{\\frac{k-1}{k}} \\implies 1 = \\sqrt{\\frac{k-1}{k}} \\implies "
            "\\frac{k-1}{k} = 1 \\implies k = k-1 \\implies \\text{This is not possible, so we need to re-evaluate.} \\]")
    assert errors(line) == []
    assert len(errors(line.replace("This is not possible, so we need to re-evaluate.", "So we go on."))) == 1


def test_a_new_list_item_that_parallels_the_last_one_is_a_new_equation() -> None:
    # sr/step400/MATH-500/473#0: item 8 sums the other diagonal; it rewrites nothing of item 7
    chain = ("7. The sum of the main diagonal is \\( (n-3) + (2n-9) + (n-1) = S \\):\n\\[\n (n-3) + (2n-9) + (n-1) = S "
             "\\implies 4n - 13 = S\n \\]\n8. The sum of the other diagonal is \\( (n+1) + (2n-9) + (n-3) = S \\):\n"
             "\\[\n (n+1) + (2n-9) + (n-3) = S \\implies 4n - 11 = S\n \\]")
    assert errors(chain) == []
    assert errors(chain.replace("4n - 11", "4n - 12")) == [("12", "11")]  # the item's own rewrite: checked
    assert errors(chain.replace("4n - 13", "4n - 14")) == [("14", "13")]


def test_the_values_something_can_be_start_new_equations() -> None:
    # sr/step400/AIME-2025/16#7: "n = -2" in the prose is a value set aside, not the line "n + 2 = 3" rewrites
    chain = ("\\[ 39 \\equiv 0 \\pmod{n + 2} \\]\n\nThis means that \\( n + 2 \\) must be a divisor of 39. Since \\( n \\) "
             "is positive, \\( n + 2 \\) must be greater than 2 (because \\( n = -2 \\) is not a positive integer). So, "
             "\\( n + 2 \\) can be 3, 13, or 39. This gives us:\n\\[ n + 2 = 3 \\implies n = 1 \\]\n"
             "\\[ n + 2 = 13 \\implies n = 11 \\]\n\\[ n + 2 = 39 \\implies n = 37 \\]")
    assert errors(chain) == []
    assert errors(chain.replace("n = 37", "n = 36")) == [("36", "37")]


@pytest.mark.parametrize("text", [
    # Vieta's formula, then the value it gives (Spurious Rewards base, AMC 67): a relation, no identity
    "From Vieta's formulas, we know that \\(r_1r_2r_3 = -\\frac{a}{8}\\). Therefore, we have:\n\\[ -\\frac{a}{8} = 32 \\]",
    # a circle's standard form, then its radius (MATH-500 61)
    "The standard form is \\((x - 5)^2 + (y + 3)^2 = r^2\\), so\n\\( r^2 = 34 - c \\)",
])
def test_a_relation_between_other_letters_built_on_is_no_identity(text: str) -> None:
    assert errors(text) == []  # the identity in one set of letters stays checked: the test above


def test_lists_solved_list_by_list_pair_in_order() -> None:
    """The i-th equation of a list pairs with the i-th of the list before it, across the prose between
    (Spurious Rewards base, MATH-500 319: the solutions were paired with the wrong equation twice)."""
    chain = ("2. This absolute value equation results in two separate linear equations:\n\\[ x-4 = 12 \\]\n"
             "\\[ x-4 = -12 \\]\n\n3. Solve each equation for \\( x \\):\n\\[ x = 12 + 4 \\]\n\\[ x = -12 + 4 \\]\n\n"
             "4. Calculate the values of \\( x \\):\n\\[ x = 16 \\]\n\\[ x = -8 \\]\n")
    assert errors(chain) == []
    assert errors(chain.replace("x = 16", "x = 15")) == [("15", "16")]


def test_factorials_side_by_side_multiply_as_multinomials_are_written() -> None:
    """``\\frac{9!}{4!3!2!}`` was unverifiable ("unbalanced brackets"); read as 9!/(4!·3!·2!), the real
    slips in Qwen2.5-Math's multinomials are found (Spurious Rewards step 400, AIME-2025 2)."""
    assert errors("\\(\\frac{9!}{4!3!2!} = 1260\\)") == []
    assert errors("\\(\\frac{9!}{7!1!1!} = \\frac{9 \\times 8}{2} = 36\\)") == [("\\frac{9 \\times 8}{2}", "72")]


def test_a_double_factorial_is_one() -> None:
    """``11!! = 11·9·7·5·3·1`` counts pairings (Spurious Rewards, AIME-2025 6): not (11!)!, which was too
    large to check, and ``3!! = 3`` was flagged."""
    assert errors("This is $11!! = 11 \\times 9 \\times 7 \\times 5 \\times 3 \\times 1 = 10395$.") == []
    assert errors("$3!! = 3$") == []
    assert errors("$5!! = 16$") == [("16", "15")]
    assert errors("$(3!)! = 720$") == []


def test_letters_written_together_in_braces_are_a_product() -> None:
    # sr/base/AMC/72#7: "abc" under a fraction bar is a·b·c (a, b and c stand alone in the same line), so the
    # chain is read whole and its false expansion is flagged
    text = (r"Therefore, $\frac{(a+b)(b+c)(c+a)}{abc} = \frac{a^2 + b^2 + c^2 + ab + bc + ac}{abc}"
            r" = 2 + \frac{ab + bc + ac}{abc}$.")
    assert [s for s, _ in errors(text)] == [r"\frac{a^2 + b^2 + c^2 + ab + bc + ac}{abc}",
                                            r"2 + \frac{ab + bc + ac}{abc}"]
    # a segment's name keeps its letters when they never stand alone: BP^2 is one quantity squared
    assert [s for s, _ in errors(r"\[ 9 + BP^2 = 4 + BP^2 \]")] == ["4 + BP^2"]


@pytest.mark.parametrize(
    "text",
    [
        # sr/base/AMC/37#7: a + b = 3 substituted into a chain of rewritings
        "We use the fact that \\(a + b = 3\\).\n\\[\n\\frac{1}{a} + \\frac{1}{b} = \\frac{a + b}{ab} = \\frac{3}{ab}\n\\]",
        # sr/step400/AMC/5#3: b = 1 - a substituted
        "Since \\(a + b = 1\\), we can express \\(2b\\) as \\(2 - 2a\\):\n\\[\na^3 + (2b)^3 = (a + 2b)(a^2 - 2ab + 4b^2)"
        " = (a + 2 - 2a)(a^2 - 2ab + 4b^2) = (2 - a)(a^2 - 2ab + 4b^2)\n\\]",
    ],
)
def test_a_link_that_substitutes_an_equation_stated_above_is_no_slip(text: str) -> None:
    assert errors(text) == []


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        # sr/step400/MATH-500/317#0: "at x = b" does not excuse a wrong expansion
        ("At \\(x = b\\) the value is 1.\n\\[ (x - b)(x - c)(b - c) = (x - b)(x - c)b - (x - b)(x - c)c"
        " = bx^2 - bcx - bx^2 + bcx - c^2x + c^2b = bx^2 - c^2x + bc(b - c) \\]",
         "bx^2 - bcx - bx^2 + bcx - c^2x + c^2b"),
        # sr/step50/AIME-2024/18#5: "x = c·x" is solved by x = 0, which proves nothing
        ("\\[ x = \\sqrt{2} \\cdot 2^{-\\frac{1}{4}} \\cdot x \\cdot 2^{-\\frac{5}{12}} = \\sqrt{2} \\cdot "
        "2^{-\\frac{1}{4} - \\frac{5}{12}} \\cdot x = \\sqrt{2} \\cdot 2^{-\\frac{7}{12}} \\cdot x \\]",
         "\\sqrt{2} \\cdot 2^{-\\frac{7}{12}} \\cdot x"),
    ],
)
def test_a_case_or_a_zero_root_does_not_excuse_a_false_rewriting(text: str, stated: str) -> None:
    assert errors(text)[0][0] == stated


def test_a_product_with_a_negative_exponent_whose_letters_cancel_is_a_slip() -> None:
    # sr/base/AIME-2024/18#2: 2^{-5/12} · 2^{1/2} is 2^{1/12}, whatever y is
    assert [s for s, _ in errors(r"\[ x = y \cdot 2^{-5/12} \cdot 2^{1/2} = y \cdot 2^{-1/12} \]")] == [
        r"y \cdot 2^{-1/12}"]


def test_a_test_declared_true_is_the_slip_where_it_is_declared() -> None:
    # sr/step1000/AIME-2025/13#3: the law of cosines tried with 60°, restated down to 676 = 436, then "true"
    text = ("\\[\n26^2 = 14^2 + 24^2 - 2 \\cdot 14 \\cdot 24 \\cdot \\frac{1}{2}\n\\]\n\n\\[\n676 = 196 + 576 - 336\n\\]"
            "\n\n\\[\n676 = 436\n\\]\n\nThis equation is true, so we proceed to find \\(AC\\).")
    result = verify_text(text)
    assert [(f.stated, f.actual) for f in result.errors] == [("436", "676")]
    notes = [f.message for f in result.findings if f.rule == "contradiction"]
    assert notes[0].startswith("a test the text sets up")
    # not declared true: the first line stays the slip
    assert [f.stated for f in verify_text(text.rsplit("\n\n", 1)[0]).errors] == [
        "14^2 + 24^2 - 2 \\cdot 14 \\cdot 24 \\cdot \\frac{1}{2}"]


GEOMETRIC_MEAN = (  # sr/base/AMC/49#1, lines 47-67: a name's surd value simplified line by line
    "$GM = \\sqrt[5]{-25920000}$\n\nWe can simplify this by factoring out the perfect powers:\n\n"
    "$GM = \\sqrt[5]{-1 \\cdot 3^6 \\cdot 2^6 \\cdot 5^2}$\n\n"
    "$GM = -1 \\cdot 2^{6/5} \\cdot 3^{6/5} \\cdot 5^{2/5}$\n\n$GM = -2 \\cdot 3 \\cdot 5^{2/5}$\n\n"
    "$GM = -6 \\cdot 5^{2/5}$\n\n$GM = -6 \\sqrt[5]{25}$\n"
)


def test_a_name_whose_irrational_value_is_rewritten_to_another_value_is_a_slip() -> None:
    assert [s for s, _ in errors(GEOMETRIC_MEAN)] == [
        "\\sqrt[5]{-1 \\cdot 3^6 \\cdot 2^6 \\cdot 5^2}", "-2 \\cdot 3 \\cdot 5^{2/5}"]


@pytest.mark.parametrize(
    "text",
    [
        # the other root, written on the next line
        "\\[k = \\frac{\\sqrt{237 + 114\\sqrt{3}}}{5}\\]\n\\[k = -\\frac{\\sqrt{237 + 114\\sqrt{3}}}{5}\\]",
        "\\[ x = 2 + \\sqrt{3} \\]\n\\[ x = 2 - \\sqrt{3} \\]",
        # a new case: the line lists values of the name
        "\\[ y = \\sqrt{\\frac{0}{34}} = 0 \\quad \\text{or} \\quad y = -\\sqrt{\\frac{0}{34}} = 0 \\]\n"
        "\\[ y = \\sqrt{\\frac{1}{34}} = \\frac{\\sqrt{34}}{34} \\quad \\text{or} \\quad y = -\\sqrt{\\frac{1}{34}} \\]",
        # a value with nothing left to simplify, then the next candidate
        "\\[\nc_i = 2\\sqrt{2}\n\\]\nSince $c_i$ must be an integer, the next value gives us:\n\\[\nc_i = 4\\sqrt{2}\n\\]",
        # a trial between the two lines
        "\\[ C = 2\\pi \\times 9 = 18\\pi \\]\nIf we try a radius of 10 meters:\n\\[ C = 2\\pi \\times 10 = 20\\pi \\]",
        # a line cut off
        "\\[m = 1000 \\cdot (\\sqrt[3]{100} + 1)^2\\]\n\\[m = 1000 \\",
    ],
)
def test_a_name_given_another_value_that_is_no_rewrite_is_no_slip(text: str) -> None:
    assert errors(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # sr/base/AMC/64#0: the mean's equation "simplified" to one that loses its solutions
        "$$x + 1 = \\frac{(n \\cdot x + 11)}{n + 1}$$\n\nSimplifying this equation, we get:\n\n"
        "$$x + 1 = x + \\frac{11}{n + 1}$$",
        # sr/step1000/AIME-2025/27#2: multiplied through by 3L, but 1/L was not
        "\\[ L = \\frac{1}{3} \\left( L + \\frac{1}{L} - 1 \\right). \\]\nMultiplying through by 3L, we get\n"
        "\\[ 3L^2 = L + \\frac{1}{L} - 1. \\]",
    ],
)
def test_a_rewrite_of_an_equation_with_a_letter_below_the_line_must_keep_its_solutions(text: str) -> None:
    assert [f.rule for f in verify_text(text).errors] == ["rewrite"]


@pytest.mark.parametrize(
    "text",
    [
        "\\[ L = \\frac{1}{3} \\left( L + \\frac{1}{L} - 1 \\right). \\]\nMultiplying through by 3L, we get\n"
        "\\[ 3L^2 = L^2 + 1 - L. \\]",
        # sr/base/AMC/56#7: dividing both sides by the product keeps the solutions
        "\\[(4a-12)(4b-12) = 324.\\]\nTherefore, we can divide both sides of the equation by $(4a-12)(4b-12)$ to get\n"
        "\\[1 = \\frac{324}{(4a-12)(4b-12)}.\\]",
        # sr/base/MATH-500/108#0: an equation with no solution, simplified to one with none either
        "\\frac{1 - k}{k} = \\frac{1}{k}\n\nSimplifying, we get:\n\n1 - k = 1",
        # sr/step1000/AIME-2024/0#3: the text says which equation it rewrites, not the one right above
        "- From the first equation: $\\frac{9}{s} = 4 + \\frac{t}{60}$\n- From the second equation: "
        "$\\frac{9}{s+2} = \\frac{12}{5} + \\frac{t}{60}$\n- Rearrange the first equation to solve for $t$: "
        "$\\frac{9}{s} - 4 = \\frac{t}{60}$",
    ],
)
def test_a_rewrite_that_keeps_the_solutions_or_is_of_another_equation_is_no_slip(text: str) -> None:
    assert [f for f in verify_text(text).errors if f.rule == "rewrite"] == []


def test_a_root_then_a_number_is_a_product() -> None:
    # sr/base/AMC/49#1 line 77: "-6 \sqrt[5]{2} 3^{2/5}" is −6·⁵√2·3^{2/5}, so the rewrite is checked
    assert [s for s, _ in errors("$GM = -6 \\cdot 5^{2/5}$\n\n$GM = -6 \\sqrt[5]{2} 3^{2/5}$")] == [
        "-6 \\sqrt[5]{2} 3^{2/5}"]


@pytest.mark.parametrize(
    ("text", "slip"),
    [
        # qwen-cot/58#3: 60/43 ≈ 1.3953 is 1.40 to the nearest hundredth
        ("= \\frac{60}{43} \\text{ minutes} \\approx 1.3953 \\text{ minutes}\n\\]\nRounding to the nearest hundredth, "
         "the time it will take is:\n\\[\n\\boxed{1.39}\n\\] minutes.", ("1.39", "1.40")),
        ("Rounding 3.14159 to the nearest hundredth gives 3.15.", ("3.15", "3.14")),
    ],
)
def test_an_announced_rounding_must_round(text: str, slip: tuple[str, str]) -> None:
    assert errors(text) == [slip]


@pytest.mark.parametrize(
    "text",
    [
        "So 8.2 buses; rounding up to the nearest whole number, we need 9 buses.",
        "The price is 4.456 dollars. Rounding down to the nearest cent gives 4.45.",
        "It is about 3.475. Rounding to the nearest whole number gives 3.",
        "That is 300 for 22.5 hours. Rounded to the nearest whole number, the rate is 13 per hour.",
    ],
)
def test_an_announced_rounding_done_right_or_of_something_else_is_no_slip(text: str) -> None:
    assert errors(text) == []


SOLVED = ("Let $ G = (0, k) $. Then\n\\begin{align*}\nCE^2 &= (96 - 52)^2 + k^2 = 44^2 + k^2, \\\\\n"
          "CG^2 &= 52^2 + k^2 = 40^2, \\\\\nDG^2 &= 96^2 + k^2 = 30^2.\n\\end{align*}\n"
          "Solving for $ k $, we get $ k = \\pm 30 $.")


def test_a_letter_solved_as_plus_minus_a_value_must_solve_an_equation_above() -> None:
    # sr/base/AIME-2025/15#0: 52^2 + k^2 = 40^2 and 96^2 + k^2 = 30^2 give k^2 < 0; ±30 solves neither
    assert [s for s, _ in errors(SOLVED)] == ["30"]
    assert errors(SOLVED.replace("40^2", "\\sqrt{3604}^2")) == []  # 52² + 30² = 3604: solved


@pytest.mark.parametrize(
    "text",
    [
        "9 = (5 - a)^2\n\nTake the square root of both sides:\n\n5 - a = \\pm 3",  # the letter is inside
        "- When \\(x = 0\\), y is 0.\n- And so on, until \\(x = \\pm 20\\), \\(y\\) can only be \\(0\\).",
        "\\[ (y + 2xy)^2 = 16. \\]\nSubstituting \\( x = -\\frac{1}{2} \\) and \\( y = \\pm \\frac{\\sqrt{3}}{2} \\), "
        "we get:",
    ],
)
def test_a_plus_minus_value_that_is_not_a_solution_claimed_is_no_slip(text: str) -> None:
    assert errors(text) == []


def test_a_square_root_is_never_plus_minus() -> None:
    # prmbench/prm_test_p1_16: the principal root of 8/9 is 2√2/3
    text = ("If we plug in x = \\frac{1}{3}, we get \\cos (\\arcsin \\frac{1}{3}) = \\sqrt{1 - \\frac{1}{9}} = "
            "\\sqrt{\\frac{8}{9}} = \\pm \\frac{2\\sqrt{2}}{3}.")
    assert [s for s, _ in errors(text)] == ["±\\frac{2\\sqrt{2}}{3}"]
    assert errors("So x^2 = 8/9 and x = \\pm \\sqrt{\\frac{8}{9}} = \\pm \\frac{2\\sqrt{2}}{3}.") == []


@pytest.mark.parametrize(
    "line",
    [
        # abel-70b/1182: 54 lots of 100 books
        "Bob can buy 100 books for $500, so we divide: $27,000 / $500 = 27000 / 500 = 54 = 5400 books.",
        # abel-70b/989: 3 lots of 10 minutes
        "She can saute 30 shrimp in 10 minutes: 90 shrimp / 30 shrimp/10 minutes = 90 / 30 = 30 minutes.",
    ],
)
def test_a_result_counted_in_lots_the_line_gives_is_a_change_of_unit(line: str) -> None:
    assert errors(line) == []


def test_a_result_off_by_a_factor_the_line_does_not_give_is_a_slip() -> None:
    assert errors("Bob can buy 100 books for $500: $27,000 / $500 = 27000 / 500 = 54 = 540 books.") == [("540", "54")]


@pytest.mark.parametrize(
    "line",
    [
        # abel-70b/466 and abel-70b/695: "percent" written as a word is "%"
        "we multiply the total cost by 10 percent: 1000 cents * 10 percent = 1000 * 10/100 = 100 cents.",
        "we multiply the total number of deer by 50 percent: 50 deer * 50 percent = 50 * 0.50 = 25 bucks.",
    ],
)
def test_percent_written_as_a_word_is_a_percent(line: str) -> None:
    assert errors(line) == []


def test_a_point_or_a_pair_is_no_arithmetic_and_no_note() -> None:
    # sr/base/AIME-2025/15#0: coordinates set up, nothing to check, nothing to say
    result = verify_text("Let $ A = (0, 0) $, $ B = (26, 0) $, and $ G = (0, k) $. Then $ AB = 26 - 0 = 26 $.")
    assert [f.message for f in result.findings] == []
    assert checked("Let $ A = (0, 0) $. Then $ AB = 26 - 0 = 26 $.") == [("26", "correct")]


@pytest.mark.parametrize(
    ("text", "slips"),
    [
        # sr/base/AMC/32#3: 21.33/64 is 1/3 to the digits written, beside the same letters
        ("\\[ 2\\left(\\frac{1}{4} + \\frac{1}{64} + \\frac{1}{3} + \\frac{1}{r^2}\\right) = 2\\left(\\frac{16}{64} + "
         "\\frac{1}{64} + \\frac{21.33}{64} + \\frac{1}{r^2}\\right) \\]", 0),
        ("$2(0.33 + x) = \\frac{2}{3} + 2x$", 0),
        ("$2(0.5 + x) = \\frac{2}{3} + 2x$", 1),  # more than rounding can explain
    ],
)
def test_letters_that_cancel_leave_room_for_rounded_operands(text: str, slips: int) -> None:
    assert len(errors(text)) == slips


@pytest.mark.parametrize(
    ("line", "slips"),
    [
        # sr/step200/AIME-2025/18#6: the terms after \cdots are the product's last, not all of it
        (r"\[ \prod_{k=4}^{63} \frac{k-1}{k-2} = \frac{3}{2} \cdot \frac{4}{3} \cdot \frac{5}{4} \cdots "
         r"\frac{62}{61} \cdot \frac{63}{62} = \frac{63}{2} \]", []),
        (r"\[ \prod_{k=4}^{63} \frac{k+1}{k+2} = \frac{5}{6} \cdot \frac{6}{7} \cdot \frac{7}{8} \cdots "
         r"\frac{64}{65} = \frac{5}{65} = \frac{1}{13} \]", []),
        # sr/base/AIME-2025/18#2: what follows the elided product is still checked (192/396 is 16/33)
        (r"\[ \prod_{k=4}^{63} \frac{(k-1)(k+1)}{(k-2)(k+2)} = \frac{3 \cdot 5}{2 \cdot 6} \cdots "
         r"\frac{62 \cdot 64}{60 \cdot 66} = \frac{3 \cdot 64}{6 \cdot 66} = \frac{32}{33} \]",
         [(r"\frac{32}{33}", "16/33")]),
        # an elided sum has no whole left side either; an ellipsis in prose cuts nothing
        (r"1 + 2 + \cdots + 10 = 56", []),
        ("Let me see... 3 + 4 = 8", [("8", "7")]),
    ],
)
def test_terms_left_out_with_dots_leave_no_whole_side(line: str, slips: list[tuple[str, str]]) -> None:
    assert errors(line) == slips


# --- a quantity restated in brackets is an aside, not a factor ---------------------------------------
@pytest.mark.parametrize(
    "line, expected",
    [
        # ProcessBench GSM8K 41: "$0.20 (20 cents)" was read as 0.20 × 20
        ("Second, two nickels are worth $0.10 (10 cents) each, so two nickels are worth 2 x $0.10 = $0.20 (20 cents).",
         []),
        ("Third, seven dimes are worth 7 x $0.10 = $0.70 (70 cents).", []),
        ("The walk takes 3 x 0.5 = 1.5 hours (90 minutes).", []),
        ("so two nickels are worth 2 x $0.10 = $0.30 (30 cents).", [("0.30", "0.2")]),  # the slip is still one
        ("Total = 3 (4 + 5) = 27", []),  # a product with a bracket is still a product
        ("Total = 3 (4 + 5) = 24", [("24", "27")]),
    ],
)
def test_a_restated_quantity_in_brackets_is_an_aside(line: str, expected: list[tuple[str, str]]) -> None:
    assert errors(line) == expected


# --- a value stated negative, then used by its size --------------------------------------------------
@pytest.mark.parametrize("last", ["1924 - 805 = 1119", "1924 + (-805) = 1119", "1924 + -805 = 1119"])
def test_a_negative_value_used_by_its_size_is_repaired(last: str) -> None:
    """The paper's chain: -437 - 2·234 = -805 (really -905), then 1924 - 805: the 805 subtracted is the -805
    stated, so the repair subtracts 905, and the two slips cancel (2024 - 905 = 1119)."""
    from inspector import ChainInput, verify_chain

    result = verify_chain(ChainInput("paper", f"195+367+562+900 = 1924\n-437 - 2*234 = -805\n{last}",
                                     reference="1119"))
    assert result.verdict is Verdict.CANCELING_ERRORS
    assert result.repaired_answer == "1119"


def test_a_number_cut_short_by_the_end_of_the_chain_is_not_a_slip() -> None:
    """A generation stopped at its length limit (Spurious Rewards, sr/base/MATH-500/168#0) ends ``6 \\times 64 - 4 = 3``:
    the first digit of 380. Nothing after it, and it begins the true value: not read, said so. A wrong number that
    does not begin the true value, or one with a full stop after it, is still a slip."""
    from inspector import verify_text

    cut = verify_text("Let's check for \\( n = 64 \\):\n\\[ 6 \\times 64 - 4 = 3")
    assert not cut.errors and [f.rule for f in cut.findings] == ["unverifiable"]
    assert "ends inside this number" in cut.findings[0].message
    assert [e.stated for e in verify_text("17 \\cdot 81 = 137.").errors] == ["137"]
    assert [e.stated for e in verify_text("Then 2 + 2 = 5").errors] == ["5"]
    assert [e.stated for e in verify_text("So 6 \\times 64 - 4 = 3\n").errors] == ["3"]
