"""A safe lexer, parser and exact evaluator for the arithmetic written in chains of thought.

Chain text is untrusted model output, so nothing here calls ``eval``, ``sympify`` or ``parse_expr``:
text becomes tokens through one regular expression, tokens become a small tree through a
recursive-descent parser with a depth limit, and the tree is evaluated over ``Fraction`` (exact
rationals) with every costly operation bounded (digits, exponents, factorials, term counts). Values
with letters in them become polynomials over the rationals, so a rewritten equation can be checked
for equivalence. Only the few trees that leave that world (irrational roots, division by a
polynomial) are rebuilt as sympy objects, node by node, never from a string.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Union

# ---------------------------------------------------------------------------------------------
# Limits: each one turns a hostile input into an "unverifiable" result within milliseconds.
MAX_LITERAL_DIGITS = 60
MAX_RESULT_BITS = 20_000
MAX_FACTORIAL = 300
MAX_DEPTH = 60
MAX_POLY_TERMS = 64
MAX_TOKENS = 4_000
TRUNCATED = "\u2026truncated"
"""The text of the BREAK that ends a line cut at ``MAX_TOKENS``."""
MAX_SIDE_TOKENS = 300
"""Longer sides are not arithmetic anyone checks by hand; the bound also bounds every tree walk."""


class Unverifiable(Exception):
    """The text is arithmetic we will not or cannot evaluate exactly; the message says why."""


class NotRational(Exception):
    """The value leaves the rationals (a root, pi): the sympy fallback may still decide it."""


# ---------------------------------------------------------------------------------------------
# Tokens

NUM, OP, LP, RP, EQ, APPROX, SYM, FRAC, SQRT, LB, RB, BANG, PCT, BREAK, OF = range(15)
KIND_NAMES = ["NUM", "OP", "LP", "RP", "EQ", "APPROX", "SYM", "FRAC", "SQRT", "LB", "RB", "BANG", "PCT", "BREAK", "OF"]


@dataclass(slots=True)
class Token:
    kind: int
    text: str
    start: int
    end: int
    value: Any = None
    """For NUM: a ``Fraction``; for OP: one of ``+ - * / ^``; for SYM: the letter's name."""
    decimals: int = 0
    """For NUM: digits written after the point (how precise the writer claims to be)."""
    sig: int = 0
    """For NUM: significant digits written (float noise has 15 or more)."""
    unit: str | None = None
    """For NUM: a unit written right after it (``1000 \\text{ m}``); for NUM also ``"..."`` when the
    digits trail off (``3.333\\ldots``), a value written only approximately."""
    word: str | None = None
    """For NUM: the words a computation is written around, right after it (``13 marbles + …``)."""


_TOKEN_RE = re.compile(
    r"""
    (?P<floorl>\\(?:left\s*)?\\?lfloor(?![A-Za-z])|⌊|\\(?:left\s*)?\\?lceil(?![A-Za-z])|⌈)
    |(?P<floorr>\\(?:right\s*)?\\?rfloor(?![A-Za-z])|⌋|\\(?:right\s*)?\\?rceil(?![A-Za-z])|⌉)
    |(?P<absl>\\left\s*\||\\lvert(?![A-Za-z]))
    |(?P<absr>\\right\s*\||\\rvert(?![A-Za-z]))
    |(?P<ratio>(?<=\d)[ \t]+:[ \t]+(?=\$?\d))
    |(?P<emph>(?:(?<=[\s:.,;!?(])|^)\*\*(?=\S)|(?<=\S)\*\*(?=[\s:.,;!?)]|$)|(?<=\S)__(?=[\s:.,;!?)]|$)|(?:(?<=[\s:.,;!?(])|^)__(?=\S))
    |(?P<ws>[ \t\r\u00a0\u2009\u202f]+|\\[,;:!> ]|\\q?quad(?![A-Za-z])|\\(?:left|right|big|Big|bigg|Bigg)[lr]?(?![A-Za-z])
        |\\displaystyle(?![A-Za-z])|\\\$|\$|&(?=[ \t]*[=\\])|\\boxed(?![A-Za-z])
        |\^\s*\{?\s*\\circ\s*\}?|°|\\!|\\limits)
    |(?P<delim>\\[\(\)\[\]])
    |(?P<text>\\(?:text|mathrm|textbf|mbox|mathbf|textrm|operatorname)\s*\{([^{}\n]{0,80})\}(?:\s*\^\s*\{?\d\}?)?)
    |(?P<ellipsis>\\[lc]?dots[bc]?(?![A-Za-z])|\.\.\.|…|\.?\\overline\s*(?:\{\d+\}|\d))
    |(?P<numsub>(?<=\d)_(?:\{[^{}\n]{0,12}\}|[A-Za-z0-9]))
    |(?P<func>(?<![A-Za-z\\])[fghpqFGHPQ](?=\())
    |(?P<subsym>[A-Za-z](?:_\{[A-Za-z0-9,]{1,12}\}|_[A-Za-z0-9])|(?<![A-Za-z0-9\\.])[A-Za-z]\d{1,2}(?![\d.,A-Za-z]))
    |(?P<hyphen>(?<=[A-Za-z][A-Za-z])[-–/](?=\w)|(?<=\w)[-–](?=[A-Za-z][A-Za-z]))
    |(?P<ordinal>(?<![\d.])\d{1,6}(?:st|nd|rd|th)(?![A-Za-z]))
    |(?P<time>(?<![\d.])\d{1,2}:[0-5]\d(?::[0-5]\d)?(?![\d]))
    |(?P<num>\d{1,3}(?:(?:,|\{,\}|,\\!|[ \u00a0\u202f\u2009](?=\d{3}(?!\d|[.,]\d)))\d{3})+(?:[.٫．]\d+)?(?!\d|,\d)|\d+(?:[.٫．]\d+)?(?!,\d)|\.\d+)
    |(?P<badnum>\d+(?:,\d+)+)
    |(?P<pct>\\?%)
    |(?P<approx>≈|\\approx(?![A-Za-z])|≃|\\simeq(?![A-Za-z])|\\sim(?![A-Za-z])|~=)
    |(?P<eq>=)
    |(?P<op>\*\*|[+\-*/^×·⋅∙÷−–‒﹣－]|\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\\div(?![A-Za-z])|\\ast(?![A-Za-z]))
    |(?P<lp>[(\[]|\\\{|\\lbrace(?![A-Za-z]))
    |(?P<rp>[)\]]|\\\}|\\rbrace(?![A-Za-z]))
    |(?P<lb>\{)
    |(?P<rb>\})
    |(?P<frac>\\[dtc]?frac(?![A-Za-z]))
    |(?P<sqrt>\\sqrt(?![A-Za-z])|√)
    |(?P<bang>!)
    |(?P<greek>\\(?:pi|alpha|beta|gamma|theta|lambda|mu|sigma|phi|omega)(?![A-Za-z])|π)
    |(?P<command>\\[A-Za-z]+)
    |(?P<word>[A-Za-z]+(?:['’&][A-Za-z]+)+|[A-Za-z]{2,}(?:/[A-Za-z]+)+|[A-Za-z]{2,})
    |(?P<article>(?<![^\s(])[aAI](?=[ \t]+(?:[A-Za-z]|\\?\$|\d)))
    |(?P<letter>[A-Za-z])
    |(?P<sup>[²³])
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_OPERAND_AHEAD = re.compile(r"[ \t]+(?:\\?\$[ \t]*)?(?:\d|\.\d|\(|\\[dtc]?frac)")
"""``of`` multiplies only when an operand follows it (``20% of $50``, not ``5/6 of a mile``)."""

_BRACKET_FUNCS = frozenset({"abs", "floor", "ceil"})
"""Brackets that apply a function: |x|, ⌊x⌋, ⌈x⌉."""

_OP_MAP = {
    "+": "+", "-": "-", "−": "-", "–": "-", "‒": "-", "﹣": "-", "－": "-", "*": "*", "×": "*", "·": "*", "⋅": "*", "∙": "*",
    "\\cdot": "*", "\\times": "*", "\\ast": "*", "/": "/", "÷": "/", "\\div": "/", "^": "^", "**": "^",
}
_GREEK = {"π": "pi"}
_CONNECTIVES = frozenset(
    "\\implies \\Rightarrow \\rightarrow \\Longrightarrow \\longrightarrow \\iff \\Leftrightarrow \\to "
    "\\le \\ge \\leq \\geq \\neq \\ne \\lt \\gt \\quad \\qquad \\hspace \\and \\text \\therefore "
    "\\because \\end \\begin \\label \\tag \\nonumber \\hline".split()
)
_UNKNOWN_OPERATORS = frozenset(
    "\\odot \\oplus \\otimes \\ominus \\oslash \\star \\circ \\diamond \\bullet \\triangle \\nabla "
    "\\wedge \\vee \\dagger \\boxplus \\boxtimes \\circledast \\heartsuit \\spadesuit \\clubsuit "
    "\\diamondsuit \\bigstar \\square \\S".split()
)
"""Binary operators a problem defines (``a \\star b = …``): a formula with one in it cannot be checked."""

_SIMPLE_KINDS = {
    "eq": EQ, "approx": APPROX, "lp": LP, "rp": RP, "lb": LB, "rb": RB, "frac": FRAC, "sqrt": SQRT,
    "pct": PCT, "bang": BANG,
}


_POINTS_OF_SCRIPTS = {"٫": ".", "．": "."}
"""Decimal points other scripts write: the Arabic decimal separator, the fullwidth full stop."""


@functools.lru_cache(maxsize=8192)
def parse_number(text: str) -> tuple[Fraction, int, int]:
    """Read a numeric literal exactly: value, digits after the point, significant digits.

    Memoised: the same literals (2, 10, 100, 0.5) recur in every chain, and the result is immutable.
    """
    if not text.isascii():
        # ３.５, ٣٫٥: digits of any script (and their decimal points) read as the digits they are
        text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else _POINTS_OF_SCRIPTS.get(ch, ch)
                       for ch in text)
    clean = text if text.isdigit() else "".join(ch for ch in text if ch in "0123456789.")
    if not clean or clean.count(".") > 1:
        raise Unverifiable(f"not a number: {text!r}")
    if len(clean) > MAX_LITERAL_DIGITS + 1:
        raise Unverifiable(f"number with more than {MAX_LITERAL_DIGITS} digits")
    if "." in clean:
        whole, frac = clean.split(".")
        value = Fraction(int(whole or "0") * 10 ** len(frac) + int(frac), 10 ** len(frac))
        digits = (whole + frac).lstrip("0")
        return value, len(frac), len(digits)
    return Fraction(int(clean)), 0, len(clean.lstrip("0")) or 1


def _letter(ch: str) -> str | None:
    """A single-letter symbol, math-italic Unicode letters (𝑋) folded to plain ones."""
    if ch.isascii():
        return ch if ch.isalpha() else None
    if not ch.isalpha():
        return None
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 and folded.isascii() and folded.isalpha() else None


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split ``text`` into math tokens; everything else becomes a BREAK (words, punctuation).

    Spans are offsets into the original text plus ``offset``, so a claim can be pointed at exactly.
    """
    tokens: list[Token] = []
    append = tokens.append
    simple = _SIMPLE_KINDS
    count = 0
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind == "ws" or kind == "emph":
            continue  # spaces, and markdown emphasis (**Total:** 30 - 5 = 25) around the text
        s, e = m.span()
        s += offset
        e += offset
        t = m.group()
        count += 1
        if count > MAX_TOKENS:
            append(Token(BREAK, TRUNCATED, s, s, "command"))  # cut here: what follows is not read
            break
        if kind == "word":
            if t == "of" and tokens and (tokens[-1].kind == PCT or _ends_fraction(tokens)) and _OPERAND_AHEAD.match(
                text, m.end()
            ):
                append(Token(OF, t, s, e, "*"))
            elif t == "of" and tokens and tokens[-1].kind == OF and tokens[-1].text == "off":
                continue  # "30% off of $80"
            elif t == "mod" and tokens and tokens[-1].kind in (NUM, RP) and _OPERAND_AHEAD.match(text, m.end()):
                append(Token(OP, t, s, e, "mod"))  # 143 mod 11
            elif t == "off" and tokens and tokens[-1].kind == PCT:
                append(Token(OF, t, s, e, "*"))  # "30% off $80": the discount (or the price after it; see check)
            elif t == "half" and m.end() < len(text) and text.startswith(" of", m.end()):
                append(Token(NUM, t, s, e, Fraction(1, 2), 0, 0))
            else:
                append(Token(BREAK, t, s, e, "word"))
        elif kind == "num":
            if len(t) > 1 and t[0] == "0" and t[1].isdigit():
                append(Token(BREAK, t, s, e, "word"))  # 0900: a clock time or a code, not a quantity
                continue
            try:
                value, dec, sig = parse_number(t)
            except Unverifiable:
                append(Token(BREAK, t, s, e, "long"))
                continue
            append(Token(NUM, t, s, e, value, dec, sig))
        elif kind == "op":
            append(Token(OP, t, s, e, _OP_MAP[t]))
        elif kind in simple:
            append(Token(simple[kind], t, s, e))
        elif kind == "hyphen":
            # "1-handed", "45-pound", "minutes/100 meters": a hyphen or a unit's slash inside words, not arithmetic
            append(Token(BREAK, t, s, e, "word"))
        elif kind in ("time", "badnum") or t == "&":
            append(Token(BREAK, t, s, e, "word"))  # 11:00, 16,0000, 0,2: not numbers we can read
        elif kind == "ratio":
            append(Token(OP, ":", s, e, "/"))
        elif kind == "greek":
            append(Token(SYM, t, s, e, _GREEK.get(t, t.lstrip("\\"))))
        elif kind == "text":
            # a unit after a number (1000 \text{ m}) rides on it; a label (\text{Area} =) is words
            content = (m.group(m.lastindex + 1) if m.lastindex else "") or ""
            if tokens and tokens[-1].kind == NUM and tokens[-1].end <= s and content.strip():
                tokens[-1].unit = content.strip()
            elif any(ch.isalpha() for ch in content):
                append(Token(BREAK, t, s, e, "word"))
        elif kind == "ellipsis":
            if tokens and tokens[-1].kind == NUM:
                tokens[-1].unit = "..."  # 3.333..., 0.\overline{27}: only approximately that number
            else:
                append(Token(BREAK, t, s, e, "word"))  # "+ \dots +": what stands around it is not all there
        elif kind == "delim":
            append(Token(BREAK, t, s, e))  # \( \) \[ \]: one formula ends, another may begin
        elif kind in ("numsub", "func"):
            # 52_8, 42_{10}: a number in another base; f(3): a function, not f times 3
            append(Token(BREAK, t, s, e, "word"))
        elif kind == "command":
            # \sin, \log, \sum, \binom ...: what follows is an argument, not a standalone quantity;
            # \implies, \le ...: a relation or a connective, which only ends a formula;
            # \odot, \star ...: an operator the problem defines, which we cannot evaluate
            if t in _CONNECTIVES:
                append(Token(BREAK, t, s, e, None))
            elif t in _UNKNOWN_OPERATORS:
                append(Token(BREAK, t, s, e, "operator"))
            elif t == "\\bmod" or t == "\\mod":
                append(Token(OP, t, s, e, "mod"))
            else:
                append(Token(BREAK, t, s, e, "command"))
        elif kind == "subsym":
            # a_{8}, a_8 and a8 (the subscript a plain-text writer could not type) are one name
            subscripted = t.replace("{", "").replace("}", "")
            append(Token(SYM, t, s, e, subscripted if "_" in subscripted else f"{t[0]}_{t[1:]}"))
        elif kind == "letter":
            append(Token(SYM, t, s, e, t))
        elif kind == "article":
            append(Token(BREAK, t, s, e, "word"))  # "a 7-2=25 year gap", "I have 3": English, not a symbol
        elif kind == "ordinal":
            # "6th place": the number, its suffix read past
            digits = t.rstrip("stndrh")
            append(Token(NUM, t, s, e, Fraction(int(digits)), 0, len(digits.lstrip("0")) or 1))
        elif kind == "floorl":
            append(Token(LP, t, s, e, "ceil" if "ceil" in t or t == "⌈" else "floor"))
        elif kind == "floorr":
            append(Token(RP, t, s, e, "ceil" if "ceil" in t or t == "⌉" else "floor"))
        elif kind == "absl":
            append(Token(LP, t, s, e, "abs"))
        elif kind == "absr":
            append(Token(RP, t, s, e, "abs"))
        elif kind == "sup":
            append(Token(OP, "^", s, s, "^"))
            append(Token(NUM, t, s, e, Fraction(2 if t == "²" else 3), 0, 1))
        else:  # other: a math-italic letter, or punctuation that ends a formula
            name = _letter(t)
            if name is not None:
                append(Token(SYM, t, s, e, name))
            else:
                # @ # | ' " are custom operators, norms, primes, quotes: the formula goes on beyond us
                if t in "@#":
                    append(Token(BREAK, t, s, e, "operator"))
                else:
                    append(Token(BREAK, t, s, e, "word" if t in "|'\"_" else None))
    _fix_times_x(tokens)
    if len(tokens) >= 3 and any(t.kind == OP and t.value == "/" for t in tokens):
        _merge_mixed_numbers(tokens)
    return tokens


_CALC_RE = re.compile(r"(\d+(?:\.\d+)?|\.\d+)|(\*\*|[-+*/^])|([()])|(=)|[ ]+")
_CALC_ONLY_RE = re.compile(r"[0-9.+\-*/^() =]*")
_CALC_KIND = {"(": LP, ")": RP}


def tokenize_calculator(text: str, offset: int = 0) -> list[Token]:
    """The fast path for calculator text (GSM8K annotations): digits, ``+-*/^``, brackets, ``=``.

    Same tokens as ``tokenize`` gives for such text; anything else goes the general way.
    """
    if _CALC_ONLY_RE.fullmatch(text) is None or len(text) > 2000:
        return tokenize(text, offset)
    tokens: list[Token] = []
    append = tokens.append
    for m in _CALC_RE.finditer(text):
        num, op, paren, eq = m.groups()
        s, e = m.span()
        if num is not None:
            if len(num) > 1 and num[0] == "0" and num[1].isdigit():
                append(Token(BREAK, num, s + offset, e + offset, "word"))
                continue
            try:
                value, dec, sig = parse_number(num)
            except Unverifiable:
                append(Token(BREAK, num, s + offset, e + offset, "long"))
                continue
            append(Token(NUM, num, s + offset, e + offset, value, dec, sig))
        elif op is not None:
            append(Token(OP, op, s + offset, e + offset, "^" if op == "**" else op))
        elif paren is not None:
            append(Token(_CALC_KIND[paren], paren, s + offset, e + offset))
        elif eq is not None:
            append(Token(EQ, eq, s + offset, e + offset))
    return tokens


def _ends_fraction(tokens: list[Token]) -> bool:
    """``3/4 of``, ``1/2 of``: the tokens so far end with a written fraction."""
    return (
        len(tokens) >= 3 and tokens[-1].kind == NUM and tokens[-2].kind == OP and tokens[-2].value == "/"
        and tokens[-3].kind == NUM
    ) or (tokens[-1].kind == NUM and tokens[-1].text == "half")


def _is_int(t: Token) -> bool:
    return t.kind == NUM and t.decimals == 0 and "," not in t.text


def _merge_mixed_numbers(tokens: list[Token]) -> None:
    """``5 and 2/3``, ``5 and (2/3)``, ``1 1/2``: one mixed number, as grade-school text means it."""
    i = 0
    while i < len(tokens) - 3:
        t = tokens[i]
        if not _is_int(t):
            i += 1
            continue
        j = i + 1
        if tokens[j].kind == BREAK and tokens[j].text == "and":
            j += 1
        paren = j < len(tokens) and tokens[j].kind == LP and tokens[j].text == "("
        k = j + 1 if paren else j
        if k + 2 >= len(tokens):
            i += 1
            continue
        num, slash, den = tokens[k], tokens[k + 1], tokens[k + 2]
        end_i = k + 3
        if paren:
            if end_i >= len(tokens) or tokens[end_i].kind != RP:
                i += 1
                continue
            end_i += 1
        ok = (
            _is_int(num) and slash.kind == OP and slash.text == "/" and _is_int(den)
            and num.value < den.value
            and slash.start == num.end and den.start == slash.end
            and (j > i + 1 or (not paren and num.start > t.end
                               and (i == 0 or tokens[i - 1].kind != OP or tokens[i - 1].value in "+-")))
        )
        if not ok or den.value == 0:
            i += 1
            continue
        value = t.value + num.value / den.value
        merged = Token(NUM, f"{t.text} {num.text}/{den.text}", t.start, tokens[end_i - 1].end, value, 0, 0)
        tokens[i:end_i] = [merged]
        i += 1


def _fix_times_x(tokens: list[Token]) -> None:
    """``2 x 3`` and ``2x3`` mean multiplication in grade-school text; ``3x`` alone is a variable."""
    for i in range(1, len(tokens) - 1):
        t = tokens[i]
        if t.kind == SYM and t.value == "x":
            before, after = tokens[i - 1], tokens[i + 1]
            if before.kind in (NUM, RP) and after.kind in (NUM, LP) and after.start > t.end - 1:
                spaced = before.end < t.start and t.end < after.start
                # 2x3 is a product; 3x(1/3) is three x times a third
                tight = before.end == t.start and t.end == after.start and after.kind == NUM
                if spaced or tight:
                    tokens[i] = Token(OP, "x", t.start, t.end, "*")


# ---------------------------------------------------------------------------------------------
# Trees: tuples, cheap to build.  ("num", Fraction, Token) ("sym", name) ("add", [(sign, node)])
# ("mul", a, b) ("div", a, b) ("pow", a, b) ("neg", a) ("fact", a) ("sqrt", a, n|None) ("pct", a) ("abs", a)
# ("floor", a) ("ceil", a) ("mod", a, b)

Node = tuple[Any, ...]
"""A parse tree: ``(tag, ...)`` tuples, cheap to build and to pickle."""


class _Parser:
    __slots__ = ("depth", "i", "n", "toks")

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.n = len(toks)
        self.depth = 0

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < self.n else None

    def fail(self, why: str) -> Unverifiable:
        return Unverifiable(why)

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unverifiable("nesting too deep")
        terms: list[tuple[int, Node]] = []
        sign = 1
        t = self.peek()
        if t is not None and t.kind == OP and t.value in "+-":
            self.i += 1
            sign = -1 if t.value == "-" else 1
        terms.append((sign, self.term()))
        while True:
            t = self.peek()
            if t is None or t.kind != OP or t.value not in "+-":
                break
            self.i += 1
            terms.append((-1 if t.value == "-" else 1, self.term()))
        self.depth -= 1
        if len(terms) == 1 and terms[0][0] == 1:
            return terms[0][1]
        return ("add", terms)

    def term(self) -> Node:
        node = self.unary()
        while True:
            t = self.peek()
            if t is None:
                break
            if (t.kind == OP and t.value in ("*", "/", "mod")) or t.kind == OF:
                self.i += 1
                rhs = self.unary()
                node = ("div", node, rhs) if t.value == "/" else ("mod", node, rhs) if t.value == "mod" else (
                    "mul", node, rhs)
            elif t.kind == PCT:
                # "143 % 11": % between two integers is the remainder (postfix() left it for us)
                self.i += 1
                node = ("mod", node, self.unary())
            elif t.kind in (LP, SYM, FRAC, SQRT, LB):
                # implicit multiplication: 3X, 2(3+4), (a)(b), 2\sqrt{3}; a mixed number 2\frac12 adds
                if t.kind == FRAC and node[0] == "num" and node[2].kind == NUM:
                    frac = self.unary()
                    if frac[0] == "div" and frac[1][0] == "num" and frac[2][0] == "num":
                        node = ("add", [(1, node), (1, frac)])
                        continue
                    node = ("mul", node, frac)
                    continue
                node = ("mul", node, self.unary())
            else:
                break
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t is not None and t.kind == OP and t.value in "+-":
            self.i += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unverifiable("nesting too deep")
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if t.value == "-" else inner
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        t = self.peek()
        if t is not None and t.kind == OP and t.value == "^":
            self.i += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unverifiable("nesting too deep")
            exp = self.unary()
            self.depth -= 1
            return ("pow", base, exp)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            t = self.peek()
            if t is None:
                break
            if t.kind == BANG:
                self.i += 1
                node = ("fact", node)
            elif t.kind == PCT:
                nt = self.toks[self.i + 1] if self.i + 1 < self.n else None
                if nt is not None and nt.kind in (NUM, LP) and nt.start > t.start:
                    break  # 143 % 11: modulo, read by term()
                self.i += 1
                node = ("pct", node)
            else:
                break
        return node

    def group(self) -> Node:
        """A LaTeX argument: ``{...}``, or a single token (``\\frac12`` takes one digit each)."""
        t = self.peek()
        if t is None:
            raise self.fail("missing argument")
        if t.kind == LB:
            self.i += 1
            node = self.expr()
            self._close(RB)
            return node
        if t.kind == NUM and len(t.text) > 1 and t.text.isdigit():
            # \frac12: the first digit is this argument, the rest the next
            first = Token(NUM, t.text[0], t.start, t.start + 1, Fraction(int(t.text[0])), 0, 1)
            rest = t.text[1:]
            self.toks[self.i] = Token(NUM, rest, t.start + 1, t.end, Fraction(int(rest)), 0, len(rest))
            return ("num", first.value, first)
        return self.atom()

    def _close(self, kind: int) -> None:
        t = self.peek()
        if t is None or t.kind != kind:
            raise self.fail("unbalanced brackets")
        self.i += 1

    def atom(self) -> Node:
        t = self.peek()
        if t is None:
            raise self.fail("expression ends too early")
        k = t.kind
        if k == NUM:
            self.i += 1
            return ("num", t.value, t)
        if k == SYM:
            self.i += 1
            return ("sym", t.value, t)
        if k in (LP, LB):
            self.i += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unverifiable("nesting too deep")
            node = self.expr()
            self.depth -= 1
            nt = self.peek()
            if nt is None or nt.kind not in (RP, RB) or (nt.value in _BRACKET_FUNCS or t.value in _BRACKET_FUNCS) and (
                    nt.value != t.value):
                raise self.fail("unbalanced brackets")
            self.i += 1
            return (t.value, node) if t.value in _BRACKET_FUNCS else ("paren", node)
        if k == FRAC:
            self.i += 1
            num = self.group()
            den = self.group()
            return ("div", num, den)
        if k == SQRT:
            self.i += 1
            index = None
            nt = self.peek()
            if nt is not None and nt.kind == LP and nt.text == "[" and t.text != "√":
                self.i += 1
                index = self.expr()
                self._close(RP)
            # √16 takes the whole number; \sqrt16 (TeX) only its first digit
            return ("sqrt", self.postfix() if t.text == "√" else self.group(), index)
        raise self.fail(f"unexpected {t.text!r}")


def parse_tokens(tokens: list[Token]) -> Node:
    """Parse a whole token slice as one expression, or raise ``Unverifiable``."""
    if not tokens:
        raise Unverifiable("empty expression")
    if len(tokens) > MAX_SIDE_TOKENS:
        raise Unverifiable(f"expression of more than {MAX_SIDE_TOKENS} tokens")
    depth = 0
    for t in tokens:
        if t.kind in (LP, LB):
            depth += 1
            if depth > MAX_DEPTH:
                raise Unverifiable("nesting too deep")
        elif t.kind in (RP, RB):
            depth -= 1
    p = _Parser(tokens)
    node = p.expr()
    if p.i != p.n:
        raise Unverifiable(f"unexpected {tokens[p.i].text!r}")
    return node


def parse(text: str) -> Node:
    """Parse a standalone string (a final answer, a reference)."""
    toks = [t for t in tokenize(text) if t.kind != BREAK or t.text.strip() not in ("", ".")]
    if any(t.kind in (BREAK, EQ, APPROX) for t in toks):
        raise Unverifiable("not a plain expression")
    return parse_tokens(toks)


# ---------------------------------------------------------------------------------------------
# Exact evaluation

Monomial = tuple[tuple[str, int], ...]
Poly = dict[Monomial, Fraction]
Value = Union[Fraction, "PolyValue"]


class PolyValue:
    """A polynomial with rational coefficients over single-letter symbols."""

    __slots__ = ("terms",)

    def __init__(self, terms: Poly) -> None:
        self.terms = {m: c for m, c in terms.items() if c != 0}
        if len(self.terms) > MAX_POLY_TERMS:
            raise Unverifiable("expression too large")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolyValue) and self.terms == other.terms

    def __repr__(self) -> str:
        return f"PolyValue({self.terms!r})"

    def constant(self) -> Fraction:
        return self.terms.get((), Fraction(0))

    def without_constant(self) -> Poly:
        return {m: c for m, c in self.terms.items() if m != ()}

    @property
    def is_constant(self) -> bool:
        return all(m == () for m in self.terms)


def as_poly(v: Value) -> PolyValue:
    return v if isinstance(v, PolyValue) else PolyValue({(): v})


def subtract(a: Value, b: Value) -> PolyValue:
    """``a − b`` as a polynomial (an equation's ``left − right``; two answers' difference)."""
    pa, pb = as_poly(a), as_poly(b)
    terms = dict(pa.terms)
    for m, c in pb.terms.items():
        terms[m] = terms.get(m, Fraction(0)) - c
    return PolyValue(terms)


def simplify(v: Value) -> Value:
    if isinstance(v, PolyValue) and v.is_constant:
        return v.constant()
    return v


def _padd(a: Value, b: Value, sign: int) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b if sign > 0 else a - b
    pa, pb = as_poly(a), as_poly(b)
    terms = dict(pa.terms)
    for m, c in pb.terms.items():
        terms[m] = terms.get(m, Fraction(0)) + (c if sign > 0 else -c)
    return simplify(PolyValue(terms))


def _mono_mul(a: Monomial, b: Monomial) -> tuple[Monomial, int]:
    """The product of two monomials, and the sign it picks up from ``i^2 = -1``.

    ``i`` is taken as the imaginary unit: an identity true for a free symbol stays true, and
    expansions like ``(z + i)^4 = z^4 + 4iz^3 - 6z^2 - ...`` become checkable.
    """
    if not a:
        return b, 1
    if not b:
        return a, 1
    d = dict(a)
    for s, e in b:
        d[s] = d.get(s, 0) + e
    sign = 1
    if d.get("i", 0) >= 2:
        e = d["i"]
        sign = -1 if (e // 2) % 2 else 1
        d["i"] = e % 2
    return tuple(sorted((s, e) for s, e in d.items() if e != 0)), sign


def _pmul(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        _check_size(a.numerator.bit_length() + b.numerator.bit_length()
                    + a.denominator.bit_length() + b.denominator.bit_length())
        return a * b
    pa, pb = as_poly(a), as_poly(b)
    if len(pa.terms) * len(pb.terms) > MAX_POLY_TERMS * 4:
        raise Unverifiable("expression too large")
    terms: Poly = {}
    for ma, ca in pa.terms.items():
        for mb, cb in pb.terms.items():
            m, sign = _mono_mul(ma, mb)
            terms[m] = terms.get(m, Fraction(0)) + (ca * cb if sign > 0 else -(ca * cb))
    return simplify(PolyValue(terms))


def _check_size(bits: int) -> None:
    if bits > MAX_RESULT_BITS:
        raise Unverifiable("number too large")


def _pdiv(a: Value, b: Value) -> Value:
    if isinstance(b, PolyValue):
        raise NotRational("division by an expression with letters")
    if b == 0:
        raise Unverifiable("division by zero")
    if isinstance(a, Fraction):
        return a / b
    return PolyValue({m: c / b for m, c in a.terms.items()})


def _root(x: Fraction, n: int) -> Fraction:
    """The exact n-th root of a rational, or ``NotRational``."""
    if x < 0:
        if n % 2 == 0:
            raise Unverifiable("even root of a negative number")
        return -_root(-x, n)
    num = _int_root(x.numerator, n)
    den = _int_root(x.denominator, n)
    return Fraction(num, den)


def _int_root(v: int, n: int) -> int:
    if v < 2:
        return v
    r = int(round(v ** (1.0 / n))) if v.bit_length() < 1000 else _newton_root(v, n)
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**n == v:
            return c
    raise NotRational("irrational root")


def _newton_root(v: int, n: int) -> int:
    x = 1 << (v.bit_length() // n + 1)
    while True:
        y = ((n - 1) * x + v // x ** (n - 1)) // n
        if y >= x:
            return x
        x = y


def _ppow(a: Value, b: Value) -> Value:
    if isinstance(b, PolyValue):
        raise NotRational("power with a letter in the exponent")
    if b.denominator != 1:
        if b.denominator > 64 or not isinstance(a, Fraction):
            raise NotRational("fractional power")
        a = _root(a, b.denominator)
        b = Fraction(b.numerator)
    e = b.numerator
    if abs(e) > 100_000:
        raise Unverifiable("exponent too large")
    if e == 0:
        return Fraction(1)  # 0^0 = 1, as Python and the computer algebra systems have it
    if isinstance(a, Fraction):
        if a == 0 and e < 0:
            raise Unverifiable("division by zero")
        if a in (0, 1):
            return a
        if a == -1:
            return Fraction(1 if e % 2 == 0 else -1)
        bits = max(a.numerator.bit_length(), a.denominator.bit_length())
        _check_size(bits * abs(e))
        return a**e
    if e < 0 or e > 12:
        raise NotRational("power of an expression with letters")
    result: Value = Fraction(1)
    for _ in range(e):
        result = _pmul(result, a)
    return result


def _fact(a: Value) -> Value:
    if not isinstance(a, Fraction) or a.denominator != 1 or a < 0:
        raise Unverifiable("factorial of a non-natural number")
    if a > MAX_FACTORIAL:
        raise Unverifiable("factorial too large")
    out = 1
    for k in range(2, int(a) + 1):
        out *= k
    return Fraction(out)


def evaluate(node: Node, overrides: dict[int, Fraction] | None = None) -> Value:
    """The exact value of a tree: a ``Fraction``, or a ``PolyValue`` when letters remain.

    ``overrides`` maps a literal's start offset to a replacement value (how a repair substitutes
    the true value for a wrong one). Raises ``NotRational`` or ``Unverifiable``.
    """
    tag = node[0]
    if tag == "num":
        v: Fraction = node[1]
        if overrides and node[2].start in overrides:
            v = overrides[node[2].start]
        return v
    if tag == "add":
        acc: Value = Fraction(0)
        for sign, sub in node[1]:
            acc = _padd(acc, evaluate(sub, overrides), sign)
        return acc
    if tag == "mul":
        return _pmul(evaluate(node[1], overrides), evaluate(node[2], overrides))
    if tag == "div":
        return _pdiv(evaluate(node[1], overrides), evaluate(node[2], overrides))
    if tag == "paren":
        return evaluate(node[1], overrides)
    if tag in ("abs", "floor", "ceil"):
        inner = evaluate(node[1], overrides)
        if not isinstance(inner, Fraction):
            raise NotRational(f"{tag} of an expression with letters")
        return abs(inner) if tag == "abs" else Fraction(math.floor(inner) if tag == "floor" else math.ceil(inner))
    if tag == "mod":
        a, b = evaluate(node[1], overrides), evaluate(node[2], overrides)
        if not isinstance(a, Fraction) or not isinstance(b, Fraction) or a.denominator != 1 or b.denominator != 1:
            raise Unverifiable("remainder of a number that is not an integer")
        if b == 0:
            raise Unverifiable("division by zero")
        return a % b
    if tag == "neg":
        return _pmul(Fraction(-1), evaluate(node[1], overrides))
    if tag == "sym":
        if node[1] == "pi":
            raise NotRational("pi")
        return PolyValue({((node[1], 1),): Fraction(1)})
    if tag == "pow":
        return _ppow(evaluate(node[1], overrides), evaluate(node[2], overrides))
    if tag == "pct":
        return _pdiv(evaluate(node[1], overrides), Fraction(100))
    if tag == "fact":
        return _fact(evaluate(node[1], overrides))
    if tag == "sqrt":
        inner = evaluate(node[1], overrides)
        n = Fraction(2) if node[2] is None else evaluate(node[2], overrides)
        if not isinstance(inner, Fraction) or not isinstance(n, Fraction) or n.denominator != 1 or n < 1:
            raise NotRational("root of an expression with letters")
        if n > 64:
            raise Unverifiable("root index too large")
        return _root(inner, int(n))
    raise Unverifiable(f"unknown node {tag}")


def count_nodes(node: Node) -> int:
    tag = node[0]
    if tag in ("num", "sym"):
        return 1
    if tag == "add":
        return 1 + sum(count_nodes(s) for _, s in node[1])
    return 1 + sum(count_nodes(c) for c in node[1:] if isinstance(c, tuple))


def to_sympy(node: Node, overrides: dict[int, Fraction] | None = None) -> Any:
    """Rebuild a tree as a sympy expression object by object (never from a string)."""
    import sympy

    if count_nodes(node) > 200:
        raise Unverifiable("expression too large for symbolic checking")

    def go(n: Node) -> Any:
        tag = n[0]
        if tag == "num":
            v: Fraction = n[1]
            if overrides and n[2].start in overrides:
                v = overrides[n[2].start]
            return sympy.Rational(v.numerator, v.denominator)
        if tag == "sym":
            return sympy.pi if n[1] == "pi" else sympy.Symbol(n[1])
        if tag == "add":
            return sympy.Add(*[go(s) if sign > 0 else -go(s) for sign, s in n[1]])
        if tag == "mul":
            return sympy.Mul(go(n[1]), go(n[2]))
        if tag == "div":
            return sympy.Mul(go(n[1]), sympy.Pow(go(n[2]), -1))
        if tag == "paren":
            return go(n[1])
        if tag == "abs":
            return sympy.Abs(go(n[1]))
        if tag == "floor":
            return sympy.floor(go(n[1]))
        if tag == "ceil":
            return sympy.ceiling(go(n[1]))
        if tag == "mod":
            return sympy.Mod(go(n[1]), go(n[2]))
        if tag == "neg":
            return -go(n[1])
        if tag == "pct":
            return go(n[1]) / 100
        if tag == "pow":
            exp = go(n[2])
            if exp.is_number and abs(exp) > 1000:
                raise Unverifiable("exponent too large")
            return sympy.Pow(go(n[1]), exp)
        if tag == "fact":
            inner = go(n[1])
            if not inner.is_Integer or inner > MAX_FACTORIAL or inner < 0:
                raise Unverifiable("factorial out of range")
            return sympy.factorial(inner)
        if tag == "sqrt":
            idx = 2 if n[2] is None else go(n[2])
            return sympy.root(go(n[1]), idx)
        raise Unverifiable(f"unknown node {tag}")

    return go(node)


def leaves(node: Node) -> list[Node]:
    """The ``num`` and ``sym`` leaves of a tree, in reading order (a loop, not recursion: it is hot)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        tag = n[0]
        if tag == "num" or tag == "sym":
            out.append(n)
        elif tag == "add":
            stack.extend(sub for _, sub in reversed(n[1]))
        else:
            stack.extend(c for c in reversed(n[1:]) if isinstance(c, tuple))
    return out


def literals(node: Node) -> list[Token]:
    """The numeric literals of a tree, in reading order."""
    return [leaf[2] for leaf in leaves(node) if leaf[0] == "num"]


def symbols_of(node: Node) -> set[str]:
    """The unknowns of a tree (pi is a constant, not an unknown)."""
    return {leaf[1] for leaf in leaves(node) if leaf[0] == "sym" and leaf[1] != "pi"}


def format_value(v: Value) -> str:
    """A value as people write it: ``2024``, ``-88/3``, ``12.5``, ``1119 - 3*X``."""
    if isinstance(v, Fraction):
        return format_fraction(v)
    parts = []
    for mono, c in sorted(v.terms.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        name = "*".join(s if e == 1 else f"{s}^{e}" for s, e in mono)
        if not name:
            parts.append(format_fraction(c))
        elif c == 1:
            parts.append(name)
        elif c == -1:
            parts.append("-" + name)
        else:
            parts.append(f"{format_fraction(c)}*{name}")
    text = " + ".join(parts) if parts else "0"
    return text.replace("+ -", "- ")


def format_fraction(v: Fraction) -> str:
    """Integers as integers, terminating decimals as decimals, the rest as ``p/q``."""
    if v.denominator == 1:
        return str(v.numerator)
    d, twos, fives = v.denominator, 0, 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    places = max(twos, fives)
    if d == 1 and places <= 12:
        scaled = v * 10**places
        sign = "-" if scaled < 0 else ""
        digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
        return f"{sign}{digits[:-places]}.{digits[-places:]}"
    return f"{v.numerator}/{v.denominator}"


# ---------------------------------------------------------------------------------------------
# Numeric approximation: what irrational sides (roots, pi, fractional powers) are compared by

_PI = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"


def approximate(node: Node, digits: int = 40) -> Fraction | None:
    """A rational within ``10^-digits`` (relative) of a tree's value, or None (letters, a negative root …).

    Decimal arithmetic at ``digits + 20`` working digits: ten times faster than sympy's ``evalf`` on the
    short sides chains write, and as bounded: ``(√2+√3+√5)^400`` is one Decimal power.
    """
    import decimal

    ctx = decimal.Context(prec=digits + 20, Emax=100_000, Emin=-100_000,
                          traps=[decimal.Overflow, decimal.InvalidOperation, decimal.DivisionByZero])
    try:
        v = _approx(node, ctx)
    except (decimal.DecimalException, ValueError, OverflowError, ZeroDivisionError, RecursionError, Unverifiable,
            NotRational):
        return None
    if v is None or not v.is_finite():
        return None
    return Fraction(v)


def _approx(node: Node, ctx: Any) -> Any:
    from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

    tag = node[0]
    if tag == "num":
        v: Fraction = node[1]
        return ctx.divide(Decimal(v.numerator), Decimal(v.denominator))
    if tag == "sym":
        return ctx.create_decimal(_PI) if node[1] == "pi" else None
    if tag == "add":
        acc = Decimal(0)
        for sign, sub in node[1]:
            part = _approx(sub, ctx)
            if part is None:
                return None
            acc = ctx.add(acc, part) if sign > 0 else ctx.subtract(acc, part)
        return acc
    if tag in ("paren", "neg", "pct", "abs", "floor", "ceil"):
        inner = _approx(node[1], ctx)
        if inner is None:
            return None
        if tag == "neg":
            return ctx.minus(inner)
        if tag == "pct":
            return ctx.divide(inner, Decimal(100))
        if tag == "abs":
            return ctx.abs(inner)
        if tag == "floor":
            return inner.to_integral_value(rounding=ROUND_FLOOR)
        if tag == "ceil":
            return inner.to_integral_value(rounding=ROUND_CEILING)
        return inner
    if tag in ("mul", "div", "mod"):
        a, b = _approx(node[1], ctx), _approx(node[2], ctx)
        if a is None or b is None:
            return None
        if tag == "mul":
            return ctx.multiply(a, b)
        if tag == "div":
            return ctx.divide(a, b)
        return ctx.remainder(a, b)
    if tag == "pow":
        base = _approx(node[1], ctx)
        try:
            exact = evaluate(node[2])
        except (NotRational, Unverifiable):
            exact = None
        if base is None:
            return None
        if isinstance(exact, Fraction):
            if exact.denominator == 1:
                if abs(exact.numerator) > 100_000:
                    raise ValueError("exponent too large")
                if exact == 0:
                    return Decimal(1)  # 0^0 = 1, as in evaluate
                return ctx.power(base, int(exact))
            if base < 0:
                if exact.denominator % 2 == 0:
                    return None
                return ctx.minus(ctx.exp(ctx.multiply(ctx.ln(ctx.minus(base)), _approx(("num", exact, None), ctx))))
        exp = _approx(node[2], ctx)
        if exp is None or base <= 0:
            return None
        return ctx.exp(ctx.multiply(ctx.ln(base), exp))
    if tag == "sqrt":
        inner = _approx(node[1], ctx)
        if inner is None:
            return None
        index = Fraction(2) if node[2] is None else evaluate(node[2])
        if not isinstance(index, Fraction) or index.denominator != 1 or not 1 <= index <= 64:
            return None
        n = int(index)
        if n == 2:
            return ctx.sqrt(inner) if inner >= 0 else None
        if inner == 0:
            return inner
        if inner < 0:
            return ctx.minus(ctx.exp(ctx.divide(ctx.ln(ctx.minus(inner)), Decimal(n)))) if n % 2 else None
        return ctx.exp(ctx.divide(ctx.ln(inner), Decimal(n)))
    if tag == "fact":
        whole = evaluate(node)
        return ctx.create_decimal(whole.numerator) if isinstance(whole, Fraction) else None
    return None
