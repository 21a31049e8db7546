"""The parser for tokenised arithmetic: recursive descent, with a depth limit, into a tree of tuples.

Tuples rather than node classes: a chain parses thousands of sides, and a tuple is the cheapest thing to
build, walk and pickle. The tree walks every later stage shares (``leaves``, ``literals``, ``symbols_of``)
live here with the shape they walk.
"""

from __future__ import annotations

from collections.abc import Hashable
from fractions import Fraction
from typing import Any, Final

from .limits import MAX_DEPTH, MAX_SIDE_TOKENS, Unverifiable
from .rational import denominator, numerator
from .tokens import (
    APPROX,
    BANG,
    BREAK,
    EQ,
    FRAC,
    LB,
    LP,
    NUM,
    OF,
    OP,
    PCT,
    RB,
    RP,
    SQRT,
    SYM,
    Token,
    TokenKind,
    tokenize,
)

# Trees: tuples, cheap to build.  ("num", Fraction, Token) ("sym", name) ("add", [(sign, node)])
# ("mul", a, b) ("div", a, b) ("pow", a, b) ("neg", a) ("fact", a) ("fact", a, 2) ("sqrt", a, n|None) ("pct", a) ("abs", a)
# ("floor", a) ("ceil", a) ("mod", a, b)

Node = tuple[Any, ...]
"""A parse tree: ``(tag, ...)`` tuples, cheap to build and to pickle."""

_BRACKET_FUNCS: Final = frozenset({"abs", "floor", "ceil"})
"""Brackets that apply a function: |x|, ⌊x⌋, ⌈x⌉."""


def _ends_in_factorial(node: Node) -> bool:
    """``4!`` or ``4!3!``, ``\\sqrt[5]{2}``: what a number written right after multiplies (``4!3!2!`` is
    4!·3!·2!; ``-6 \\sqrt[5]{2} 3^{2/5}`` is −6·⁵√2·3^{2/5}: after a root's braces a number can only be a factor)."""
    while node[0] == "mul":
        node = node[2]
    return bool(node[0] in ("fact", "sqrt"))


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
        t = self.toks[self.i] if self.i < self.n else None  # (``peek``, inline in the hot methods)
        if t is not None and t.kind == OP and t.value in "+-":
            self.i += 1
            sign = -1 if t.value == "-" else 1
        terms.append((sign, self.term()))
        while True:
            t = self.toks[self.i] if self.i < self.n else None
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
            t = self.toks[self.i] if self.i < self.n else None
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
            elif t.kind == NUM and _ends_in_factorial(node):
                # a product of factorials written side by side, as multinomials are: 9!/(4!3!2!)
                node = ("mul", node, self.unary())
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
        t = self.toks[self.i] if self.i < self.n else None
        if t is not None and t.kind == OP and t.value in "+-":
            self.i += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unverifiable("nesting too deep")
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if t.value == "-" else inner
        if t is not None and (t.kind == NUM or t.kind == SYM):
            # a number or letter with no ^, ! or % after it: the leaf power → postfix → atom would return
            i = self.i + 1
            nt = self.toks[i] if i < self.n else None
            if nt is None or not (nt.kind == BANG or nt.kind == PCT or (nt.kind == OP and nt.value == "^")):
                self.i = i
                return ("num", t.value, t) if t.kind == NUM else ("sym", t.value, t)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        t = self.toks[self.i] if self.i < self.n else None
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
            t = self.toks[self.i] if self.i < self.n else None
            if t is None:
                break
            if t.kind == BANG:
                self.i += 1
                nt = self.peek()
                if nt is not None and nt.kind == BANG and nt.start == t.end:
                    # 11!! = 11·9·7·5·3·1, the double factorial (not (11!)!): pairings count with it
                    self.i += 1
                    node = ("fact", node, 2)
                else:
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

    def _close(self, kind: TokenKind) -> None:
        t = self.peek()
        if t is None or t.kind != kind:
            raise self.fail("unbalanced brackets")
        self.i += 1

    def atom(self) -> Node:
        t = self.toks[self.i] if self.i < self.n else None
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
    if len(tokens) == 1 and (tokens[0].kind == NUM or tokens[0].kind == SYM):
        # the commonest side, a bare number or letter (four in ten): the leaf the descent would return
        t = tokens[0]
        return ("num", t.value, t) if t.kind == NUM else ("sym", t.value, t)
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
# Walks


def count_nodes(node: Node) -> int:
    tag: str = node[0]
    if tag in ("num", "sym"):
        return 1
    if tag == "add":
        return 1 + sum(count_nodes(s) for _, s in node[1])
    return 1 + sum(count_nodes(c) for c in node[1:] if isinstance(c, tuple))


def leaves(node: Node) -> list[Node]:
    """The ``num`` and ``sym`` leaves of a tree, in reading order (a loop, not recursion: it is hot)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        tag: str = n[0]
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
    """The unknowns of a tree (pi is a constant, not an unknown). One walk straight into the set (it is asked of
    every side with letters, several times)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        tag: str = n[0]
        if tag == "sym":
            if n[1] != "pi":
                out.add(n[1])
        elif tag == "num":
            continue
        elif tag == "add":
            stack.extend([sub for _, sub in n[1]])
        else:
            stack.extend([c for c in n[1:] if isinstance(c, tuple)])
    return out


def has_unknowns(node: Node) -> bool:
    """``bool(symbols_of(node))``, stopping at the first unknown: most sides asked have one, or are short."""
    stack = [node]
    while stack:
        n = stack.pop()
        tag: str = n[0]
        if tag == "sym":
            if n[1] != "pi":
                return True
        elif tag == "num":
            continue
        elif tag == "add":
            stack.extend([sub for _, sub in n[1]])
        else:
            stack.extend([c for c in n[1:] if isinstance(c, tuple)])
    return False


def count_leaves(node: Node) -> int:
    """``len(leaves(node))``, without building the list."""
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        tag: str = n[0]
        if tag == "num" or tag == "sym":
            count += 1
        elif tag == "add":
            stack.extend([sub for _, sub in n[1]])
        else:
            stack.extend([c for c in n[1:] if isinstance(c, tuple)])
    return count


def shape(node: Node) -> Hashable:
    """A tree without its tokens, as a hashable key: two trees of one shape have one value.

    ``evaluate`` and ``approximate`` remember outcomes by it within a chain, so a side written again (a looping
    generation writes one line hundreds of times; ``a = b = b = b …``) is computed once. A number leaf is its
    value as ints (a ``Fraction`` hashes a hundred times slower than an int, and a key is hashed at each
    lookup), a letter its name; every other node its tag and its children's shapes.
    """
    tag: str = node[0]
    if tag == "num":
        v = node[1]
        if type(v) is Fraction:
            n, d = numerator(v), denominator(v)
            return n if d == 1 else (n, d)
        return ("value", v)
    if tag == "sym":
        return node[1]  # type: ignore[no-any-return]
    # loops, not comprehensions: one frame per level of the tree, as ``exact._evaluate`` takes, so that a deep tree
    # (300 factors side by side) fails nowhere here that it would not fail there
    parts: list[Hashable] = []
    if tag == "add":
        for sign, sub in node[1]:
            parts.append((sign, shape(sub)))
        return ("add", tuple(parts))
    for c in node[1:]:
        parts.append(shape(c) if isinstance(c, tuple) else c)
    return (tag, *parts)
