"""What the arithmetic refuses, and how it says so: the bounds on its work and the two exceptions it raises.

Shared by every stage (``tokens``, ``parse``, ``exact``, ``irrational``): a bound hit anywhere becomes the
same ``Unverifiable`` with a reason, so a hostile line costs milliseconds and reads as "could not check",
never as "correct".
"""

from __future__ import annotations

from typing import Final

# Limits: each one turns a hostile input into an "unverifiable" result within milliseconds.
MAX_LITERAL_DIGITS: Final = 60
MAX_RESULT_BITS: Final = 20_000
MAX_FACTORIAL: Final = 300
MAX_DEPTH: Final = 60
MAX_POLY_TERMS: Final = 64
MAX_TOKENS: Final = 4_000
TRUNCATED: Final = "\u2026truncated"
"""The text of the BREAK that ends a line cut at ``MAX_TOKENS``."""
MAX_SIDE_TOKENS: Final = 300
"""Longer sides are not arithmetic anyone checks by hand; the bound also bounds every tree walk."""


class Unverifiable(Exception):
    """The text is arithmetic we will not or cannot evaluate exactly; the message says why."""


class NotRational(Exception):
    """The value leaves the rationals (a root, pi): the sympy fallback may still decide it."""

