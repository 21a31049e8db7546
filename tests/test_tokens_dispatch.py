"""The lexer's first-character dispatch (``tokens._matcher_for``) finds exactly the tokens the whole regex does.

``tokenize`` matches, at each position, only the alternatives that can start with the character there; this
holds it to the full pattern (``tokens._TOKEN_RE``) on text built from the pieces the lexer cares about.
"""

from __future__ import annotations

import random

from inspector.engine import tokens as T

_PIECES = [
    "\\left|", "\\right|", "\\lfloor", "\\rceil", "⌊", "⌉", "\\lvert", "\\text{ m}", "\\mathrm{cm}^2", "\\frac", "\\dfrac",
    "\\sqrt", "√", "\\approx", "\\sim", "~=", "≈", "\\cdot", "\\times", " : ", "**", "__", "\\overline{3}", ".\\overline3",
    "...", "\\ldots", "…", "1st", "22nd", "12:30", "1,000", "1{,}000", "3,2", "16,0000", "52_8", "a_{12}", "x2", "f(",
    "a 3", "I $", "\\,", "\\quad", "\\boxed", "^\\circ", "°", "\\$", "$", "& =", "\\{", "\\}", "\\lbrace", "\\bmod", " of ",
    "half of", "3-pound", "ab-cd", "\\(", "\\]", "π", "\\pi", "²", "³", "٣٫٥", "３", "𝑋", "%", "\\%", "!", "=", "−", "÷",
    "\\displaystyle", "\\big(", "\\Bigr]", "\\odot", "\\implies", "\\sin", "don't", "km/h", "\t", "\n", "\u00a0", "@", "#",
]
_COMMANDS = [
    "\\" + name for name in (
        "frac", "dfrac", "tfrac", "cfrac", "fracx", "sqrt", "sqrtx", "cdot", "cdots", "cdotsb", "ldotsc", "dots",
        "dotsx",
        "times", "div", "ast", "approx", "approxeq", "simeq", "sim", "lbrace", "rbrace", "lvert", "rvertx", "lfloor",
        "rceil", "lfloorx", "quad", "qquad", "displaystyle", "boxed", "limits", "limitsx", "pi", "pix", "omega", "mu",
        "text", "textit", "mathrm", "mbox", "overline", "left", "leftarrow", "right", "rightarrow", "big", "Bigl",
        "biggr", "bigcup", "sin", "log", "implies", "odot", "bmod", "mod", "le", "neq",
    )
]
"""LaTeX commands, for ``tokenize``'s reading of a command by its name."""
_CHARS = list("0123456789.,;:+-*/^=()[]{}\\_$&%!?'\"|<>~ abcxyzAIfgpqFGHPQ") + ["–", "×", "·", "≃", "\u2009", "é"]


def _scan(text: str) -> list[tuple[tuple[int, int], str | None, str | None]]:
    out = []
    pos = 0
    while pos < len(text):
        m = T._matcher_for(text[pos]).match(text, pos)
        assert m is not None
        out.append((m.span(), m.lastgroup, m.group(m.lastindex + 1) if m.lastgroup == "text" and m.lastindex else None))
        pos = m.end()
    return out


def _full(text: str) -> list[tuple[tuple[int, int], str | None, str | None]]:
    return [(m.span(), m.lastgroup, m.group(m.lastindex + 1) if m.lastgroup == "text" and m.lastindex else None)
            for m in T._TOKEN_RE.finditer(text)]


def test_every_alternative_has_its_first_characters() -> None:
    assert T._ALT_NAMES[-1] == "other" and set(T._ALT_NAMES) == set(T._FIRST_CHARS)


def test_dispatch_matches_the_whole_pattern() -> None:
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(_PIECES) if rng.random() < 0.35 else rng.choice(_CHARS)
                       for _ in range(rng.randint(1, 25)))
        assert _scan(text) == _full(text), text


def test_dispatch_on_real_lines() -> None:
    for text in [
        "So $3 \\times 4 = 12$ and \\( \\frac{1}{2} \\cdot 8 = 4 \\).",
        "**Total:** 30 - 5 = 25 apples, i.e. 1,200 m \\approx 1.2 km; 12:30 is the 1st time.",
        "\\left| x - 3 \\right| = \\lfloor 7.5 \\rfloor - 4, a_8 = 2^{3}, 52_8 = 42_{10}, f(3) = 9",
    ]:
        assert _scan(text) == _full(text)


def _shortcut(text: str, pos: int) -> tuple[str, int] | None:
    """What ``tokenize``'s shortcuts (before the lexer) read at ``pos``: (kind, end), or None where none applies."""
    code, end = T._shortcut(text, pos, len(text) - 1)
    return None if code < 0 else (T._ALT_NAMES[code], end)


def test_kind_codes_are_the_alternatives_places() -> None:
    named = {name[3:].lower(): value for name, value in vars(T).items() if name.startswith("_K_")}
    assert named == T._CODE_OF


def test_tokenize_shortcuts_read_what_the_lexer_reads() -> None:
    """A lone space, a word, a plain whole number, ``\\(``, a bracket or an ``=``, a lone letter: read without the
    lexer, as the lexer reads them."""
    rng = random.Random(11)
    pieces = _PIECES + ["12 345", "1 000", "7 : 3", "3.5", "٣", "1٫5", "12٣", "2 x 3", "don’t", "km/h", "cat&dog",
                        "a 3", "I (", "f(x)", "x_1", "x1", "(a)", "a)", "3!", "!=", "a,b", "a:b", "|x|", "x^2",
                        "^\\circ", "^{\\circ}", "^ {\\circ}", "^{ \\circ}", "^\u00a0\\circ", "x^{2}", "ab-cd", "a-bc", "é-x", "x-1",
                        "1-2", "_-", "3.5", ".5", "...", "x y", "b\t3", "A b", "I 2", "(a x", "n $", ".\\overline3", "a.b", "٣.", ".٣", "$5", "\\$",
                        "is 2.", "2, 3", "3x", "4th", "4thx", "12.25,1", "3.5٣", "2.٣", "2,\\!000", "7{,}5", "  :", " \t: 3",
                        "\u00a0 ", "\r", "a_{n+1}", "x_{12}", "x_{1234567890123}", "y_}", "q(", "af(", "\\g(", "km/h", "ab-c",
                        "4-pound", "a-", "__", "2_", "_x", "`", "<", ">", "#", "@", "\\left(", "\\left |", "\\left\\lfloor",
                        "\\right lceil", "\\right]", "\\bigl(", "\\Biggr|", "\\bigcup", "( A $3", "a \\$", "I \t7"] + _COMMANDS
    seen = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) if rng.random() < 0.35 else rng.choice(_CHARS)
                       for _ in range(rng.randint(1, 25)))
        for pos in range(len(text)):
            got = _shortcut(text, pos)
            if got is None:
                continue
            seen += 1
            m = T._TOKEN_RE.match(text, pos)
            assert m is not None and (m.lastgroup, m.end()) == got, (text, pos)
    assert seen > 10000


def test_word_and_number_scans_are_their_patterns() -> None:
    """``_word_end`` and ``_plain_int_end`` (loops over characters) end where ``_WORD_RE`` and ``_PLAIN_INT_RE`` do."""
    rng = random.Random(5)
    alphabet = list("ab12 .,:{'’&/_x\u00a0\u2009") + ["٣", "٫", "３", "．", "Z"]
    checked = 0
    for _ in range(30000):
        text = rng.choice(["ab", "7", "12"]) + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        if text[:2].isascii() and text[:2].isalpha():
            assert T._word_end(text, 0) == T._WORD_RE.match(text, 0).end(), text  # type: ignore[union-attr]
        if text[0] in "0123456789":
            m = T._PLAIN_INT_RE.match(text, 0)
            assert T._plain_int_end(text, 0) == (m.end() if m else -1), text
            checked += m is None
    assert checked > 1000  # digits that are more than a whole number were met, not only plain ones

