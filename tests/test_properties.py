"""Property tests: correct arithmetic is never flagged, and one perturbed result is flagged exactly once.

A strategy builds random *correct* claims in every surface form the engine reads (plain operators,
Unicode operators, thousands separators, currency, percentages, GSM8K annotations, LaTeX inline and
display math, roots, chained equalities), each embedded in a short prose sentence, and joins several
of them into a chain, one claim per line.

* Property A: ``verify_text`` reports no error on such a chain.
* Property B: adding a nonzero integer to exactly one claim's stated result (rendered the same way)
  yields exactly one error, whose ``stated`` is the perturbed number as written and whose span lies
  on the perturbed line.

Forms whose failures are engine bugs are excluded from the affected property with an
comment and kept as a regression test at the end of this file (each was fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.engine.model import ClaimStatus
from inspector.engine.pipeline import verify_text

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------------------------
# Rendering numbers


def dec(v: Fraction) -> str:
    """An exact rendering of a terminating decimal (integers as integers)."""
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    v = abs(v)
    places = 0
    while (v * 10**places).denominator != 1:
        places += 1
        assert places <= 12, v
    digits = str((v * 10**places).numerator).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def terminates(v: Fraction, max_places: int) -> bool:
    return any((v * 10**p).denominator == 1 for p in range(max_places + 1))


def round2(v: Fraction) -> str:
    """``v`` rounded half-up to exactly two decimals."""
    sign = "-" if v < 0 else ""
    n = (abs(v) * 100 + Fraction(1, 2)).__floor__()
    return f"{sign}{n // 100}.{n % 100:02d}"


def grouped(v: Fraction) -> str:
    """Thousands separators: ``1,234,567`` (integers only)."""
    assert v.denominator == 1
    return f"{v.numerator:,}"


def frac(v: Fraction) -> str:
    return f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator)


# ---------------------------------------------------------------------------------------------
# Claim specifications


@dataclass(frozen=True)
class Spec:
    """One correct claim: ``render(delta)`` gives (math text, result as written) with the stated
    result moved by ``delta`` (0: the correct claim)."""

    form: str
    value: Fraction
    render: Callable[[int], tuple[str, str]]
    allow_negative: bool = False

    def safe_delta(self, delta: int) -> int:
        """Keep the perturbed result renderable (no ``$-3``, no ``-1,234``, no negative root)."""
        if not self.allow_negative and self.value + delta < 0:
            return abs(delta)
        return delta


def _spec(form: str, value: Fraction, fmt: Callable[[Fraction], str], template: Callable[[str], str],
          allow_negative: bool = False) -> Spec:
    def render(delta: int) -> tuple[str, str]:
        stated = fmt(value + delta)
        return template(stated), stated

    return Spec(form, value, render, allow_negative)


small = st.integers(0, 999)
medium = st.integers(0, 9_999)
# spacing around operators: "3 + 4 = 7" or "3+4=7"
spacing = st.sampled_from([" ", ""])


@st.composite
def operand(draw: st.DrawFn, lo: int = 0, hi: int = 9_999) -> Fraction:
    """An integer, or now and then a short decimal (2.5, 1.25)."""
    whole = draw(st.integers(lo, hi))
    if draw(st.integers(0, 3)) == 0:
        places = draw(st.integers(1, 2))
        return Fraction(whole) + Fraction(draw(st.integers(1, 10**places - 1)), 10**places)
    return Fraction(whole)


@st.composite
def plain_add(draw: st.DrawFn) -> Spec:
    a, b = draw(operand()), draw(operand())
    sp = draw(spacing)
    return _spec("plain +", a + b, dec, lambda s: f"{dec(a)}{sp}+{sp}{dec(b)}{sp}={sp}{s}")


@st.composite
def plain_sub(draw: st.DrawFn) -> Spec:
    a, b = draw(operand()), draw(operand())
    minus = draw(st.sampled_from(["-", "−"]))  # ASCII hyphen-minus, U+2212 MINUS SIGN

    def fmt(v: Fraction) -> str:
        return dec(v).replace("-", minus)

    return _spec(f"sub {minus}", a - b, fmt, lambda s: f"{dec(a)} {minus} {dec(b)} = {s}", allow_negative=True)


@st.composite
def plain_mul(draw: st.DrawFn) -> Spec:
    a, b = draw(small), draw(small)
    op = draw(st.sampled_from(["*", "×", "·", "⋅", "x"]))
    sp = draw(spacing) if op != "x" else " "
    return _spec(f"mul {op}", Fraction(a * b), dec, lambda s: f"{a}{sp}{op}{sp}{b}{sp}={sp}{s}")


@st.composite
def plain_div(draw: st.DrawFn) -> Spec:
    b = draw(st.integers(1, 64))
    a = draw(st.integers(1, 5_000))
    op = draw(st.sampled_from(["/", "÷"]))
    v = Fraction(a, b)
    if terminates(v, 3):
        return _spec(f"div {op} exact", v, dec, lambda s: f"{a} {op} {b} = {s}")
    if draw(st.booleans()):
        return _spec(f"div {op} fraction", v, frac, lambda s: f"{a} {op} {b} = {s}")
    return _spec(f"div {op} approx", v, round2, lambda s: f"{a} {op} {b} ≈ {s}")


@st.composite
def thousands(draw: st.DrawFn) -> Spec:
    a, b = draw(st.integers(1_000, 999_999)), draw(st.integers(1_000, 999_999))
    kind = draw(st.sampled_from("+-*"))
    if kind == "+":
        return _spec("thousands +", Fraction(a + b), grouped, lambda s: f"{a:,} + {b:,} = {s}")
    if kind == "*":
        m = draw(st.integers(2, 99))
        return _spec("thousands ×", Fraction(a * m), grouped, lambda s: f"{a:,} × {m} = {s}")
    hi, lo = max(a, b), min(a, b)
    return _spec("thousands -", Fraction(hi - lo), grouped, lambda s: f"{hi:,} - {lo:,} = {s}")


@st.composite
def currency(draw: st.DrawFn) -> Spec:
    cents = draw(st.booleans())
    a, b = draw(st.integers(1, 999_999)), draw(st.integers(1, 999_999))
    fa, fb = (Fraction(a, 100), Fraction(b, 100)) if cents else (Fraction(a), Fraction(b))

    def money(v: Fraction) -> str:
        n = v * 100
        assert n.denominator == 1 and n >= 0
        whole = f"{n.numerator // 100:,}"
        return f"{whole}.{n.numerator % 100:02d}" if cents else whole

    # the engine reports the numeral after "$" as the stated result
    return _spec("currency", fa + fb, money, lambda s: f"${money(fa)} + ${money(fb)} = ${s}")


@st.composite
def percent_of(draw: st.DrawFn) -> Spec:
    p = draw(st.integers(1, 100))
    base = draw(st.integers(1, 2_000))
    v = Fraction(p * base, 100)
    return _spec("percent of", v, dec, lambda s: f"{p}% of {base} = {s}")


@st.composite
def gsm8k(draw: st.DrawFn) -> Spec:
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    b = draw(st.integers(1, 200))
    if op == "/":
        if draw(st.booleans()):
            a = b * draw(st.integers(1, 200))  # integer quotient, as GSM8K annotations mostly are
        else:
            b = draw(st.sampled_from([2, 4, 5, 8, 10, 20, 25]))  # a terminating quotient: 7/2=3.5
            a = draw(st.integers(1, 2_000))
        v = Fraction(a, b)
    else:
        a = draw(st.integers(b if op == "-" else 0, 5_000))
        v = Fraction({"+": a + b, "-": a - b, "*": a * b}[op])
    echo = draw(st.booleans())  # "48/2 = <<48/2=24>>24" or just "<<48/2=24>>24"
    prefix = f"{a}{op}{b} = " if echo else ""
    if draw(st.integers(0, 3)) == 0:
        # the annotation is right, the number written after it is the one that moves
        return _spec("gsm8k visible", v, dec, lambda s: f"{prefix}<<{a}{op}{b}={dec(v)}>>{s}")
    return _spec("gsm8k", v, dec, lambda s: f"{prefix}<<{a}{op}{b}={s}>>{s}")


@st.composite
def latex_inline(draw: st.DrawFn) -> Spec:
    a, b = draw(small), draw(small)
    op = draw(st.sampled_from(["\\times", "\\cdot", "+", "\\div"]))
    if op == "\\div":
        b = max(b, 1)
        a = a * b
        v = Fraction(a, b)
    else:
        v = Fraction(a + b if op == "+" else a * b)
    delim = draw(st.sampled_from([("\\( ", " \\)"), ("$", "$")]))
    return _spec(f"latex {op}", v, dec, lambda s: f"{delim[0]}{a} {op} {b} = {s}{delim[1]}")


@st.composite
def latex_frac(draw: st.DrawFn) -> Spec:
    q = draw(st.integers(2, 12))
    p = draw(st.integers(1, 3 * q))
    m = q * draw(st.integers(1, 30))
    v = Fraction(p, q) * m
    cmd = draw(st.sampled_from(["\\frac", "\\dfrac"]))
    return _spec("latex frac", v, dec, lambda s: f"${cmd}{{{p}}}{{{q}}} \\cdot {m} = {s}$")


@st.composite
def latex_display(draw: st.DrawFn) -> Spec:
    base = draw(st.integers(2, 12))
    exp = draw(st.integers(2, 10))
    if draw(st.booleans()):
        return _spec("display pow", Fraction(base**exp), dec, lambda s: f"\\[ {base}^{{{exp}}} = {s} \\]")
    a, b = draw(small), draw(small)
    return _spec("display ×", Fraction(a * b), dec, lambda s: f"\\[ {a} \\times {b} = {s} \\]")


@st.composite
def latex_sqrt(draw: st.DrawFn) -> Spec:
    r = draw(st.integers(1, 300))
    return _spec("sqrt", Fraction(r), dec, lambda s: f"$\\sqrt{{{r * r}}} = {s}$")


@st.composite
def unicode_sqrt(draw: st.DrawFn) -> Spec:
    # multi-digit radicands too: "√49" once read as √4 and a stray 9 (fixed; see the regression tests)
    r = draw(st.integers(1, 40))
    return _spec("√", Fraction(r), dec, lambda s: f"√{r * r} = {s}")


@st.composite
def chained(draw: st.DrawFn) -> Spec:
    a, b = draw(operand()), draw(operand())
    c = a + b
    # only the last (restated) result is perturbed: "3 + 4 = 7 = 8" is one wrong claim, 7 = 8
    return _spec("chained", c, dec, lambda s: f"{dec(a)} + {dec(b)} = {dec(c)} = {s}")


ALL_FORMS = [
    plain_add, plain_sub, plain_mul, plain_div, thousands, currency, percent_of, gsm8k,
    latex_inline, latex_frac, latex_display, latex_sqrt, unicode_sqrt, chained,
]
# "p% of b = c" once came back unverifiable when wrong (fixed; see the regression tests)
PERTURBABLE_FORMS = ALL_FORMS

TEMPLATES = [
    "So she has {} apples.",
    "That makes {} dollars in total.",
    "Then he buys {} more pencils.",
    "We get {} for the second part.",
    "Therefore {} is the number of cookies.",
    "{} so that is the count.",
    "First, {}, so she keeps them.",
    "Next: {}.",
    "She has that many ({}).",  # a formula in parentheses (once ignored; fixed)
]


def claim(forms: list[Callable[[], st.SearchStrategy[Spec]]]) -> st.SearchStrategy[Spec]:
    return st.one_of([f() for f in forms])


@dataclass
class Chain:
    text: str
    lines: list[tuple[int, int]]
    """Character span of each line."""
    stated: list[str]


def build_chain(specs: list[Spec], templates: list[str], deltas: dict[int, int]) -> Chain:
    parts, spans, stated, pos = [], [], [], 0
    for i, (spec, tpl) in enumerate(zip(specs, templates)):
        math, s = spec.render(deltas.get(i, 0))
        line = tpl.format(math)
        parts.append(line)
        spans.append((pos, pos + len(line)))
        stated.append(s)
        pos += len(line) + 1
    return Chain("\n".join(parts), spans, stated)


def describe(result) -> str:  # type: ignore[no-untyped-def]
    out = []
    for step in result.steps:
        for c in step.claims:
            out.append(f"  {c.status}: {c.text!r} stated={c.stated!r} actual={c.actual!r} reason={c.reason!r}")
    for f in result.findings:
        out.append(f"  finding {f.rule}/{f.severity}: stated={f.stated!r} actual={f.actual!r} span={f.span}")
    return "\n".join(out)


@st.composite
def correct_chains(draw: st.DrawFn, forms: list = ALL_FORMS) -> tuple[list[Spec], list[str]]:  # type: ignore[type-arg]
    specs = draw(st.lists(claim(forms), min_size=1, max_size=6))
    templates = draw(st.lists(st.sampled_from(TEMPLATES), min_size=len(specs), max_size=len(specs)))
    return specs, templates


# ---------------------------------------------------------------------------------------------
# Property A: no error on correct arithmetic


@SETTINGS
@given(correct_chains())
def test_correct_chain_has_no_errors(chain_parts: tuple[list[Spec], list[str]]) -> None:
    specs, templates = chain_parts
    chain = build_chain(specs, templates, {})
    result = verify_text(chain.text)
    assert result.errors == (), f"errors on correct arithmetic:\n{chain.text}\n{describe(result)}"
    # and not vacuously: every line's claim was actually checked and found correct
    for spec, (ls, le) in zip(specs, chain.lines):
        on_line = [c for s in result.steps for c in s.claims if ls <= c.span[0] and c.span[1] <= le]
        assert any(c.status is ClaimStatus.CORRECT for c in on_line), (
            f"{spec.form}: no correct claim on {chain.text[ls:le]!r}\n{describe(result)}"
        )
        assert not any(c.status is ClaimStatus.WRONG for c in on_line)


# ---------------------------------------------------------------------------------------------
# Property B: one perturbed result, exactly one error, pinned to it

nonzero = st.integers(-50, 50).filter(lambda d: d != 0)


@SETTINGS
@given(correct_chains(PERTURBABLE_FORMS), st.data())
def test_one_perturbed_claim_is_one_error(chain_parts: tuple[list[Spec], list[str]], data: st.DataObject) -> None:
    specs, templates = chain_parts
    i = data.draw(st.integers(0, len(specs) - 1), label="perturbed line")
    delta = specs[i].safe_delta(data.draw(nonzero, label="delta"))
    chain = build_chain(specs, templates, {i: delta})
    result = verify_text(chain.text)
    errors = result.errors
    context = f"{specs[i].form}, line {i}, delta {delta}:\n{chain.text}\n{describe(result)}"
    assert len(errors) == 1, context
    err = errors[0]
    assert err.stated == chain.stated[i], context
    ls, le = chain.lines[i]
    assert ls <= err.span[0] <= err.span[1] <= le, context
    assert chain.text[err.span[0] : err.span[1]] == chain.stated[i], context


# ---------------------------------------------------------------------------------------------
# Sanity checks of the strategy itself (so a property can't pass because the generator is broken)


def test_renderers() -> None:
    assert dec(Fraction(5, 2)) == "2.5"
    assert dec(Fraction(-1, 8)) == "-0.125"
    assert dec(Fraction(3)) == "3"
    assert round2(Fraction(10, 3)) == "3.33"
    assert round2(Fraction(2, 3)) == "0.67"
    assert round2(Fraction(1, 200)) == "0.01"
    assert grouped(Fraction(1234567)) == "1,234,567"
    assert frac(Fraction(10, 4)) == "5/2"


@pytest.mark.parametrize(
    "line",
    [
        "So she has 3 + 4 = 7 apples.",
        "So she has 3 × 4 = 12 apples.",
        "So she has 12 ÷ 4 = 3 apples.",
        "So she has 12 − 4 = 8 apples.",
        "So she has 3 · 4 = 12 apples.",
        "So she has 1,234 + 1,000 = 2,234 apples.",
        "So she pays $12 + $3 = $15.",
        "So she has 20% of 50 = 10 apples.",
        "So she has 48/2 = <<48/2=24>>24 apples.",
        "So she has \\( 3 \\times 4 = 12 \\) apples.",
        "So she has $\\frac{3}{4} \\cdot 8 = 6$ apples.",
        "So \\[ 2^{10} = 1024 \\]",
        "So she has $\\sqrt{49} = 7$ apples.",
        "So she has 3 + 4 = 7 = 7 apples.",
        "So she has 10 / 3 ≈ 3.33 apples.",
        "So she has 10 / 3 = 10/3 apples.",
    ],
)
def test_examples_from_the_brief_are_correct(line: str) -> None:
    result = verify_text(line)
    assert result.errors == ()
    assert any(c.status is ClaimStatus.CORRECT for s in result.steps for c in s.claims)


# ---------------------------------------------------------------------------------------------
# Engine bugs the properties found, fixed, kept as regression tests


def test_regression_wrong_percent_of_is_unverifiable() -> None:
    # minimal example found by property B (hypothesis-shrunk): 1% of 1 is 0.01, not 1.01.
    # Today: one claim, status unverifiable, reason "percent on one side only: a correspondence,
    # not an equality" (check.check_pair, the _percent_on_one_side branch); no error.
    result = verify_text("So she has 1% of 1 = 1.01 apples.")
    assert [e.stated for e in result.errors] == ["1.01"]


def test_regression_percent_of_100x_is_correct() -> None:
    # found while shrinking the bug above: check_pair accepts actual*100 == claimed whenever a
    # percent sign is on one side only, meant for "45 + 21 + 28 = 94%", so 1% of 1 (0.01) = 1
    # and "50% of 20 = 1000" are reported *correct*.
    result = verify_text("So she has 1% of 1 = 1 apples.")
    statuses = [c.status for s in result.steps for c in s.claims]
    assert statuses == [ClaimStatus.WRONG]
    assert [e.stated for e in result.errors] == ["1"]


def test_regression_unicode_sqrt_multi_digit_wrong() -> None:
    # minimal example: arith._Parser.group() splits a multi-digit literal after any root sign (the
    # LaTeX "\frac12" rule), so √16 parses as √1 then a stray 6 -> unverifiable, and a wrong
    # √16 = 5 is never an error. (√(16) and \sqrt{16} are fine.)
    result = verify_text("So she has √16 = 5 apples.")
    assert [e.stated for e in result.errors] == ["5"]


def test_regression_unicode_sqrt_multi_digit_correct() -> None:
    result = verify_text("So she has √16 = 4 apples.")
    statuses = [c.status for s in result.steps for c in s.claims]
    assert statuses == [ClaimStatus.CORRECT]


def test_regression_parenthesised_formula_is_ignored() -> None:
    # minimal example: "(3 + 4 = 8)" -> zero claims, zero findings (the "(" opens a side that
    # never closes before "=", and the run is dropped without an unverifiable finding)
    result = verify_text("She has 7 apples (3 + 4 = 8).")
    assert [e.stated for e in result.errors] == ["8"]


def test_regression_controls() -> None:
    """The same claims written the way the engine does read them (so the tests above pin the phenomenon,
    not the example)."""
    assert [e.stated for e in verify_text("So she has 0.01 * 1 = 1.01 apples.").errors] == ["1.01"]
    assert [e.stated for e in verify_text("So she has $\\sqrt{16} = 5$ apples.").errors] == ["5"]
    assert [e.stated for e in verify_text("So she has √(16) = 5 apples.").errors] == ["5"]
    assert [e.stated for e in verify_text("She has 7 apples, 3 + 4 = 8.").errors] == ["8"]


# --- rational: Fraction's arithmetic without its Python calls, equal to Fraction's own --------------------------

_fractions = st.builds(
    Fraction, st.integers(-10**30, 10**30), st.integers(1, 10**12) | st.just(1)
)


@given(_fractions, _fractions)
def test_rational_helpers_give_what_fraction_gives(a: Fraction, b: Fraction) -> None:
    from inspector.engine import rational

    for ours, theirs in [
        (rational.add(a, b), a + b), (rational.sub(a, b), a - b), (rational.mul(a, b), a * b),
        (rational.ratio(a.numerator, -b.denominator), Fraction(a.numerator, -b.denominator)),
        (rational.whole(a.numerator), Fraction(a.numerator)),
    ]:
        assert type(ours) is Fraction
        assert (ours.numerator, ours.denominator) == (theirs.numerator, theirs.denominator)
        assert ours == theirs and hash(ours) == hash(theirs)
    if b:
        assert rational.div(a, b) == a / b and rational.div(a, b).denominator == (a / b).denominator
    else:
        with pytest.raises(ZeroDivisionError):
            rational.div(a, b)
    assert (rational.numerator(a), rational.denominator(a)) == (a.numerator, a.denominator)
    assert rational.neg(a) == -a and rational.neg(a).denominator == (-a).denominator
    assert rational.equal(a, b) == (a == b) and rational.equal(a, a)
    tolerance = Fraction(1, 10**12)
    assert rational.within(a, b, tolerance) == (abs(a - b) <= abs(a) * tolerance)
    assert rational.to_float(a) == float(a)
    assert rational.same(a, b) == (a == b) and rational.same(None, None) and not rational.same(a, None)


@given(_fractions, st.integers(-12, 12))
def test_rational_power_is_fraction_s(a: Fraction, e: int) -> None:
    from inspector.engine import rational

    if a == 0 and e < 0:
        with pytest.raises(ZeroDivisionError):
            rational.power(a, e)
        return
    ours, theirs = rational.power(a, e), a**e
    assert (ours.numerator, ours.denominator) == (theirs.numerator, theirs.denominator) and hash(ours) == hash(theirs)


def test_rational_reads_the_slots_on_cpython() -> None:
    """The speed of the exact arithmetic rests on this: if a Python moves Fraction's ints, the helpers fall back."""
    import platform

    from inspector.engine import rational

    if platform.python_implementation() == "CPython":
        assert rational.SLOTS


@given(st.text(alphabet=st.sampled_from(list("0123456789 ,._a-+=x\n") + ["α", "²", "−", "٣", "é", "１", "\u00a0", "×", "中", "Ⅻ", "𝑥", "\u200b"])))
def test_character_classes_are_the_table_s_whatever_the_text(text: str) -> None:
    """``pipeline._classes`` translates text past ASCII as bytes (quicker): the same classes as the table gives."""
    from inspector.engine.pipeline import _CHAR_CLASSES, _classes

    expected = text.translate(_CHAR_CLASSES)
    if "," in expected:
        expected = expected.replace("0,0", "0;0").replace("0,0", "0;0")
    assert _classes(text) == expected


@given(st.lists(st.sampled_from(["\\sqrt", "{", "}", " ", "\n", "=", "$", "\\(", "\\[", "(", "[", "\\", "x", "2", "\\pm",
                                 "\u00a0"]), max_size=40))
def test_roots_after_relations_are_the_pattern_s_matches(pieces: list[str]) -> None:
    """``solved_values`` finds ``\\sqrt{`` after ``=``, ``$``, ``\\(``, ``\\[`` or the start from each ``\\sqrt`` back:
    the same matches as the pattern tried at every position."""
    from inspector.engine.solved_values import _ROOT_PM_RE, _roots_after_relations

    text = "".join(pieces)
    assert [m.span() for m in _roots_after_relations(text)] == [m.span() for m in _ROOT_PM_RE.finditer(text)]


@given(st.lists(st.sampled_from(["x", "pi", "\\pi", "2", "3.5", "+", "-", "*", "/", "^", "(", ")", "\\sqrt{", "}",
                                 "\\frac{", "}{", "a_1", "|", "!", "%"]), min_size=1, max_size=14))
def test_has_unknowns_is_whether_a_tree_has_symbols(pieces: list[str]) -> None:
    from inspector.engine.arith import NotRational, Unverifiable, has_unknowns, parse, symbols_of

    try:
        node = parse(" ".join(pieces))
    except (Unverifiable, NotRational):
        return
    assert has_unknowns(node) == bool(symbols_of(node))
