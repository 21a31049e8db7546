"""A safe lexer, parser and exact evaluator for the arithmetic written in chains of thought.

Chain text is untrusted model output, so nothing here calls ``eval``, ``sympify`` or ``parse_expr``:
text becomes tokens through one regular expression (``tokens``), tokens become a small tree through a
recursive-descent parser with a depth limit (``parse``), and the tree is evaluated over ``Fraction``
(exact rationals) with every costly operation bounded (``exact``; the bounds in ``limits``). Values
with letters in them become polynomials over the rationals, so a rewritten equation can be checked
for equivalence. Only the few trees that leave that world (irrational roots, division by a
polynomial) are approximated in Decimal or rebuilt as sympy objects, node by node, never from a
string (``irrational``).

This module is the stages' one front door: callers import from here, the stages import each other.
"""

from __future__ import annotations

from .exact import (
    Monomial,
    Poly,
    PolyValue,
    Value,
    as_poly,
    evaluate,
    forget_shapes,
    format_fraction,
    format_value,
    simplify,
    subtract,
)
from .irrational import approximate, forget_approximations, to_sympy
from .limits import (
    MAX_DEPTH,
    MAX_FACTORIAL,
    MAX_LITERAL_DIGITS,
    MAX_POLY_TERMS,
    MAX_RESULT_BITS,
    MAX_SIDE_TOKENS,
    MAX_TOKENS,
    TRUNCATED,
    NotRational,
    Unverifiable,
)
from .parse import (
    Node,
    count_leaves,
    count_nodes,
    has_unknowns,
    leaves,
    literals,
    parse,
    parse_tokens,
    symbols_of,
)
from .tokens import (
    APPROX,
    BANG,
    BREAK,
    EQ,
    FRAC,
    KIND_NAMES,
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
    parse_number,
    tokenize,
    tokenize_calculator,
)

__all__ = [
    "APPROX",
    "BANG",
    "BREAK",
    "EQ",
    "FRAC",
    "KIND_NAMES",
    "LB",
    "LP",
    "MAX_DEPTH",
    "MAX_FACTORIAL",
    "MAX_LITERAL_DIGITS",
    "MAX_POLY_TERMS",
    "MAX_RESULT_BITS",
    "MAX_SIDE_TOKENS",
    "MAX_TOKENS",
    "NUM",
    "OF",
    "OP",
    "PCT",
    "RB",
    "RP",
    "SQRT",
    "SYM",
    "TRUNCATED",
    "Monomial",
    "Node",
    "NotRational",
    "Poly",
    "PolyValue",
    "Token",
    "TokenKind",
    "Unverifiable",
    "Value",
    "approximate",
    "as_poly",
    "begin_chain",
    "count_leaves",
    "count_nodes",
    "evaluate",
    "format_fraction",
    "format_value",
    "has_unknowns",
    "leaves",
    "literals",
    "parse",
    "parse_number",
    "parse_tokens",
    "simplify",
    "subtract",
    "symbols_of",
    "to_sympy",
    "tokenize",
    "tokenize_calculator",
]


def begin_chain() -> None:
    """Forget what was remembered by a tree's shape for the chain before (``exact.evaluate``,
    ``irrational.approximate``): each chain's sides are remembered for that chain alone."""
    forget_shapes()
    forget_approximations()
