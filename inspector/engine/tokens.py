"""The lexer for the arithmetic in chains of thought: one regular expression from text to tokens.

Chain text is untrusted model output, so it is never handed to ``eval`` or a computer algebra parser:
everything that is not arithmetic (words, punctuation, commands we do not evaluate) becomes a ``BREAK``,
which ends a formula. This is the hottest code path of a run (``benchmarks/verify_speed.py``): kinds are
an ``IntEnum`` so that they compare as the ints they are, and the module-level aliases (``NUM``, ``OP`` …)
are ``Final``: the compiled engine reads them as constants, never from the module's dict or the class.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from fractions import Fraction
from typing import Any, Final

from .limits import MAX_LITERAL_DIGITS, MAX_TOKENS, TRUNCATED, Unverifiable
from .native_attrs import mypyc_attr
from .rational import ratio
from .rational import whole as whole_fraction


class TokenKind(IntEnum):
    """What a token is. An ``IntEnum`` rather than bare ints: readable in a debugger, as fast to compare."""

    NUM = 0
    """A number: ``value`` a ``Fraction`` (also ``half`` in "half of", an ordinal's digits, a mixed number)."""
    OP = 1
    """An operator: ``value`` one of ``+ - * / ^ mod``."""
    LP = 2
    """An opening bracket; ``value`` ``abs``, ``floor`` or ``ceil`` for one that applies a function."""
    RP = 3
    """A closing bracket; ``value`` as for ``LP``."""
    EQ = 4
    """``=``: a relation between two sides."""
    APPROX = 5
    """``≈``, ``\\approx``, ``~=``: a relation that allows rounding."""
    SYM = 6
    """A letter (or π): ``value`` its name (``x``, ``a_8``, ``pi``)."""
    FRAC = 7
    """``\\frac``: takes two TeX arguments."""
    SQRT = 8
    """``\\sqrt`` or ``√``."""
    LB = 9
    """``{``: a TeX group."""
    RB = 10
    """``}``."""
    BANG = 11
    """``!``: a factorial."""
    PCT = 12
    """``%``: a percentage, or between two integers a remainder."""
    BREAK = 13
    """Anything else (words, punctuation, commands): ends a formula; ``value`` says what it was (``word`` …)."""
    OF = 14
    """``of`` after a percentage or a fraction (``20% of 50``), ``off`` after a percentage: a product."""


# Module-level aliases, ``Final`` so that the compiled engine reads each as a constant, not from the module's dict.
NUM: Final = TokenKind.NUM
OP: Final = TokenKind.OP
LP: Final = TokenKind.LP
RP: Final = TokenKind.RP
EQ: Final = TokenKind.EQ
APPROX: Final = TokenKind.APPROX
SYM: Final = TokenKind.SYM
FRAC: Final = TokenKind.FRAC
SQRT: Final = TokenKind.SQRT
LB: Final = TokenKind.LB
RB: Final = TokenKind.RB
BANG: Final = TokenKind.BANG
PCT: Final = TokenKind.PCT
BREAK: Final = TokenKind.BREAK
OF: Final = TokenKind.OF
KIND_NAMES: Final = [kind.name for kind in TokenKind]
"""The kinds' names, by value."""


@mypyc_attr(acyclic=True)
@dataclass(slots=True, init=False)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int
    value: Any
    """For NUM: a ``Fraction``; for OP: one of ``+ - * / ^``; for SYM: the letter's name."""
    decimals: int
    """For NUM: digits written after the point (how precise the writer claims to be)."""
    sig: int
    """For NUM: significant digits written (float noise has 15 or more)."""
    unit: str | None
    """For NUM: a unit written right after it (``1000 \\text{ m}``); for NUM also ``"..."`` when the
    digits trail off (``3.333\\ldots``), a value written only approximately."""
    word: str | None
    """For NUM: the words a computation is written around, right after it (``13 marbles + …``)."""

    # An explicit ``__init__`` (``init=False``): the one ``dataclass`` writes is exec'd Python, which the compiled
    # engine would call through the interpreter for every instance (a tenth of a run, for tokens alone).
    def __init__(self, kind: TokenKind, text: str, start: int, end: int, value: Any = None, decimals: int = 0,
                 sig: int = 0, unit: str | None = None, word: str | None = None) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.value = value
        self.decimals = decimals
        self.sig = sig
        self.unit = unit
        self.word = word


_TOKEN_PATTERN: Final = r"""
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
    """
_TOKEN_RE: Final = re.compile(_TOKEN_PATTERN, re.VERBOSE | re.DOTALL)
"""The whole lexer: each alternative tried in this order at each position (the order decides ties)."""

_FIRST_CHARS: Final = {
    "floorl": r"[\\⌊⌈]", "floorr": r"[\\⌋⌉]", "absl": r"\\", "absr": r"\\", "ratio": r"[ \t]", "emph": r"[*_]",
    "ws": "[ \t\r\u00a0\u2009\u202f\\\\$&^°]", "delim": r"\\", "text": r"\\", "ellipsis": r"[\\.…]",
    "numsub": "_", "func": "[fghpqFGHPQ]", "subsym": "[A-Za-z]", "hyphen": "[-–/]", "ordinal": r"\d", "time": r"\d",
    "num": r"[\d.]", "badnum": r"\d", "pct": r"[\\%]", "approx": r"[≈≃~\\]", "eq": "=",
    "op": r"[*+\-/^×·⋅∙÷−–‒﹣－\\]", "lp": r"[(\[\\]", "rp": r"[)\]\\]", "lb": r"\{", "rb": r"\}", "frac": r"\\",
    "sqrt": r"[\\√]", "bang": "!", "greek": r"[\\π]", "command": r"\\", "word": "[A-Za-z]", "article": "[aAI]",
    "letter": "[A-Za-z]", "sup": "[²³]", "other": "(?s:.)",
}
"""Every character each alternative of ``_TOKEN_PATTERN`` can start with (a superset: more costs only time).

Python's regex engine tries the alternatives one by one at every position, and ours start with a group or a
lookbehind, which it cannot rule out at a glance: a word went through thirty of them before ``word``. So
``tokenize`` looks at the character first and matches only the alternatives that can start with it, in
their order: the same token, for a fraction of the work (``tests/test_tokens_dispatch.py`` holds the two
equal)."""

_ALTERNATIVES: Final = [a.strip() for a in re.split(r"\n\s*\|(?=\(\?P<)", _TOKEN_PATTERN.strip())]
_ALT_NAMES: Final = [re.match(r"\(\?P<(\w+)>", a).group(1) for a in _ALTERNATIVES]  # type: ignore[union-attr]
_FIRST_RES: Final = [re.compile(_FIRST_CHARS[name]) for name in _ALT_NAMES]
_CODE_OF: Final = {name: k for k, name in enumerate(_ALT_NAMES)}
"""Each alternative's code, its place in the pattern: ``tokenize`` dispatches on these ints, not on the group names
(a string comparison each, some ten a token)."""
# The codes ``tokenize`` names (``tests/test_tokens_dispatch.py`` holds each to ``_CODE_OF``): literals, so that the
# compiled engine compares native ints.
_K_FLOORL: Final = 0
_K_FLOORR: Final = 1
_K_ABSL: Final = 2
_K_ABSR: Final = 3
_K_RATIO: Final = 4
_K_EMPH: Final = 5
_K_WS: Final = 6
_K_DELIM: Final = 7
_K_TEXT: Final = 8
_K_ELLIPSIS: Final = 9
_K_NUMSUB: Final = 10
_K_FUNC: Final = 11
_K_SUBSYM: Final = 12
_K_HYPHEN: Final = 13
_K_ORDINAL: Final = 14
_K_TIME: Final = 15
_K_NUM: Final = 16
_K_BADNUM: Final = 17
_K_PCT: Final = 18
_K_APPROX: Final = 19
_K_EQ: Final = 20
_K_OP: Final = 21
_K_LP: Final = 22
_K_RP: Final = 23
_K_LB: Final = 24
_K_RB: Final = 25
_K_FRAC: Final = 26
_K_SQRT: Final = 27
_K_BANG: Final = 28
_K_GREEK: Final = 29
_K_COMMAND: Final = 30
_K_WORD: Final = 31
_K_ARTICLE: Final = 32
_K_LETTER: Final = 33
_K_SUP: Final = 34
_K_OTHER: Final = 35
_BY_SIGNATURE: Final[dict[tuple[int, ...], re.Pattern[str]]] = {}
_BY_CHAR: Final[dict[str, re.Pattern[str]]] = {}
_MAX_CACHED_CHARS: Final = 4096
"""Distinct characters remembered: bounded, as hostile text may use any of Unicode's."""


def _matcher_for(ch: str) -> re.Pattern[str]:
    """The lexer cut down to the alternatives that can start with ``ch``, in their order."""
    signature = tuple(k for k, first in enumerate(_FIRST_RES) if first.fullmatch(ch))
    rx = _BY_SIGNATURE.get(signature)
    if rx is None:
        rx = _BY_SIGNATURE[signature] = re.compile(
            "|".join(_ALTERNATIVES[k] for k in signature), re.VERBOSE | re.DOTALL
        )
    if len(_BY_CHAR) < _MAX_CACHED_CHARS:
        _BY_CHAR[ch] = rx
    return rx

_OPERAND_AHEAD: Final = re.compile(r"[ \t]+(?:\\?\$[ \t]*)?(?:\d|\.\d|\(|\\[dtc]?frac)")

_OP_MAP: Final = {
    "+": "+", "-": "-", "−": "-", "–": "-", "‒": "-", "﹣": "-", "－": "-", "*": "*", "×": "*", "·": "*", "⋅": "*", "∙": "*",
    "\\cdot": "*", "\\times": "*", "\\ast": "*", "/": "/", "÷": "/", "\\div": "/", "^": "^", "**": "^",
}
_GREEK: Final = {"π": "pi"}
_CONNECTIVES: Final = frozenset(
    "\\implies \\Rightarrow \\rightarrow \\Longrightarrow \\longrightarrow \\iff \\Leftrightarrow \\to "
    "\\le \\ge \\leq \\geq \\neq \\ne \\lt \\gt \\quad \\qquad \\hspace \\and \\text \\therefore "
    "\\because \\end \\begin \\label \\tag \\nonumber \\hline".split()
)
_UNKNOWN_OPERATORS: Final = frozenset(
    "\\odot \\oplus \\otimes \\ominus \\oslash \\star \\circ \\diamond \\bullet \\triangle \\nabla "
    "\\wedge \\vee \\dagger \\boxplus \\boxtimes \\circledast \\heartsuit \\spadesuit \\clubsuit "
    "\\diamondsuit \\bigstar \\square \\S".split()
)
"""Binary operators a problem defines (``a \\star b = …``): a formula with one in it cannot be checked."""

_SIMPLE_KINDS: Final = {
    _K_EQ: EQ, _K_APPROX: APPROX, _K_LP: LP, _K_RP: RP, _K_LB: LB, _K_RB: RB, _K_FRAC: FRAC, _K_SQRT: SQRT,
    _K_PCT: PCT, _K_BANG: BANG,
}
_SIMPLE_BY_CODE: Final[tuple[TokenKind | None, ...]] = tuple(_SIMPLE_KINDS.get(code) for code in range(len(_ALT_NAMES)))
"""``_SIMPLE_KINDS`` by code, as a tuple: the token kind of an alternative whose token is only its kind, else None."""


_POINTS_OF_SCRIPTS: Final = {"٫": ".", "．": "."}
"""Decimal points other scripts write: the Arabic decimal separator, the fullwidth full stop."""


_PARSED: Final[dict[str, tuple[Fraction, int, int]]] = {}
_PARSED_SIZE: Final = 8192


def parse_number(text: str) -> tuple[Fraction, int, int]:
    """Read a numeric literal exactly: value, digits after the point, significant digits.

    Memoised: the same literals (2, 10, 100, 0.5) recur in every chain, and the result is immutable. In a dict, not
    ``functools.lru_cache``: the compiled tokenizer calls this directly, where a cached function is a Python call
    (some 700 instructions, for each number of every line). Emptied when full; a literal that is not a number
    raises each time.
    """
    hit = _PARSED.get(text)
    if hit is not None:
        return hit
    parsed = _parse_number(text)
    if len(_PARSED) >= _PARSED_SIZE:
        _PARSED.clear()
    _PARSED[text] = parsed
    return parsed


def _parse_number(text: str) -> tuple[Fraction, int, int]:
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
        value = ratio(int(whole or "0") * 10 ** len(frac) + int(frac), 10 ** len(frac))
        digits = (whole + frac).lstrip("0")
        return value, len(frac), len(digits)
    return whole_fraction(int(clean)), 0, len(clean.lstrip("0")) or 1


def _letter(ch: str) -> str | None:
    """A single-letter symbol, math-italic Unicode letters (𝑋) folded to plain ones."""
    if ch.isascii():
        return ch if ch.isalpha() else None
    if not ch.isalpha():
        return None
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 and folded.isascii() and folded.isalpha() else None


_SPECIAL_WORDS: Final = frozenset({"of", "mod", "off", "half", "percent"})
"""The words ``tokenize`` may read as more than a word (``20% of``, ``143 mod 11``, ``30% off``, ``half of``)."""

_WORD_RE: Final = re.compile(r"[A-Za-z]+(?:['’&][A-Za-z]+)+|[A-Za-z]{2,}(?:/[A-Za-z]+)+|[A-Za-z]{2,}")
"""The ``word`` alternative alone. At two ASCII letters in a row nothing before it in the lexer can match (``func``
wants a ``(`` second, ``subsym`` a ``_`` or a digit) and it always does: ``tokenize`` asks it directly."""
_PLAIN_INT_RE: Final = re.compile(r"[0-9]++(?!\d|[.,:{A-Za-z٫．]|[ \u00a0\u202f\u2009]\d)")
"""Digits followed by nothing that could make them more than a whole number: no point, comma, colon (a time), brace
(``1{,}000``), letter (``1st``) or a space before a digit (``1 000``). Then ``ordinal``, ``time`` and ``badnum`` cannot
match, ``num`` matches exactly these digits, and ``tokenize`` asks this instead of the lexer."""

def _is_letter(c: int) -> bool:
    """Is the code an ASCII letter?"""
    return 97 <= c <= 122 or 65 <= c <= 90


def _one_char_kind(c: int) -> int:
    """The code of the token a character is by itself, whatever is around it, or -1: no alternative that can start
    with one of these looks behind or ahead."""
    if c == 123:  # {
        return _K_LB
    if c == 125:  # }
        return _K_RB
    if c == 61:  # =
        return _K_EQ
    if c == 40 or c == 91:  # ( [
        return _K_LP
    if c == 41 or c == 93:  # ) ]
        return _K_RP
    if c == 43:  # +
        return _K_OP
    if c == 33:  # !
        return _K_BANG
    if c == 44 or c == 58 or c == 59 or c == 124 or c == 63 or c == 39 or c == 34 or c == 60 or c == 62 or c == 35 or (
            c == 64 or c == 96):  # , : ; | ? ' " < > # @ `
        return _K_OTHER
    return -1


_LONE_LETTER_BEFORE: Final = frozenset(")]}^=+-*/\\$,.;:!?|<>{[\"\n")
"""What may follow a letter for the letter to be a ``letter`` token of its own: not another letter (a word), a digit
or ``_`` (``a1``, ``a_1``), ``(`` (``f(3)``), a space (the article "a 7-2=25 year gap") or an apostrophe (``x'y``)."""

_COMMAND_KINDS: Final = {
    "frac": _K_FRAC, "dfrac": _K_FRAC, "tfrac": _K_FRAC, "cfrac": _K_FRAC, "sqrt": _K_SQRT,
    "cdot": _K_OP, "times": _K_OP, "div": _K_OP, "ast": _K_OP, "approx": _K_APPROX, "simeq": _K_APPROX,
    "sim": _K_APPROX, "lbrace": _K_LP, "rbrace": _K_RP, "lvert": _K_ABSL, "rvert": _K_ABSR,
    "lfloor": _K_FLOORL, "lceil": _K_FLOORL, "rfloor": _K_FLOORR, "rceil": _K_FLOORR,
    "quad": _K_WS, "qquad": _K_WS, "displaystyle": _K_WS, "boxed": _K_WS, "limits": _K_WS,
    **{f"{size}{side}": _K_WS for size in ("big", "Big", "bigg", "Bigg") for side in ("", "l", "r")},
    **{f"{a}dots{b}": _K_ELLIPSIS for a in ("", "l", "c") for b in ("", "b", "c")},
    **{name: _K_GREEK for name in ("pi", "alpha", "beta", "gamma", "theta", "lambda", "mu", "sigma", "phi", "omega")},
}
"""A LaTeX command's kind by its name, for every name the lexer reads as more than a ``command`` on the name alone
(each of those alternatives ends its name with ``(?![A-Za-z])``, and a name is all the letters after the
backslash)."""
_COMMANDS_LEXED: Final = frozenset({"text", "mathrm", "textbf", "mbox", "mathbf", "textrm", "operatorname", "overline"})
"""Commands whose token depends on what follows the name (``\\text{ m}``, ``\\overline{3}``): the lexer reads them."""
_COMMAND_PREFIXES_LEXED: Final = ("left", "right", "big", "Big", "limits")
"""Names the lexer reads together with what follows (``\\left|``, ``\\left\\lfloor``) or cuts short (``\\limits`` has
no look-ahead): the lexer reads these too."""


def _command_kind(text: str, pos: int, end: int) -> int:
    """The code of the token the lexer makes of the command ``text[pos:end]`` (a backslash and all the ASCII letters
    after it), or -1 where only the lexer can tell. A tenth of a chain's tokens are commands, and the lexer tried some
    twenty alternatives on each: this is one dictionary look-up (``tests/test_tokens_dispatch.py`` holds them equal)."""
    name = text[pos + 1 : end]
    kind = _COMMAND_KINDS.get(name)
    if kind is not None:
        return kind
    if name == "left" or name == "right":
        return _left_right_kind(text, end, name == "left")
    if name in _COMMANDS_LEXED or name.startswith(_COMMAND_PREFIXES_LEXED):
        return -1
    return _K_COMMAND


_FLOORS_AFTER_LEFT: Final = ("\\lfloor", "lfloor", "\\lceil", "lceil")
_FLOORS_AFTER_RIGHT: Final = ("\\rfloor", "rfloor", "\\rceil", "rceil")


def _left_right_kind(text: str, end: int, left: bool) -> int:
    """``\\left`` and ``\\right`` are read past as space (the bracket after them is read for itself), except before
    ``|`` (an absolute value) or a floor or ceiling bracket, which the lexer reads together with them: -1."""
    size = len(text)
    k = end
    while k < size and text[k].isspace():
        k += 1
    if k < size and (text[k] == "|" or text.startswith(_FLOORS_AFTER_LEFT if left else _FLOORS_AFTER_RIGHT, k)):
        return -1
    return _K_WS


def _letters_end(text: str, pos: int) -> int:
    """Where the run of ASCII letters from ``pos`` ends."""
    size = len(text)
    while pos < size and _is_letter(ord(text[pos])):
        pos += 1
    return pos


def _word_end(text: str, pos: int) -> int:
    """Where the ``word`` token at ``pos`` (two ASCII letters at least) ends: at the end of its letters unless an
    apostrophe, ``&`` or ``/`` joins more to it (``don't``, ``km/h``), which the regular expression reads."""
    end = _letters_end(text, pos + 2)
    if end < len(text):
        c = ord(text[end])
        if c == 39 or c == 8217 or c == 38 or c == 47:  # ' ’ & /
            word = _WORD_RE.match(text, pos)
            assert word is not None  # it matches any two letters
            return word.end()
    return end


def _plain_int_end(text: str, pos: int) -> int:
    """``_PLAIN_INT_RE.match(text, pos).end()`` without the regular expression, or -1 where it does not match (``pos``
    holds an ASCII digit)."""
    size = len(text)
    end = pos + 1
    while end < size and 48 <= ord(text[end]) <= 57:
        end += 1
    if end == size:
        return end
    c = ord(text[end])
    if c < 128:  # (not a digit: the loop took those)
        if c == 46 or c == 44 or c == 58 or c == 123 or _is_letter(c):  # . , : { or a letter
            return -1
        if c == 32 and end + 1 < size and text[end + 1].isdecimal():
            return -1  # 1 000
        return end
    if text[end].isdecimal() or c == 0x66B or c == 0xFF0E:  # another script's digit or decimal point (٫ ．)
        return -1
    if (c == 0xA0 or c == 0x202F or c == 0x2009) and end + 1 < size and text[end + 1].isdecimal():
        return -1
    return end


def _number_end(text: str, pos: int) -> int:
    """Where the ``num`` token the lexer reads at ``pos`` (an ASCII digit) ends, or -1 where only the lexer can tell:
    a whole number (``_plain_int_end``), one with decimals (``3.25``), or the digits before a full stop, a comma or a
    letter that is not part of them (``is 2.``, ``2, 3``, ``3x``). Digits grouped in thousands (``1,000``), a time, an
    ordinal and other scripts' digits are left to the lexer."""
    end = _plain_int_end(text, pos)
    if end >= 0:
        return end
    size = len(text)
    end = pos + 1
    while end < size and 48 <= ord(text[end]) <= 57:
        end += 1
    c = ord(text[end])  # (there is one: at the end of the text the digits are a plain whole number)
    n = ord(text[end + 1]) if end + 1 < size else -1
    if c == 46:  # .
        if 48 <= n <= 57:  # decimals: to the end of their digits, unless a comma or another script's digit follows
            k = end + 2
            while k < size and 48 <= ord(text[k]) <= 57:
                k += 1
            if k < size and (text[k] == "," or text[k].isdecimal()):
                return -1
            return k
        return -1 if n >= 0 and text[end + 1].isdecimal() else end  # a full stop after the digits
    if c == 44:  # ,
        return -1 if n >= 0 and (text[end + 1].isdecimal() or n == 92) else end  # (not 1,000 or 1,\!000)
    if _is_letter(c):
        return -1 if text.startswith(_ORDINAL_SUFFIXES, end) else end  # (not 1st, 22nd)
    if c == 123:  # {
        return -1 if text.startswith("{,}", end) else end  # (not 1{,}000)
    return -1


_ORDINAL_SUFFIXES: Final = ("st", "nd", "rd", "th")


def _is_article(text: str, pos: int) -> bool:
    """The ``article`` alternative at ``pos`` (``a``, ``A`` or ``I`` before a space or a tab): after a space, ``(`` or
    nothing, and before a letter, a dollar or a digit past the spaces (``a 7-2=25 year gap``)."""
    if pos > 0:
        prev = text[pos - 1]
        if prev != "(" and not prev.isspace():
            return False
    size = len(text)
    k = pos + 1
    while k < size and (text[k] == " " or text[k] == "\t"):
        k += 1
    if k == size:
        return False
    c = ord(text[k])
    if _is_letter(c) or c == 36:
        return True
    if c == 92:
        return k + 1 < size and text[k + 1] == "$"
    return text[k].isdecimal()


def _subscript_end(text: str, pos: int) -> int:
    """Where ``_{…}`` (ASCII letters, digits and commas, one to twelve) or ``_x`` (one ASCII letter or digit) at ``pos``
    ends, or -1 where neither is written: what makes the letter before it a ``subsym``."""
    size = len(text)
    if pos + 1 >= size:
        return -1
    c = ord(text[pos + 1])
    if c == 123:  # {
        k = pos + 2
        while k < size and k - pos - 2 <= 12:
            d = ord(text[k])
            if not (_is_letter(d) or 48 <= d <= 57 or d == 44):
                break
            k += 1
        return k + 1 if 1 <= k - pos - 2 <= 12 and k < size and text[k] == "}" else -1
    return pos + 2 if _is_letter(c) or 48 <= c <= 57 else -1


def _space_end(text: str, pos: int) -> int:
    """Where the run of spaces at ``pos`` (`` \t\r``, no-break and thin spaces) ends, or -1 where it may be a
    ``ratio``'s (``3 : 4``, after a digit), which the lexer reads."""
    size = len(text)
    k = pos
    while k < size and (text[k] == " " or text[k] == "\t"):
        k += 1
    if k > pos and k < size and text[k] == ":" and pos > 0 and text[pos - 1].isdecimal():
        return -1
    end = pos
    while end < size and _is_space(ord(text[end])):
        end += 1
    return end


def _is_space(c: int) -> bool:
    """A character of the ``ws`` alternative's run of spaces."""
    return c == 32 or c == 9 or c == 13 or c == 0xA0 or c == 0x2009 or c == 0x202F


def _caret_is_power(text: str, pos: int) -> bool:
    """Is the ``^`` at ``pos`` surely the power operator, not a degree sign (``^\\circ``, ``^{\\circ}``, read past as
    space)? It is when neither the character after it nor, after a ``{``, the one after that is a space or a
    backslash (the degree's ``\\circ`` may stand only after those)."""
    nxt = text[pos + 1 : pos + 2]
    if nxt == "{":
        nxt = text[pos + 2 : pos + 3]
    return not nxt or (nxt != "\\" and not nxt.isspace())


_FUNCTION_LETTERS: Final = frozenset(map(ord, "fghpqFGHPQ"))


def _is_hyphen(text: str, pos: int, minus: bool) -> bool:
    """The ``hyphen`` alternative at ``pos`` (``-``, or ``/`` where ``minus`` is false): between two letters and a word
    character (``ab-c``, ``km/h``), or, a minus only, between a word character and two letters (``45-pound``)."""
    size = len(text)
    if pos >= 2 and _is_letter(ord(text[pos - 1])) and _is_letter(ord(text[pos - 2])) and pos + 1 < size and (
            _word_char(text[pos + 1])):
        return True
    return minus and pos >= 1 and _word_char(text[pos - 1]) and pos + 2 < size and _is_letter(ord(text[pos + 1])) and (
        _is_letter(ord(text[pos + 2])))


def _word_char(ch: str) -> bool:
    """``\\w`` as the lexer's regular expressions read it: a letter or digit of any script, or ``_``."""
    return ch.isalnum() or ch == "_"


def _continues_space(c: int) -> bool:
    """May this character follow a space for the space to start more than a one-character ``ws`` token? More space
    (the run goes on: `` \t\r``, no-break and thin spaces) or ``:`` (``3 : 4``, a ``ratio``). After any other a space
    is a ``ws`` token of its own."""
    return c == 32 or c == 9 or c == 13 or c == 58 or c == 0xA0 or c == 0x2009 or c == 0x202F


def _shortcut(text: str, pos: int, last: int) -> tuple[int, int]:
    """The code and end of the token at ``pos``, read without the lexer where the characters there settle it; (-1,
    ``pos``) where only the lexer can tell. Characters are read as codes (``ord(text[i])``), which the compiled
    engine reads without making a string of each (``tests/test_tokens_dispatch.py`` holds every answer to the
    lexer's)."""
    c = ord(text[pos])
    n = ord(text[pos + 1]) if pos < last else -1
    if _is_space(c):
        if c == 32 and n >= 0 and not _continues_space(n):
            return _K_WS, pos + 1  # a lone space
        end = _space_end(text, pos)
        return (_K_WS, end) if end >= 0 else (-1, pos)
    if _is_letter(c):
        if _is_letter(n):
            return _K_WORD, _word_end(text, pos)
        if n < 0 or text[pos + 1] in _LONE_LETTER_BEFORE:
            return _K_LETTER, pos + 1
        if n == 32 or n == 9:  # before a space only "a", "A" and "I" can be more than a letter: an ``article``
            article = (c == 97 or c == 65 or c == 73) and _is_article(text, pos)
            return (_K_ARTICLE if article else _K_LETTER), pos + 1
        if n == 40:  # f(3): a function's name, where nothing but space or punctuation stands before it
            func = c in _FUNCTION_LETTERS and (pos == 0 or not (_is_letter(ord(text[pos - 1])) or text[pos - 1] == "\\"))
            return (_K_FUNC if func else _K_LETTER), pos + 1
        if n == 95:  # x_2, a_{12}
            end = _subscript_end(text, pos + 1)
            return (_K_SUBSYM, end) if end >= 0 else (_K_LETTER, pos + 1)
        return -1, pos
    if 48 <= c <= 57:
        end = _number_end(text, pos)
        return (_K_NUM, end) if end >= 0 else (-1, pos)
    if c == 92:  # a backslash
        if n == 40 or n == 41 or n == 91 or n == 93:  # \( \) \[ \]
            return _K_DELIM, pos + 2
        if _is_letter(n):  # \frac, \cdot, \sqrt, \pi, \sin …: the command's kind by its name
            end = _letters_end(text, pos + 1)
            kind = _command_kind(text, pos, end)
            return (kind, end) if kind >= 0 else (-1, pos)
        return -1, pos
    kind = _one_char_kind(c)
    if kind >= 0:
        return kind, pos + 1
    if c == 36:  # $: math delimiters are read past (no other alternative starts with "$")
        return _K_WS, pos + 1
    if c == 94:  # ^
        return (_K_OP, pos + 1) if _caret_is_power(text, pos) else (-1, pos)
    if c == 45 or c == 47:  # - and /: an operator, or a hyphen between words ("45-pound", "ab-cd", "km/h")
        return (_K_HYPHEN if _is_hyphen(text, pos, c == 45) else _K_OP), pos + 1
    if c == 95 and n != 95 and not (pos > 0 and text[pos - 1].isdecimal()):
        return _K_OTHER, pos + 1  # a lone _ (not __, markdown's emphasis, nor 52_8, a base)
    if c == 46 and (n < 0 or (n != 46 and n != 92 and not text[pos + 1].isdecimal())):
        return _K_OTHER, pos + 1  # ".", not "...", ".\overline{3}" or ".5"
    return -1, pos


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split ``text`` into math tokens; everything else becomes a BREAK (words, punctuation).

    Spans are offsets into the original text plus ``offset``, so a claim can be pointed at exactly.

    The loop is the hottest of a run: a lone space (a third of all matches) is stepped over without a regex, and
    the kinds are tested most frequent first (word, number, operator …).
    """
    tokens: list[Token] = []

    simple = _SIMPLE_BY_CODE
    count = 0
    by_char = _BY_CHAR
    last = len(text) - 1
    pos, size = 0, len(text)
    while pos < size:
        c = ord(text[pos])
        if c == 32 and pos < last and not _continues_space(ord(text[pos + 1])):
            pos += 1  # a lone space (``_shortcut`` reads it too; here it costs no call)
            continue
        lexed: re.Match[str] | None = None
        kind, end = _shortcut(text, pos, last)
        if kind < 0:
            ch = text[pos]
            lexed = (by_char.get(ch) or _matcher_for(ch)).match(text, pos)
            if lexed is None:  # pragma: no cover - "other" matches any character
                break
            end, kind = lexed.end(), _CODE_OF[lexed.lastgroup or "other"]
        if kind == _K_WS or kind == _K_EMPH:
            pos = end
            continue  # spaces, and markdown emphasis (**Total:** 30 - 5 = 25) around the text
        t = text[pos:end]  # the match starts at ``pos``: its text and span without asking the match object
        s = pos + offset
        e = end + offset
        pos = end
        count += 1
        if count > MAX_TOKENS:
            tokens.append(Token(BREAK, TRUNCATED, s, s, "command"))  # cut here: what follows is not read
            break
        if kind == _K_WORD:
            if (c != 111 and c != 109 and c != 104 and c != 112) or t not in _SPECIAL_WORDS:  # (o, m, h, p: see the set)
                tokens.append(Token(BREAK, t, s, e, "word"))
            elif t == "of" and tokens and (tokens[-1].kind == PCT or _ends_fraction(tokens)) and _OPERAND_AHEAD.match(
                text, end
            ):
                tokens.append(Token(OF, t, s, e, "*"))
            elif t == "of" and tokens and tokens[-1].kind == OF and tokens[-1].text == "off":
                continue  # "30% off of $80"
            elif t == "mod" and tokens and tokens[-1].kind in (NUM, RP) and _OPERAND_AHEAD.match(text, end):
                tokens.append(Token(OP, t, s, e, "mod"))  # 143 mod 11
            elif t == "off" and tokens and tokens[-1].kind == PCT:
                tokens.append(Token(OF, t, s, e, "*"))  # "30% off $80": the discount (or the price after it; see check)
            elif t == "percent" and tokens and tokens[-1].kind == NUM and tokens[-1].end + 1 >= s:
                tokens.append(Token(PCT, t, s, e))  # "1000 cents * 10 percent": 10%, as "%" reads
            elif t == "half" and end < len(text) and text.startswith(" of", end):
                tokens.append(Token(NUM, t, s, e, Fraction(1, 2), 0, 0))
            else:
                tokens.append(Token(BREAK, t, s, e, "word"))
        elif kind == _K_NUM:
            if len(t) > 1 and t[0] == "0" and t[1].isdigit():
                tokens.append(Token(BREAK, t, s, e, "word"))  # 0900: a clock time or a code, not a quantity
                continue
            try:
                value, dec, sig = parse_number(t)
            except Unverifiable:
                tokens.append(Token(BREAK, t, s, e, "long"))
                continue
            tokens.append(Token(NUM, t, s, e, value, dec, sig))
        elif kind == _K_OP:
            tokens.append(Token(OP, t, s, e, _OP_MAP[t]))
        elif (simple_kind := simple[kind]) is not None:
            tokens.append(Token(simple_kind, t, s, e))
        elif kind == _K_LETTER:
            tokens.append(Token(SYM, t, s, e, t))
        elif kind == _K_DELIM:
            tokens.append(Token(BREAK, t, s, e))  # \( \) \[ \]: one formula ends, another may begin
        elif kind == _K_COMMAND:
            # \sin, \log, \sum, \binom ...: what follows is an argument, not a standalone quantity;
            # \implies, \le ...: a relation or a connective, which only ends a formula;
            # \odot, \star ...: an operator the problem defines, which we cannot evaluate
            if t in _CONNECTIVES:
                tokens.append(Token(BREAK, t, s, e, None))
            elif t in _UNKNOWN_OPERATORS:
                tokens.append(Token(BREAK, t, s, e, "operator"))
            elif t == "\\bmod" or t == "\\mod":
                tokens.append(Token(OP, t, s, e, "mod"))
            else:
                tokens.append(Token(BREAK, t, s, e, "command"))
        elif kind == _K_SUBSYM:
            # a_{8}, a_8 and a8 (the subscript a plain-text writer could not type) are one name
            subscripted = t.replace("{", "").replace("}", "")
            tokens.append(Token(SYM, t, s, e, subscripted if "_" in subscripted else f"{t[0]}_{t[1:]}"))
        elif kind == _K_GREEK:
            tokens.append(Token(SYM, t, s, e, _GREEK.get(t, t.lstrip("\\"))))
        elif kind == _K_HYPHEN:
            # "1-handed", "45-pound", "minutes/100 meters": a hyphen or a unit's slash inside words, not arithmetic
            tokens.append(Token(BREAK, t, s, e, "word"))
        elif kind == _K_TIME or kind == _K_BADNUM or t == "&":
            tokens.append(Token(BREAK, t, s, e, "word"))  # 11:00, 16,0000, 0,2: not numbers we can read
        elif kind == _K_RATIO:
            tokens.append(Token(OP, ":", s, e, "/"))
        elif kind == _K_TEXT:
            # a unit after a number (1000 \text{ m}) rides on it; a label (\text{Area} =) is words
            assert lexed is not None  # (a ``text`` token comes from the lexer)
            content = (lexed.group(lexed.lastindex + 1) if lexed.lastindex else "") or ""
            if tokens and tokens[-1].kind == NUM and tokens[-1].end <= s and content.strip():
                tokens[-1].unit = content.strip()
            elif any(ch.isalpha() for ch in content):
                tokens.append(Token(BREAK, t, s, e, "word"))
        elif kind == _K_ELLIPSIS:
            if tokens and tokens[-1].kind == NUM:
                tokens[-1].unit = "..."  # 3.333..., 0.\overline{27}: only approximately that number
            elif tokens and tokens[-1].kind in (RB, RP, SYM) and tokens[-1].end + 1 >= s:
                # "\frac{7}{8} \cdots \frac{64}{65}": terms left out of a product or a sum written without
                # operators; neither what stands before it nor what stands after it is a whole side
                tokens.append(Token(BREAK, t, s, e, "elision"))
            else:
                tokens.append(Token(BREAK, t, s, e, "word"))  # "+ \dots +": what stands around it is not all there
        elif kind == _K_NUMSUB or kind == _K_FUNC:
            # 52_8, 42_{10}: a number in another base; f(3): a function, not f times 3
            tokens.append(Token(BREAK, t, s, e, "word"))
        elif kind == _K_ARTICLE:
            tokens.append(Token(BREAK, t, s, e, "word"))  # "a 7-2=25 year gap", "I have 3": English, not a symbol
        elif kind == _K_ORDINAL:
            # "6th place": the number, its suffix read past
            digits = t.rstrip("stndrh")
            tokens.append(Token(NUM, t, s, e, Fraction(int(digits)), 0, len(digits.lstrip("0")) or 1))
        elif kind == _K_FLOORL:
            tokens.append(Token(LP, t, s, e, "ceil" if "ceil" in t or t == "⌈" else "floor"))
        elif kind == _K_FLOORR:
            tokens.append(Token(RP, t, s, e, "ceil" if "ceil" in t or t == "⌉" else "floor"))
        elif kind == _K_ABSL:
            tokens.append(Token(LP, t, s, e, "abs"))
        elif kind == _K_ABSR:
            tokens.append(Token(RP, t, s, e, "abs"))
        elif kind == _K_SUP:
            tokens.append(Token(OP, "^", s, s, "^"))
            tokens.append(Token(NUM, t, s, e, Fraction(2 if t == "²" else 3), 0, 1))
        else:  # other: a math-italic letter, or punctuation that ends a formula
            name = _letter(t)
            if name is not None:
                tokens.append(Token(SYM, t, s, e, name))
            else:
                # @ # | ' " are custom operators, norms, primes, quotes: the formula goes on beyond us
                if t in "@#":
                    tokens.append(Token(BREAK, t, s, e, "operator"))
                else:
                    tokens.append(Token(BREAK, t, s, e, "word" if t in "|'\"_" else None))
    if len(tokens) >= 3:
        if "x" in text or not text.isascii():
            # only a symbol x can be "times" (a math-italic 𝑥 folds to one: hence non-ASCII text too)
            _fix_times_x(tokens)
        if "/" in text:
            # only a "/" written as such joins a mixed number (``_merge_mixed_numbers`` asks for the text "/")
            _merge_mixed_numbers(tokens)
    return tokens


_CALC_RE: Final = re.compile(r"(\d+(?:\.\d+)?|\.\d+)|(\*\*|[-+*/^])|([()])|(=)|[ ]+")
_CALC_ONLY_RE: Final = re.compile(r"[0-9.+\-*/^() =]*")
_CALC_KIND: Final = {"(": LP, ")": RP}


def tokenize_calculator(text: str, offset: int = 0) -> list[Token]:
    """The fast path for calculator text (GSM8K annotations): digits, ``+-*/^``, brackets, ``=``.

    Same tokens as ``tokenize`` gives for such text; anything else goes the general way.
    """
    if _CALC_ONLY_RE.fullmatch(text) is None or len(text) > 2000:
        return tokenize(text, offset)
    tokens: list[Token] = []

    for m in _CALC_RE.finditer(text):
        num, op, paren, eq = m.groups()
        s, e = m.span()
        if num is not None:
            if len(num) > 1 and num[0] == "0" and num[1].isdigit():
                tokens.append(Token(BREAK, num, s + offset, e + offset, "word"))
                continue
            try:
                value, dec, sig = parse_number(num)
            except Unverifiable:
                tokens.append(Token(BREAK, num, s + offset, e + offset, "long"))
                continue
            tokens.append(Token(NUM, num, s + offset, e + offset, value, dec, sig))
        elif op is not None:
            tokens.append(Token(OP, op, s + offset, e + offset, "^" if op == "**" else op))
        elif paren is not None:
            tokens.append(Token(_CALC_KIND[paren], paren, s + offset, e + offset))
        elif eq is not None:
            tokens.append(Token(EQ, eq, s + offset, e + offset))
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
