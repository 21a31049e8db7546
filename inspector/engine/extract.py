"""Extract every arithmetic statement of a step: inline equalities, LaTeX math, GSM8K annotations.

A statement here is a *formula*: two or more sides joined by ``=`` or ``≈``, each side a parsed
tree (or the reason it could not be parsed), with exact spans. Checking them is ``check``'s job.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from .arith import (
    APPROX,
    BREAK,
    EQ,
    FRAC,
    LB,
    LP,
    MAX_TOKENS,
    NUM,
    OP,
    PCT,
    RB,
    RP,
    SQRT,
    SYM,
    TRUNCATED,
    Node,
    Token,
    Unverifiable,
    approximate,
    parse_number,
    parse_tokens,
    tokenize,
    tokenize_calculator,
)
from .model import Span
from .native_attrs import mypyc_attr
from .scan import past_blanks

_ANNOTATION_RE: Final = re.compile(r"<<([^<>\n]{0,400})>>")
_VISIBLE_RE: Final = re.compile(
    r"[ \t]*+\\?\$?[ \t]*+(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+(?![.\d]))?|-?\.\d+)(?![\d.]\d)"
)
_ECHO_RE: Final = re.compile(r"=[ \t]*\\?\$?[ \t]*(?=[ ]{5})")
_BULLET_RE: Final = re.compile(r"[ \t]*(?:[-*•][ \t]+|\d{1,2}[.)][ \t]+|&)")


def _may_be_bullet(line: str) -> bool:
    """Could ``_BULLET_RE`` match at the start of ``line``? Only if its first character past the spaces is a bullet,
    ``&`` or a digit (``\\d``: of any script); most lines are answered here, without the pattern."""
    k = past_blanks(line, 0, len(line))
    return k < len(line) and (line[k] in "-*•&" or line[k].isdecimal())


@mypyc_attr(acyclic=True)
@dataclass(slots=True, init=False)
class Side:
    tokens: list[Token]
    start: int
    end: int
    node: Node | None
    error: str | None
    unit: str | None
    """The word right after the side (``50 cents``), when there is one."""
    _approx: tuple[Fraction | None] | None

    # explicit ``__init__``: see ``Token``'s (the compiled engine would call ``dataclass``'s through the interpreter)
    def __init__(self, tokens: list[Token], start: int, end: int, node: Node | None = None, error: str | None = None,
                 unit: str | None = None) -> None:
        self.tokens = tokens
        self.start = start
        self.end = end
        self.node = node
        self.error = error
        self.unit = unit
        self._approx = None

    def approximate(self) -> Fraction | None:
        """The side's value to 60 digits (``arith.approximate``), None without one (letters, a complex
        value); computed once: a side is compared as computed, as stated, and again in a later pass, and a
        root to 60 digits costs a Decimal logarithm."""
        if self._approx is None:
            self._approx = (approximate(self.node, 60) if self.node is not None else None,)
        return self._approx[0]

    @property
    def is_literal(self) -> bool:
        """A bare number as written (``12``, ``-3.5``, ``20%``): what rounding rules apply to."""
        toks = self.tokens
        first, end = 0, len(toks)  # the tokens [first, end) without a leading minus and a trailing %
        if end and toks[0].kind == OP and toks[0].value == "-":
            first = 1
        if end > first and toks[end - 1].kind == PCT:
            end -= 1
        return end - first == 1 and toks[first].kind == NUM

    @property
    def literal(self) -> Token | None:
        for t in self.tokens:
            if t.kind == NUM:
                return t
        return None


@mypyc_attr(acyclic=True)
@dataclass(slots=True, init=False)
class Formula:
    """Sides joined by relations, found at one place of one line."""

    step: int
    line: int
    kind: str
    """``inline`` (text or LaTeX), ``annotation`` (GSM8K ``<<...>>``) or ``continuation`` (``= ...``)."""
    sides: list[Side]
    relations: list[int]
    start: int
    end: int
    context: LineContext | None
    visible: Token | None
    """For annotations: the number written right after ``>>``."""
    cut_left: bool

    # explicit ``__init__``: see ``Token``'s (the compiled engine would call ``dataclass``'s through the interpreter)
    def __init__(self, step: int, line: int, kind: str, sides: list[Side], relations: list[int], start: int, end: int,
                 context: LineContext | None = None, visible: Token | None = None, cut_left: bool = False) -> None:
        self.step = step
        self.line = line
        self.kind = kind
        self.sides = sides
        self.relations = relations
        self.start = start
        self.end = end
        self.context = context
        self.visible = visible
        self.cut_left = cut_left

    @property
    def span(self) -> Span:
        return (self.start, self.end)

    @property
    def approx_line(self) -> bool:
        """Does the line mark its numbers approximate ("about", "rounded", ...)?"""
        return self.context is not None and self.context.approximate


@mypyc_attr(acyclic=True)
class LineContext:
    """The line a formula sits in. Whether it says "about" is looked up only when a check needs it:
    most claims are exact, and a word search on every line cost a tenth of the run."""

    __slots__ = ("_approximate", "end", "line", "start", "words")

    def __init__(self, line: str, words: tuple[str, ...], start: int = 0) -> None:
        self.line = line
        self.words = words
        self.start = start
        """Where the line starts in the chain text."""
        self.end = start + len(line)
        self._approximate: bool | None = None

    @property
    def approximate(self) -> bool:
        if self._approximate is None:
            self._approximate = bool(self.words) and _approx_re(self.words).search(self.line) is not None
        return self._approximate

    @property
    def rounding(self) -> str | None:
        """How the line says it rounds: ``up``, ``down``, ``nearest`` (it must then round correctly), or None."""
        m = _ROUNDING_RE.search(self.line)
        if m is None:
            return None
        return "up" if m.group(1) else "down" if m.group(2) else "nearest"


_ROUNDING_RE: Final = re.compile(
    r"(?i)\bround(?:ed|ing|s)?\s+(?:it\s+|this\s+|that\s+)?(?:(up)|(down))\b|\bround(?:ed|ing|s)?\b|\bnearest\b"
)


def _parse_side(side: Side) -> None:
    try:
        side.node = parse_tokens(side.tokens)
    except Unverifiable as exc:
        side.error = str(exc)
    except RecursionError:
        side.error = "nesting too deep"


def split_sides(tokens: list[Token]) -> tuple[list[list[Token]], list[int]]:
    sides: list[list[Token]] = [[]]
    relations: list[int] = []
    for t in tokens:
        if t.kind in (EQ, APPROX):
            relations.append(t.kind)
            sides.append([])
        else:
            sides[-1].append(t)
    return sides, relations


_LINES: Final[dict[tuple[str, bool, tuple[str, ...]], tuple[int, list[Formula]]]] = {}
"""The lines of this chain read so far, by their text (and what else ``extract_line`` reads): where each was read,
and its formulas."""
_LINES_SIZE: Final = 4096


def forget_lines() -> None:
    """Begin a chain: the lines remembered are each chain's own. Kept across chains, the formulas of thousands of
    lines stayed alive, and every full collection of the garbage collector walked them: it cost more than the
    lines another chain shares saved."""
    _LINES.clear()


def extract_line(
    text: str, step: int, line_no: int, start: int, end: int, approx_words: tuple[str, ...],
    continued: bool = False,
) -> list[Formula]:
    """Every formula of one line ``text[start:end]``.

    ``continued`` says the next line starts with ``=``: then a bare expression here (``4 \\times 25 +
    3 \\times 12``) is the start of a derivation and is kept as a one-sided formula.

    A line read before in this chain is not read again: its formulas are those of the first reading, moved to where
    this one stands (``_moved``). Half the lines of a Spurious Rewards chain repeat one above them (a base model that
    loops writes the same lines again and again). What a line yields depends on its text alone (tokens, trees and spans are made from ``line``, offsets
    from ``start``), except for GSM8K's ``<<…>>``, whose visible result is read after it: those lines are always
    read. Formulas are not changed once made, so the first reading can be kept as it is. Bounded: emptied when
    full.
    """
    line = text[start:end]
    if "<<" in line:
        return _extract_line(text, step, line_no, start, end, approx_words, continued)
    key = (line, continued, approx_words)
    known = _LINES.get(key)
    if known is not None:
        return _moved(known[1], start - known[0], step, line_no) if known[1] else []
    formulas = _extract_line(text, step, line_no, start, end, approx_words, continued)
    if len(_LINES) >= _LINES_SIZE:
        _LINES.clear()
    _LINES[key] = (start, formulas)
    return formulas


def _moved(formulas: list[Formula], delta: int, step: int, line_no: int) -> list[Formula]:
    """Copies of one line's formulas for the same text ``delta`` characters on, in step ``step`` at line ``line_no``:
    every token, side, tree and span moved, each token copied once (a token two sides or a side and a tree share
    stays shared)."""
    mover = _Mover(delta)
    return [
        Formula(step, line_no, f.kind, [mover.side(sd) for sd in f.sides], list(f.relations), f.start + delta,
                f.end + delta, mover.context(f.context) if f.context is not None else None,
                mover.token(f.visible) if f.visible is not None else None, f.cut_left)
        for f in formulas
    ]


class _Mover:
    """What ``_moved`` copies, each thing once (a class, not closures: the compiled engine calls its methods directly,
    where it called a closure as a Python object, for every token and tree node)."""

    def __init__(self, delta: int) -> None:
        self.delta = delta
        self.tokens: dict[int, Token] = {}
        self.contexts: dict[int, LineContext] = {}

    def token(self, t: Token) -> Token:
        moved = self.tokens.get(id(t))
        if moved is None:
            delta = self.delta
            moved = self.tokens[id(t)] = Token(t.kind, t.text, t.start + delta, t.end + delta, t.value, t.decimals,
                                               t.sig, t.unit, t.word)
        return moved

    def part(self, p: Any) -> Any:
        if isinstance(p, Token):
            return self.token(p)
        if isinstance(p, tuple):
            return tuple([self.part(q) for q in p])
        if isinstance(p, list):
            return [self.part(q) for q in p]
        return p

    def side(self, sd: Side) -> Side:
        delta = self.delta
        moved = Side([self.token(t) for t in sd.tokens], sd.start + delta, sd.end + delta,
                     self.part(sd.node) if sd.node is not None else None, sd.error, sd.unit)
        moved._approx = sd._approx
        return moved

    def context(self, c: LineContext) -> LineContext:
        moved = self.contexts.get(id(c))
        if moved is None:
            moved = self.contexts[id(c)] = LineContext(c.line, c.words, c.start + self.delta)
            moved._approximate = c._approximate
        return moved


def _extract_line(
    text: str, step: int, line_no: int, start: int, end: int, approx_words: tuple[str, ...], continued: bool,
) -> list[Formula]:
    """``extract_line``, read."""
    formulas: list[Formula] = []
    line = text[start:end]
    approx_line = LineContext(line, approx_words, start)
    ann_spans: list[tuple[int, int]] = []
    if "<<" in line:
        for m in _ANNOTATION_RE.finditer(text, start, end):
            ann_spans.append((m.start(), m.end()))
            formulas.append(_annotation(text, m, step, line_no, approx_line))
        if ann_spans:
            # the visible text around an annotation repeats it; check the annotation, not the echo
            pieces, pos = [], 0
            for s, e in ann_spans:
                pieces.append(line[pos : s - start])
                pieces.append(" " * (e - s))
                pos = e - start
            pieces.append(line[pos:])
            line = "".join(pieces)
            # an "=" right before an annotation only echoes it: nothing else on the line to check
            if "=" not in _ECHO_RE.sub("", line) and "≈" not in line and "\\approx" not in line:
                return formulas
    if "actori" in line:
        formulas.extend(_factorizations(text, line, start, step, line_no, approx_line))
    if "=" not in line and "≈" not in line and "\\approx" not in line and not _says_result_in_words(line):
        if continued and not ann_spans:
            expression = _bare_expression(line, start, step, line_no)
            if expression is not None:
                formulas.append(expression)
        return formulas
    bullet = _BULLET_RE.match(line) if _may_be_bullet(line) else None
    body_start = bullet.end() if bullet else 0
    tokens = _letter_products(tokenize(line[body_start:], start + body_start))
    if tokens and tokens[-1].text == TRUNCATED:
        cut = Side([], tokens[-1].start, end, error=f"line of more than {MAX_TOKENS} tokens: the rest is not read")
        formulas.append(Formula(step, line_no, "truncated", [cut], [], cut.start, end))
    if len(tokens) > 2 and any(t.kind == BREAK and t.value == "word" for t in tokens):
        tokens = _read_through_words(_without_asides(tokens))
    run: list[Token] = []
    prev_break: Token | None = None
    first_run = True
    open_sum = False
    """The run before ended in the middle of a computation ("20 + 10 decorations to the 29 + 24 … = 83")."""
    words_since = 0
    run_relation = run_operator = False
    """Whether the run holds a relation (``=``, ``≈``: a formula only then) or an operator: kept as it grows."""
    for tok in tokens + [Token(BREAK, "", end, end)]:
        kind = tok.kind
        if kind != BREAK:
            run.append(tok)
            if kind == EQ or kind == APPROX:
                run_relation = True
            elif kind == OP:
                run_operator = True
            continue
        if not run:
            if tok.value == "word":
                words_since += 1
            else:
                open_sum = False
        if run:
            f = _formula_from_run(run, prev_break, tok, first_run, step, line_no, approx_line,
                                  open_sum and words_since <= _MAX_FILLER + 1) if run_relation else None
            open_sum = tok.value == "word" and run_operator and not run_relation
            run_relation = run_operator = False
            words_since = 1
            if f is not None and tok.value == "word" and f.sides[-1].end == run[-1].end:
                f.sides[-1].unit = tok.text.lower()
            if f is not None and not any(s < f.end and f.start < e for s, e in ann_spans):
                formulas.append(f)
            first_run = False
            run = []
        prev_break = tok
    return formulas


_CLAUSE_WORDS: Final = frozenset(
    "and or is are was were be been so then which that thus therefore hence gives give get gets got we it "
    "this these those to if but when where since because equals makes yields while whereas than".split()
)
"""Words that end a formula: a new clause begins. Other words inside a computation are read past."""
_RESULT_WORDS: Final = frozenset({"is", "equals", "gives", "makes", "yields"})
"""``40 / 8 is 6``: a result stated in words right after an operation."""
_MAX_FILLER: Final = 3
_RESULT_IN_WORDS_RE: Final = re.compile(
    r"\d[\w ]{0,30}?\s(?:is|equals|gives|makes|yields)\s+\$?\d|can be (?:written|expressed|rewritten|simplified)|"
    r"simplifies to"
)
_RESULT_WORD_AFTER_RE: Final = re.compile(r"\s(?:is|equals|gives|makes|yields)\s+\$?\d")
"""The part of ``_RESULT_IN_WORDS_RE``'s first alternative after the number: found fast, as it opens with a space."""


def _says_result_in_words(line: str) -> bool:
    """``_RESULT_IN_WORDS_RE.search(line) is not None``, asked of every line without an ``=``. That pattern opens
    with ``\\d[\\w ]{0,30}?``, which Python's engine tries (and backtracks) at every digit of the line; this finds
    the words first and looks back from each for the number, as the pattern would have read it."""
    if "can be " in line or "simplifies to" in line:
        return _RESULT_IN_WORDS_RE.search(line) is not None
    if not ("is" in line or "equals" in line or "gives" in line or "makes" in line or "yields" in line):
        return False  # none of the words: most lines, answered without the pattern
    for m in _RESULT_WORD_AFTER_RE.finditer(line):
        at = m.start()
        k = at - 1
        while k >= 0 and k >= at - 31:
            ch = line[k]
            if ch.isdecimal():
                return True  # a digit, then at most 30 word characters or spaces, then the words
            if not (ch.isalnum() or ch == "_" or ch == " "):
                break
            k -= 1
    return False


def _letter_products(tokens: list[Token]) -> list[Token]:
    """``2bc`` in ``b^2 − 2bc + c^2`` is 2·b·c, not 2 with a unit "bc": a run of two or three letters glued to a
    number is a product of letters when each of them stands alone as a symbol elsewhere in the line (``5km``,
    where neither k nor m does, keeps its unit)."""
    glued = [k for k in range(1, len(tokens)) if tokens[k].kind == BREAK and _short_letters(tokens[k])
             and ((tokens[k - 1].kind == NUM and tokens[k - 1].end == tokens[k].start)
                  or _between_operators(tokens, k) or _braced(tokens, k))]
    if not glued:
        return tokens
    symbols = {t.value for t in tokens if t.kind == SYM}
    out = list(tokens)
    for k in reversed(glued):
        word = tokens[k]
        # between "=" (or an operator) and more mathematics: "= yz \sqrt{2}"; in braces or between operators
        # only where each letter stands alone elsewhere ("{ab + bc + ac}" beside "a", "b", "c")
        inside = _between_operators(tokens, k)
        if inside or all(ch in symbols for ch in word.text):
            out[k : k + 1] = [Token(SYM, ch, word.start + n, word.start + n + 1, ch) for n, ch in enumerate(word.text)]
    return out


# (module functions, not closures in ``_letter_products``: the compiled engine calls a closure as a Python object)
def _short_letters(t: Token) -> bool:
    return (t.kind == BREAK and t.value == "word" and 2 <= len(t.text) <= 3 and t.text.isascii()
            and t.text.isalpha() and t.text.lower() not in _SHORT_WORDS)


def _braced(tokens: list[Token], k: int) -> bool:
    """``\\frac{a}{bc}``, ``{ab + bc + ac}``: between a brace or an operator and a brace or an operator."""
    return (k + 1 < len(tokens) and tokens[k - 1].kind in (LB, OP, EQ, LP)
            and tokens[k + 1].kind in (RB, OP, EQ, RP) and (tokens[k - 1].kind == LB or tokens[k + 1].kind == RB
                                                            or tokens[k - 1].kind == OP == tokens[k + 1].kind))


def _between_operators(tokens: list[Token], k: int) -> bool:
    return (tokens[k - 1].kind in (EQ, OP) and k + 1 < len(tokens)
            and tokens[k + 1].kind in (SQRT, FRAC, LP, SYM, OP, EQ))


_SHORT_WORDS: Final = frozenset(
    "and or the per so as at by for to is of in on an we if it be are was its has not but let all any one two six "
    "ten yes no see use get set put our has had can may".split()
)
"""Two- and three-letter English words that can stand between an "=" and mathematics: never letter products."""


def _without_asides(tokens: list[Token]) -> list[Token]:
    """A quantity restated in brackets right after a number (``$0.20 (20 cents)``, ``1.5 (90 minutes)``) is an aside,
    not a factor: the brackets become one break, so the number before them is a whole side (read through its unit
    word, ``0.20 (20)`` was 0.20 × 20). After a word (``2 hours (120 minutes)``) brackets start no product anyway."""
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if (t.kind == LP and t.value is None and out and out[-1].kind == NUM and i + 3 < n
                and tokens[i + 1].kind == NUM and tokens[i + 2].kind == BREAK and tokens[i + 2].value == "word"):
            k = i + 2
            while k < n and tokens[k].kind == BREAK and tokens[k].value == "word":
                k += 1
            if k < n and tokens[k].kind == RP and tokens[k].value is None:
                out.append(Token(BREAK, "(", t.start, tokens[k].end))  # the aside, as punctuation: the side ends
                i = k + 1
                continue
        out.append(t)
        i += 1
    return out


def _read_through_words(tokens: list[Token]) -> list[Token]:
    """Drop the words a computation is written around, so the formula is read whole.

    ``360 inches / 30 inches/day = 12 days`` is 360 / 30 = 12; ``$10 per hour * 5 hours`` is 10 * 5;
    ``40 + over 40 = 80`` is 40 + 40 = 80: a unit between an operand and its operator, or a word between
    an operator and its operand, belongs to the formula, not to the prose. A unit before ``=`` is read
    past only after a computation (``2 years = 24 months`` is a conversion, not arithmetic). A result in
    words (``40 / 8 is 6``) becomes ``=``. Clause words (``and``, ``so``, ``which`` …) always end a formula.
    """
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.kind != BREAK or t.value != "word" or not out:
            out.append(t)
            i += 1
            continue
        if out[-1].kind == BREAK and out[-1].text not in _INLINE_DELIMS:
            out.append(t)  # a word after a word: none of the readings below starts here
            i += 1
            continue
        phrase = _relation_phrase(tokens, i) if t.text.lower() in _PHRASE_STARTS else 0
        if phrase:
            # "828 can be written as 276√3", "\(x\) is equal to \(5\)": a relation in words
            k = len(out)
            while k and out[k - 1].kind == BREAK and out[k - 1].text in _INLINE_DELIMS:
                k -= 1
            j = i + phrase
            while j < n and tokens[j].kind == BREAK and tokens[j].text in _INLINE_DELIMS:
                j += 1
            if k and out[k - 1].kind in (NUM, RP, RB, SYM) and j < n and tokens[j].kind in (NUM, LP, LB, FRAC, SQRT, SYM):
                del out[k:]
                out.append(Token(EQ, " ".join(w.text for w in tokens[i : i + phrase]), t.start, tokens[i + phrase - 1].end))
                i = j
                continue
        prev = out[-1]
        word = t.text.lower()
        if word in _RESULT_WORDS and prev.kind in (NUM, RP) and i + 1 < n and tokens[i + 1].kind == NUM \
                and _computing(out):
            out.append(Token(EQ, t.text, t.start, t.end))
            i += 1
            continue
        j = i
        while (j < n and j - i < _MAX_FILLER and tokens[j].kind == BREAK and tokens[j].value == "word"
               and tokens[j].text.lower() not in _CLAUSE_WORDS and tokens[j].text.replace("/", "").isalpha()
               and (len(tokens[j].text) > 1 or tokens[j].text in "aA")):  # g(4) is a function, not a word
            j += 1
        nxt = tokens[j] if j < n else None
        if j > i and nxt is not None and (
            (prev.kind in (NUM, RP) and (nxt.kind == OP and nxt.value in "+-*/" or nxt.kind == RP))
            or (prev.kind == OP and prev.value in "+-*/" and nxt.kind in (NUM, LP, FRAC, SQRT))
            or (prev.kind in (NUM, RP) and nxt.kind in (EQ, APPROX) and _computing(out))
        ):
            if prev.kind == NUM and prev.word is None:
                prev.word = " ".join(w.text.lower() for w in tokens[i:j])
            i = j
            continue
        out.append(t)
        i += 1
    return out


_FACTORIZATION_RE: Final = re.compile(
    r"(?i)(?:\bfactori[sz](?:e|es|ing|ed)\s+\$?\\?\(?\s*(\d[\d,]{1,20})\b.{0,80}?\bfactori[sz]ation"
    r"|\bfactori[sz]ation\s+of\s+\$?\\?\(?\s*(\d[\d,]{1,20})\s*\\?\)?\$?"
    r"|\b(\d[\d,]{1,20})\s*\\?\)?\$?(?:['’]s|\s+has\s+(?:the\s+|a\s+)?)\s*(?:prime\s+)?factori[sz]ation)"
    r"\s*(?:is\b|=|:)?\s*(?:\$|\\\()?"
)


def _factorizations(text: str, line: str, start: int, step: int, line_no: int, context: LineContext) -> list[Formula]:
    """``the prime factorization of 6432 is 2^4 · 3^2 · 7``: a factorisation stated in words, checked as
    ``6432 = 2^4 · 3^2 · 7``."""
    out = []
    for m in _FACTORIZATION_RE.finditer(line):
        group = next(g for g in (1, 2, 3) if m.group(g))
        digits = m.group(group)
        n_start = start + m.start(group)
        try:
            value, dec, sig = parse_number(digits)
        except Unverifiable:
            continue
        number = Token(NUM, digits, n_start, n_start + len(digits), value, dec, sig)
        toks: list[Token] = []
        for t in tokenize(line[m.end() :], start + m.end()):
            if t.kind == BREAK:
                if t.text in _INLINE_DELIMS and not toks:
                    continue
                break
            toks.append(t)
        if not toks:
            continue
        expression = Side(toks, toks[0].start, toks[-1].end)
        _parse_side(expression)
        if expression.node is None:
            continue
        stated = Side([number], number.start, number.end, node=("num", value, number))
        out.append(Formula(step, line_no, "inline", [stated, expression], [EQ], stated.start, expression.end,
                           context))
    return out


_RELATION_PHRASES: Final = (
    ("can", "be", "written", "as"), ("can", "be", "expressed", "as"), ("can", "be", "rewritten", "as"),
    ("can", "be", "simplified", "to"), ("simplifies", "to"),
)
"""Not "is equal to": "Since 4/7 is equal to $24" says what a part corresponds to, not an equality."""
_PHRASE_STARTS: Final = frozenset(p[0] for p in _RELATION_PHRASES)
_INLINE_DELIMS: Final = frozenset({"\\(", "\\)"})


def _relation_phrase(tokens: list[Token], i: int) -> int:
    """The number of words of a relation said in words starting at ``tokens[i]`` (0 when there is none)."""
    for phrase in _RELATION_PHRASES:
        if i + len(phrase) <= len(tokens) and all(
            tokens[i + k].kind == BREAK and tokens[i + k].text.lower() == w for k, w in enumerate(phrase)
        ):
            return len(phrase)
    return 0


def _computing(tokens: list[Token]) -> bool:
    """Do the tokens since the last break hold an operation (so what follows states its result)?

    A fraction written as one number (``1/3 of Solomon``) is not an operation.
    """
    for k in range(len(tokens) - 1, -1, -1):
        t = tokens[k]
        if t.kind == BREAK or t.kind in (EQ, APPROX):
            return False
        if t.kind == OP:
            glued = (t.value == "/" and 0 < k < len(tokens) - 1 and tokens[k - 1].end == t.start
                     and tokens[k + 1].start == t.end and tokens[k - 1].kind == NUM and tokens[k + 1].kind == NUM)
            if not glued:
                return True
    return False


@functools.lru_cache(maxsize=16)
def _approx_re(words: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for a rule set's approximate words, matched as whole words."""
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?i)(?<![A-Za-z])(?:{alts})(?![A-Za-z])")


def _bare_expression(line: str, start: int, step: int, line_no: int) -> Formula | None:
    """A line that is one expression and nothing else, kept so the next line can continue it."""
    tokens = tokenize(line, start)
    if not tokens or any(t.kind == BREAK for t in tokens) or not any(t.kind == OP for t in tokens):
        return None
    side = Side(tokens, tokens[0].start, tokens[-1].end)
    _parse_side(side)
    if side.node is None:
        return None
    return Formula(step, line_no, "expression", [side], [], side.start, side.end)


_UNIT_MARKS: Final = frozenset({'"', "'", "″", "′"})
"""``72" tall``, ``6' 2"``: inches and feet marks right after a number end the number, not the formula."""


def _formula_from_run(
    run: list[Token], prev_break: Token | None, next_break: Token, first_run: bool, step: int, line_no: int,
    approx_line: LineContext, after_open_sum: bool = False,
) -> Formula | None:
    if not any(t.kind in (EQ, APPROX) for t in run):
        return None
    raw_sides, relations = split_sides(run)
    kind = "inline"
    cut_left = False
    first = raw_sides[0]
    if not first:
        if first_run and prev_break is None:
            kind = "continuation"  # a line that starts with "=" continues the line above
        else:
            raw_sides, relations = raw_sides[1:], relations[1:]
            cut_left = True
    elif after_open_sum or (first[0].kind == OP and (
        first[0].value in "*/^" or (prev_break is not None and prev_break.value in ("word", "long"))
    )) or (prev_break is not None and (
        prev_break.value == "command" or prev_break.value == "elision"
        or (prev_break.value in ("word", "long") and prev_break.end == first[0].start)
    )):
        # "5 apples - 3 = 2", "Day 2:50(2)": the left side began among words; we don't have all of it
        raw_sides, relations = raw_sides[1:], relations[1:]
        cut_left = True
    last = raw_sides[-1] if raw_sides else []
    cut_right = next_break.value == "command" or next_break.value == "elision" or (
        next_break.value == "word" and bool(last) and next_break.start == last[-1].end
        and next_break.text not in _UNIT_MARKS
    )
    opens_tuple = (next_break.text == "," and bool(last)
                   and sum(t.kind == LP for t in last) > sum(t.kind == RP for t in last))
    if last and (last[-1].kind in (OP, LP) or cut_right or opens_tuple):
        # ("A = (0, 0)": a bracket the comma leaves open is a point, a pair, an interval: no arithmetic)
        # "= 7 - 2 apples", "= 900 (since ...", "= 2 \cos 50", "= 52_8": the right side ran into
        # words or a function; what we have of it is not all of it, so drop it
        raw_sides, relations = raw_sides[:-1], relations[:-1]
    elif not last and raw_sides:
        raw_sides, relations = raw_sides[:-1], relations[:-1]
    _unwrap(raw_sides)
    unknown_operator = prev_break is not None and prev_break.value == "operator" and not cut_left
    if kind == "continuation":
        sides = [Side([], run[0].start, run[0].start)]
        body = raw_sides[1:]
    else:
        sides = []
        body = raw_sides
    for toks in body:
        if not toks:
            return None
        side = Side(toks, toks[0].start, toks[-1].end)
        if unknown_operator and not sides:
            # "7/30 @ 10/21 = …": the left side began at an operator we cannot evaluate; never check
            # what follows it as if it were the whole side
            side.error = f"an operator the checker does not know ({prev_break.text})"  # type: ignore[union-attr]
            side.start = prev_break.start  # type: ignore[union-attr]
        else:
            _parse_side(side)
        sides.append(side)
    if len(sides) < 2:
        return None
    start = sides[0].start if kind != "continuation" else run[0].start
    return Formula(step, line_no, kind, sides, relations, start, sides[-1].end, approx_line, cut_left=cut_left)


def _visible_number(text: str, start: int) -> Token | None:
    """The number written right after an annotation: ``24``, ``-3.5``, ``1,200``, ``3/4``."""
    negative = text.startswith("-")
    body = text[1:] if negative else text
    try:
        if "/" in body:
            a, b = body.split("/")
            den = parse_number(b)[0]
            if den == 0:
                return None
            value, decimals, sig = parse_number(a)[0] / den, 0, 0
        else:
            value, decimals, sig = parse_number(body)
    except Unverifiable:
        return None
    return Token(NUM, text, start, start + len(text), -value if negative else value, decimals, sig)


def _unwrap(raw_sides: list[list[Token]]) -> None:
    """``(3 + 4 = 8)``: brackets around the whole formula belong to the sentence, not to a side."""
    if not raw_sides or not raw_sides[0] or not raw_sides[-1]:
        return
    first, last = raw_sides[0], raw_sides[-1]
    while first and first[0].kind == LP and _balance(first) > 0:
        del first[0]
    while last and last[-1].kind == RP and _balance(last) < 0:
        del last[-1]


def _balance(tokens: list[Token]) -> int:
    depth = 0
    for t in tokens:
        if t.kind in (LP, LB):
            depth += 1
        elif t.kind in (RP, RB):
            depth -= 1
    return depth


def _annotation(text: str, m: re.Match[str], step: int, line_no: int, approx_line: LineContext) -> Formula:
    content_start = m.start(1)
    tokens = tokenize_calculator(m.group(1), content_start)
    eq_at = max((i for i, t in enumerate(tokens) if t.kind == EQ), default=-1)
    visible = None
    vm = _VISIBLE_RE.match(text, m.end())
    if vm:
        visible = _visible_number(vm.group(1), vm.start(1))
    if eq_at < 0:
        side = Side(tokens, content_start, m.end(1), error="annotation without '='")
        return Formula(step, line_no, "annotation", [side, side], [EQ], m.start(), m.end(), approx_line, visible)
    lhs = Side(tokens[:eq_at], content_start, tokens[eq_at].start)
    rhs = Side(tokens[eq_at + 1 :], tokens[eq_at].end, m.end(1))
    if not lhs.tokens:
        lhs.error = "empty expression"
    else:
        _parse_side(lhs)
    if not rhs.tokens:
        rhs.error = "empty result"
    else:
        _parse_side(rhs)
    end = visible.end if visible is not None else m.end()
    return Formula(step, line_no, "annotation", [lhs, rhs], [EQ], m.start(), end, approx_line, visible)
