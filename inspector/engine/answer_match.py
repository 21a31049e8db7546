"""Compare a final answer with the reference in bounded time: what an answer's value is, whether two agree.

Apart from `answer` (which finds the answer in a chain) because comparing is its own problem with its own
dangers: an answer is untrusted text, and deciding equality can take unbounded time (``9^{9^{9}}``, a huge
binomial, a 60th power expanded). Everything here is bounded or refused.

Comparison is exact for numbers, then by our own safe parser (numerically at 40 digits for roots and π,
as polynomials or at two points for expressions with letters), then by the forms that parser has no reading
for (``answer_forms``: logarithms and trigonometric functions, numerals with a base, times of day, lists of
names, answers cut short), and only then by math-verify, the field's own checker, which runs in a helper process with its timeouts on (``equivalence``): no comparison can
hang a worker or the TUI, and an answer that cannot be decided within the bound is ``None`` (undecided).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Final

from .answer_forms import compare_forms
from .answer_sets import compare_inequality, compare_matrices, compare_sets, compare_unions, top_level_split
from .arith import (
    NotRational,
    PolyValue,
    Unverifiable,
    approximate,
    evaluate,
    format_value,
    leaves,
    parse,
    parse_number,
    subtract,
    symbols_of,
)
from .rational import equal

_PLAIN_NUMBER_RE: Final = re.compile(r"\s*(-?)((?:\d{1,3}(?:,\d{3})+|\d{1,50})(?:\.\d{1,50})?)\s*$")
_ASSIGN_RE: Final = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*")

_UNIT_TAIL_RE: Final = re.compile(
    r"(?<!\s)\s*+(?:\\(?:text|mbox|mathrm)\{\s*[A-Za-z][A-Za-z ]{0,24}(?:\^\{?\d\}?)?\s*\}|dollars?|cents?|units?|degrees|minutes|hours|"
    r"days|weeks|years|meters|feet|inches|miles|pounds|square\s+\w+|\^\\circ|°)\s*+$"
)


_SPACES_RE: Final = re.compile(r"\s+")


_ESCAPED_SPACE_RE: Final = re.compile(r"(?<!\\)\\ ")
_SPACED_THOUSANDS_RE: Final = re.compile(r"(\d),\s+(?=\d{3}(?!\d))")
_WHOLE_TEXT_RE: Final = re.compile(r"\\(?:text|mbox|mathrm|textbf)\{\s*([^{}]*)\}")
_TEXT_RE: Final = re.compile(r"\\text\{\s*([^{}]*)\}")
_IN_SET_RE: Final = re.compile(r"^\s*[A-Za-z]\s*\\in\s*")
_BRACED_SUBSCRIPT_RE: Final = re.compile(r"_\{(\w+)\}")
_ESCAPED_DOLLAR_RE: Final = re.compile(r"^\\\$\s*")
_STRAY_BACKSLASH_RE: Final = re.compile(r"^\\(?=\d)")
_PERCENT_TAIL_RE: Final = re.compile(r"\s*(?:\\%|%)\s*$")


def _first_group(m: re.Match[str]) -> str:
    return m.group(1)


def _digit_comma(m: re.Match[str]) -> str:
    return m.group(1) + ","


def _subscript(m: re.Match[str]) -> str:
    return "_" + m.group(1)


def _clean(answer: str) -> str:
    """An answer as compared: LaTeX spacing, units, ``x =``, ``\\text{}``, a trailing period or percent sign taken off.

    (The patterns are compiled once and their replacements are functions: from the compiled engine, ``re.sub`` with a
    pattern string, or a replacement with ``\\1`` in it, is a call into the interpreter each time.)"""
    s = answer.strip().strip("$").strip()
    if len(s) > 2000:
        return s[:2000]
    s = s.replace("\\left", "").replace("\\right", "").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.replace("\\!", "").replace("\\,", "").replace("{,}", ",")
    s = _ESCAPED_SPACE_RE.sub(" ", s)  # "\ " is a space; "\\ " (a matrix row break) is not
    s = _SPACED_THOUSANDS_RE.sub(_digit_comma, s)  # 11,\! 111,\! 100
    whole = _WHOLE_TEXT_RE.fullmatch(s)
    if whole:
        s = whole.group(1).strip()  # \text{4:30 p.m.}: the whole answer in words
    for _ in range(3):
        t = _UNIT_TAIL_RE.sub("", s)
        if t == s or not t.strip():
            break
        s = t
    s = _TEXT_RE.sub(_first_group, s)
    s = _ASSIGN_RE.sub("", s)
    s = _IN_SET_RE.sub("", s)  # x \in [-2, 7]
    s = _BRACED_SUBSCRIPT_RE.sub(_subscript, s)  # 4210_{5}
    s = s.rstrip(".").strip()
    s = _ESCAPED_DOLLAR_RE.sub("", s)
    s = _STRAY_BACKSLASH_RE.sub("", s)  # \boxed{\15}: a stray backslash
    s = _PERCENT_TAIL_RE.sub("", s)
    return s.strip()


def parse_number_text(sign: str, digits: str) -> Fraction:
    value = parse_number(digits)[0]
    return -value if sign else value


@functools.lru_cache(maxsize=4096)
def numeric_value(answer: str) -> Fraction | None:
    """The exact number an answer denotes, or None when it is not a plain number."""
    plain = _PLAIN_NUMBER_RE.match(answer)
    if plain:
        try:
            return parse_number_text(plain.group(1), plain.group(2))
        except Unverifiable:
            return None
    s = _clean(answer).replace("−", "-").replace("–", "-")
    if not s or len(s) > 200:
        return None
    try:
        v = evaluate(parse(s))
    except (Unverifiable, NotRational, RecursionError, ValueError, OverflowError):
        return None
    return None if isinstance(v, PolyValue) else v


def normalize(answer: str) -> str:
    v = numeric_value(answer)
    return format_value(v) if v is not None else _clean(answer)


def _percent(answer: str) -> bool:
    return answer.rstrip(" .$").endswith("%")


def answers_match(answer: str, reference: str, max_symbolic_chars: int = 200,
                  timeout: float = 1.0) -> bool | None:
    """Does the answer equal the reference? ``None`` when that cannot be decided within the bounds.

    Numbers exactly (``4.0`` = ``4``, ``10{,}000`` = ``10000``, units stripped; a percent equals its number
    and its fraction: ``25%`` = ``25`` = ``0.25``); then our own parser and ``answer_forms``; then math-verify
    in a helper process with a ``timeout`` in seconds (nothing in ``../shared/data`` gets that far).
    """
    return _answers_match(answer, reference, max_symbolic_chars, timeout)


@functools.lru_cache(maxsize=4096)
def _answers_match(answer: str, reference: str, max_symbolic_chars: int, timeout: float) -> bool | None:
    a, r = numeric_value(answer), numeric_value(reference)
    if a is not None and r is not None:
        if equal(a, r):
            return True
        if _percent(answer) != _percent(reference) and (a == r * 100 or a * 100 == r):
            return True
        return False
    ca, cr = _clean(answer), _clean(reference)
    if ca and (ca == cr or _SPACES_RE.sub("", ca) == _SPACES_RE.sub("", cr)):
        # the same LaTeX but for its spacing ("(2, 12) \cup (12, 102)"): decided here, never left to a comparison
        # with a deadline, whose outcome would then depend on how busy the machine is
        return True
    if r is not None or a is not None:
        # one side is a plain number: the other must denote that number (roots and π at 40 digits), or it
        # is no match — an interval, a set, a word, an inequality never equals a number
        other = ca if r is not None else cr
        value = r if r is not None else a
        tail = _last_side(other)
        if _HOSTILE_RE.search(tail) or len(tail) > max_symbolic_chars:
            return None  # a number too big to decide within the bounds: \binom{99999}{5000}, 9^{9^{9}}
        x = numeric_value(tail)
        if x is None:
            try:
                x = approximate(parse(tail), 40)
            except (Unverifiable, RecursionError):
                x = None
        if x is None and _components(tail) is not None:
            return False  # a tuple, interval or set of two or more parts never equals a number ({1±√5, −2} ≠ 0)
        if x is None and re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", tail)):
            return False  # letters or words left (a variable, "with domain L > 0", "C: …"): not a number
        if x is None and re.search(r"\\(?!text|mathrm|mbox|infty|in\b|cup|cap|le|ge|neq)[a-zA-Z]+", tail):
            assert value is not None
            native = compare_forms(tail, format_value(value))  # \log_2 8, \sin \frac{\pi}{6}, \frac{1}{3726
            if native is not None:
                return native
            from .equivalence import math_verify_equal  # \binom{6}{2}: math-verify, bounded

            return math_verify_equal(tail, format_value(value), timeout)
        if x is None:
            return False  # a word, an interval, a set, an inequality never equals a number
        assert value is not None
        return abs(x - value) <= max(abs(x), abs(value), Fraction(1)) * Fraction(1, 10**30)
    worded = _words_comparison(ca, cr)
    if worded is not None:
        return worded
    structured = _structured_comparison(ca, cr, max_symbolic_chars, timeout)
    if structured is not None:
        return structured
    grouped = _grouped_comparison(ca, cr, max_symbolic_chars, timeout)
    if grouped is not None:
        return grouped
    ours = _our_comparison(ca, cr)
    if ours is not None:
        return ours
    if len(ca) > max_symbolic_chars or len(cr) > max_symbolic_chars:
        return None
    if _HOSTILE_RE.search(ca) or _HOSTILE_RE.search(cr):
        return None
    native = compare_forms(ca, cr)
    if native is not None:
        return native
    from .equivalence import math_verify_equal

    return math_verify_equal(ca, cr, timeout)


_HOSTILE_RE: Final = re.compile(r"\^\s*\{?\s*[-\d]{3,}|\^\s*\{?[^}]{0,20}\^|\d{60,}|\\binom\s*\{\s*\d{4,}|\d{3,}\s*!")
"""What no comparison of answers needs: exponents of 100 and more, towers, 60-digit numbers, huge binomials."""


def _last_side(s: str) -> str:
    """``m + n = 27 + 3 = 30`` → ``30``: what a chain of equalities comes to."""
    if "=" in s and not re.search(r"[<>≤≥]|\\[lg]eq?\b", s):
        return s.rsplit("=", 1)[1].strip()
    return s


_GROUP_RE: Final = re.compile(r"^\s*(\\\{|[(\[])(.*)(\\\}|[)\]])\s*$", re.S)


def _components(s: str) -> tuple[str, str, list[str]] | None:
    """``(3, \\frac{\\pi}{2})`` → ("(", ")", ["3", "\\frac{\\pi}{2}"]): a tuple, interval or set, split at
    its top-level commas."""
    m = _GROUP_RE.match(s)
    if m is None:
        return None
    parts = top_level_split(m.group(2), ",")
    if parts is None or len(parts) < 2 or not all(parts):
        return None
    return m.group(1), m.group(3), parts


def _grouped_comparison(a: str, b: str, max_chars: int, timeout: float) -> bool | None:
    """Tuples and intervals component by component (brackets must agree); sets as sets."""
    ga, gb = _components(a), _components(b)
    if ga is None or gb is None:
        return None
    if ga[0] == "\\{" or gb[0] == "\\{":
        if ga[0] != gb[0] or len(ga[2]) != len(gb[2]):
            return False if ga[0] != gb[0] else None
        unmatched = list(gb[2])
        for x in ga[2]:
            hit = next((y for y in unmatched if _answers_match(x, y, max_chars, timeout)), None)
            if hit is None:
                return False
            unmatched.remove(hit)
        return True
    if len(ga[2]) != len(gb[2]):
        return False
    if (ga[0], ga[1]) != (gb[0], gb[1]):
        return False  # (0, 1] is not [0, 1)
    results = [_answers_match(x, y, max_chars, timeout) for x, y in zip(ga[2], gb[2], strict=True)]
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _structured_comparison(a: str, b: str, max_chars: int, timeout: float) -> bool | None:
    """Matrices entry by entry, unions of intervals as sets (``answer_sets``): no math-verify for either."""
    if _HOSTILE_RE.search(a) or _HOSTILE_RE.search(b):
        return None
    # (a partial, not a nested function: ``native_attrs``)
    compare = functools.partial(_answers_match, max_symbolic_chars=max_chars, timeout=timeout)
    matrices = compare_matrices(a, b, compare)
    if matrices is not None:
        return matrices
    members = compare_sets(a, b, compare)
    if members is not None:
        return members
    unions = compare_unions(a, b, _exact_value)
    if unions is not None:
        return unions
    return compare_inequality(a, b, _exact_value)


def _exact_value(text: str) -> Fraction | None:
    """An endpoint's exact rational value (``-\\frac{1}{2}``, ``9``), or None: a root or π is never rounded
    here, since two spellings of one irrational number may round apart."""
    value = numeric_value(text)
    if value is not None:
        return value
    try:
        exact = evaluate(parse(text))
    except (Unverifiable, NotRational, RecursionError):
        return None
    return exact if isinstance(exact, Fraction) else None


_WORDS_RE: Final = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:\s+[A-Za-z][A-Za-z'’-]*)*")
"""An answer in words only (``Evelyn``, ``No real solutions``, ``circle``): no digit, no command, no sign."""


_CHOICE_ONLY_RE: Final = re.compile(r"\(([A-E])\)")
_MATHEMATICS_RE: Final = re.compile(r"\d|\\[A-Za-z]|[=+^]")
"""A digit, a command or an operator: an answer in mathematics, never equal to words or a choice letter."""


def _words_comparison(a: str, b: str) -> bool | None:
    """Words against words, or words against mathematics, decided without math-verify: ``Carla`` is not
    ``Evelyn`` (case aside, the words must be the same), and ``No solutions`` is not ``3 \\pm 2\\sqrt{2}``.
    A single letter is no word here (a variable, a choice): None, for the comparisons after this one."""
    choice_a, choice_b = _CHOICE_ONLY_RE.fullmatch(a.strip()), _CHOICE_ONLY_RE.fullmatch(b.strip())
    if choice_a or choice_b:
        # a choice letter against a choice letter, or against mathematics: "(B)" is not "3(1 + r)^x = 7"
        if choice_a and choice_b:
            return choice_a.group(1) == choice_b.group(1)
        other = b if choice_a else a
        return False if _MATHEMATICS_RE.search(other) else None
    wa, wb = _WORDS_RE.fullmatch(a.strip()), _WORDS_RE.fullmatch(b.strip())
    if wa and wb:
        if len(a.strip()) < 2 or len(b.strip()) < 2:
            return None
        return " ".join(a.lower().split()) == " ".join(b.lower().split())
    if not (wa or wb):
        return None
    word, other = (a, b) if wa else (b, a)
    if len(word.strip()) >= 2 and _MATHEMATICS_RE.search(other):
        return False  # words on one side, mathematics on the other
    return None


def _our_comparison(a: str, b: str) -> bool | None:
    """Both answers through our own parser: numbers (with roots and π) at 40 digits; expressions with
    letters as polynomials, or at two points; two equations as the same when one is the other times a
    number (``10x − 12y = 2`` and ``5x − 6y = 1``). None when either does not parse."""
    if a.count("=") == 1 and b.count("=") == 1:
        return _same_equation(a, b)
    try:
        na, nb = parse(a), parse(b)
    except (Unverifiable, RecursionError):
        return None
    la, lb = symbols_of(na), symbols_of(nb)
    if not la and not lb:
        x, y = approximate(na, 40), approximate(nb, 40)
        if x is None or y is None:
            return None
        return abs(x - y) <= max(abs(x), abs(y), Fraction(1)) * Fraction(1, 10**30)
    if la != lb:
        return False if la and lb else None
    try:
        pa, pb = evaluate(na), evaluate(nb)
        if isinstance(pa, PolyValue) or isinstance(pb, PolyValue):
            return pa == pb
    except (NotRational, Unverifiable):
        pass
    return _equal_at_points(na, nb, sorted(la))


def _same_equation(a: str, b: str) -> bool | None:
    try:
        pa = [evaluate(parse(side)) for side in a.split("=")]
        pb = [evaluate(parse(side)) for side in b.split("=")]
    except (Unverifiable, NotRational, RecursionError):
        return None
    da, db = subtract(pa[0], pa[1]), subtract(pb[0], pb[1])
    ta, tb = {m: c for m, c in da.terms.items() if c}, {m: c for m, c in db.terms.items() if c}
    if not ta or not tb or set(ta) != set(tb):
        return False if ta and tb else None
    m0 = next(iter(ta))
    k = tb[m0] / ta[m0]
    return all(tb[m] == k * c for m, c in ta.items())


def _equal_at_points(a: object, b: object, names: list[str]) -> bool | None:
    """Two expressions with letters compared at two rational points (exactly where they stay rational).

    Different values at a point prove them different; equal values at two points of small height, for the
    expressions answers are, mean equal. ``(x+y+z)^{60}`` against ``(x+y+z+1)^{60}`` is decided in
    microseconds this way, where expanding it symbolically takes minutes.
    """
    points = ({n: Fraction(2 * k + 3, k + 2) for k, n in enumerate(names)},
              {n: Fraction(3 * k + 5, 2 * k + 3) for k, n in enumerate(names)})
    for values in points:
        x, y = _at(a, values), _at(b, values)
        if x is None or y is None:
            return None
        if abs(x - y) > max(abs(x), abs(y), Fraction(1)) * Fraction(1, 10**30):
            return False
    return True


def _at(node: object, values: dict[str, Fraction]) -> Fraction | None:
    if any(leaf[0] == "sym" and leaf[1] not in values and leaf[1] != "pi" for leaf in leaves(node)):  # type: ignore[arg-type]
        return None
    return approximate(_put(node, values), 40)  # type: ignore[arg-type]


def _put(n: tuple, values: dict[str, Fraction]) -> tuple:  # type: ignore[type-arg]
    """The tree with its letters replaced by their ``values``."""
    if n[0] == "sym" and n[1] in values:
        return ("num", values[n[1]], n[2])
    if n[0] in ("num", "sym"):
        return n
    if n[0] == "add":
        return ("add", [(sign, _put(sub, values)) for sign, sub in n[1]])
    return (n[0],) + tuple(_put(c, values) if isinstance(c, tuple) else c for c in n[1:])
