"""LaTeX as readable text, with a map back to the source so highlights still land on the right characters.

``\\frac{2}{3} \\cdot 84 = 54`` reads as ``2/3 · 84 = 54``. Every output character remembers the source
index it came from (synthesised ones, like the parentheses around a compound numerator, take the
index of what they stand for), so a claim's span in the chain maps onto the readable text with two
bisections. The alternative, rendering LaTeX with sympy or pylatexenc, was rejected: chains are
untrusted model output, often not valid LaTeX at all, and the map back to the source would be lost.

Never raises: what it does not know it leaves as written, minus the backslash.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Final

__all__ = ["Readable", "matching_brace", "readable"]

MAX_DEPTH: Final = 40
"""Brace nesting beyond this is copied as written (bounded recursion on hostile input)."""


def matching_brace(text: str, open_at: int, limit: int = 2000) -> int | None:
    """Where the ``{`` at ``open_at`` closes, braces balanced; None past ``limit`` characters or the end (a
    hostile ``{`` repeated without a close costs at most ``limit`` steps, never a quadratic scan)."""
    depth = 0
    for i in range(open_at, min(len(text), open_at + limit)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
    return None

_SYMBOLS: Final = {
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "ast": "*", "star": "⋆",
    "le": "≤", "leq": "≤", "leqslant": "≤", "ge": "≥", "geq": "≥", "geqslant": "≥", "ne": "≠", "neq": "≠",
    "approx": "≈", "equiv": "≡", "sim": "∼", "simeq": "≃", "cong": "≅", "propto": "∝", "lt": "<", "gt": ">",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "Leftarrow": "⇐", "implies": "⟹",
    "iff": "⟺", "Leftrightarrow": "⇔", "leftrightarrow": "↔", "mapsto": "↦",
    "infty": "∞", "circ": "∘", "degree": "°", "cdots": "⋯", "ldots": "…", "dots": "…", "dotsc": "…",
    "dotsb": "⋯", "vdots": "⋮", "angle": "∠", "triangle": "△", "parallel": "∥", "perp": "⊥", "in": "∈",
    "notin": "∉", "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "cup": "∪", "cap": "∩", "setminus": "∖",
    "emptyset": "∅", "varnothing": "∅", "sum": "Σ", "prod": "Π", "int": "∫", "lfloor": "⌊", "rfloor": "⌋",
    "lceil": "⌈", "rceil": "⌉", "mid": "|", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "langle": "⟨", "rangle": "⟩", "therefore": "∴", "because": "∵", "neg": "¬", "lnot": "¬", "land": "∧",
    "wedge": "∧", "lor": "∨", "vee": "∨", "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇",
    "prime": "′", "ell": "ℓ", "hbar": "ℏ", "checkmark": "✓", "square": "□", "blacksquare": "■",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "quad": "  ", "qquad": "    ", ",": " ", ";": " ", ":": " ", ">": " ", " ": " ", "!": "", "\\": "; ",
    "{": "{", "}": "}", "%": "%", "$": "$", "&": "&", "#": "#", "_": "_", "|": "‖",
    "mod": " mod ", "bmod": " mod ",
}  # fmt: skip
"""Commands that are one symbol (or a space)."""

_NAMED: Final = frozenset({
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log",
    "ln", "lg", "exp", "max", "min", "sup", "inf", "lim", "gcd", "lcm", "det", "deg", "dim", "ker", "arg"
})  # fmt: skip
"""Operator names, written as the word."""

_CONTENT: Final = frozenset({
    "text", "textbf", "textit", "textrm", "texttt", "textsf", "textnormal", "mathrm", "mathbf", "mathit",
    "mathsf", "mathtt", "mathnormal", "mathbb", "mathcal", "operatorname", "mbox", "hbox", "emph",
    "boldsymbol", "bm", "overline", "underline", "widehat", "hat", "bar",
    "vec", "tilde", "widetilde", "dot", "ddot", "mathring", "pmb"
})  # fmt: skip
"""Commands whose argument is shown as it is (the decoration is lost, the content kept)."""

_DROPPED: Final = frozenset({
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
    "Biggl", "Biggr", "middle", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits",
    "nonumber", "notag", "label"
})  # fmt: skip
"""Commands that only size or place things."""

_FRACS: Final = frozenset({"frac", "dfrac", "tfrac", "cfrac"})

_SUP: Final = dict(zip("0123456789+-=()nix", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣ", strict=True))
_SUB: Final = dict(zip("0123456789+-=()aeoxijkn", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₙ", strict=True))

Piece = list[tuple[str, int]]
"""Output characters, each with the source index it came from."""


@dataclass(frozen=True, slots=True)
class Readable:
    """Readable text and, for each of its characters, the index in the source it came from."""

    text: str
    sources: tuple[int, ...]
    source_length: int

    def index(self, source_index: int) -> int:
        """The first readable character that comes from ``source_index`` or later."""
        return bisect.bisect_left(self.sources, source_index)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A ``[start, end)`` span of the source as a span of the readable text."""
        return self.index(start), self.index(end)


def readable(source: str) -> Readable:
    """``source`` with its LaTeX written as plain text."""
    parser = _Parser(source)
    out = parser.run()
    return Readable("".join(c for c, _ in out), tuple(i for _, i in out), len(source))


def _is_atom(piece: Piece) -> bool:
    """Needs no parentheses when it becomes a numerator, denominator or exponent."""
    text = "".join(c for c, _ in piece).strip()
    if not text:
        return True
    if text[0] in "-−" and len(text) > 1:
        text = text[1:]
    return all(ch.isalnum() or ch in ".,′°" for ch in text) or (text[0] in "([{" and _closes_at_end(text))


def _closes_at_end(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def _math_dollars(source: str) -> set[int]:
    """The single ``$`` that open or close math, by pandoc's rule: an opening ``$`` has a non-space on
    its right, a closing one a non-space on its left and no digit after it, on the same line. The
    rest ("$4 and $5") are currency signs."""
    found: set[int] = set()
    start = 0
    for line in source.split("\n"):
        spots = [
            start + k for k, ch in enumerate(line)
            if ch == "$" and (k == 0 or line[k - 1] not in "\\$") and line[k + 1 : k + 2] != "$"
        ]  # fmt: skip
        j = 0
        while j < len(spots):
            p = spots[j] - start
            if line[p + 1 : p + 2].strip():
                q = spots[j + 1] - start if j + 1 < len(spots) else -1
                if q > 0 and line[q - 1].strip() and not line[q + 1 : q + 2].isdigit():
                    found.update((spots[j], spots[j + 1]))  # the very next $ closes, or none does
                    j += 1
            j += 1
        start += len(line) + 1
    return found


class _Parser:
    def __init__(self, source: str) -> None:
        self.s = source
        self.n = len(source)
        self.i = 0
        self.depth = 0
        self.math_dollars = _math_dollars(source)

    def run(self) -> Piece:
        out: Piece = []
        while self.i < self.n:
            out.extend(self.item(top=True))
        return out

    # One item: a command with its arguments, a group, a script, a delimiter or a character.
    def item(self, top: bool = False) -> Piece:
        s, i = self.s, self.i
        ch = s[i]
        if ch == "\\":
            return self.command()
        if ch == "{":
            return self.group()
        if ch == "}":  # unbalanced: keep it
            self.i += 1
            return [(ch, i)]
        if ch in "^_":
            return self.script(ch)
        if ch == "$":
            return self.dollar()
        if ch == "&" and self._next_nonspace(i + 1) in ("=", "\\"):
            self.i += 1
            return []
        if ch == "~":
            self.i += 1
            return [(" ", i)]
        self.i += 1
        return [(ch, i)]

    def _next_nonspace(self, j: int) -> str:
        while j < self.n and self.s[j] in " \t":
            j += 1
        return self.s[j] if j < self.n else ""

    def dollar(self) -> Piece:
        """``$`` and ``$$`` delimit math only in the pairs found up front; a lone ``$`` is money."""
        i = self.i
        if self.s.startswith("$$", i):
            self.i += 2
            return []
        self.i += 1
        return [] if i in self.math_dollars else [("$", i)]

    def command(self) -> Piece:
        s, start = self.s, self.i
        j = start + 1
        if j >= self.n:
            self.i = j
            return []
        if not s[j].isalpha():  # a control symbol: \, \{ \% \( \[ ...
            self.i = j + 1
            sym = s[j]
            if sym in "()[]":
                return []  # math delimiters
            text = _SYMBOLS.get(sym, sym)
            return [(c, start) for c in text]
        while j < self.n and s[j].isalpha():
            j += 1
        name = s[start + 1 : j]
        self.i = j
        if name in _FRACS:
            return self.fraction(start)
        if name == "sqrt":
            return self.sqrt(start)
        if name == "binom":
            top = self.argument()
            mid = self.i
            bottom = self.argument()
            return [
                ("C", start),
                ("(", start),
                *top,
                (",", mid),
                (" ", mid),
                *bottom,
                (")", max(self.i - 1, mid)),
            ]
        if name == "boxed":
            inner = self.argument()
            return [("[", start), *inner, ("]", max(self.i - 1, start))]
        if name in ("begin", "end"):
            self.argument()  # the environment's name
            return []
        if name == "pmod":
            inner = self.argument()
            return [(c, start) for c in " (mod "] + inner + [(")", max(self.i - 1, start))]
        if name in _CONTENT:
            return self.argument()
        if name in _DROPPED:
            if name in ("left", "right", "middle") and self.i < self.n and self.s[self.i] == ".":
                self.i += 1
            return []
        if name in _NAMED:
            return [(c, start) for c in name]
        if name in _SYMBOLS:
            return [(c, start) for c in _SYMBOLS[name]]
        return [(c, start + 1 + k) for k, c in enumerate(name)]  # unknown: the name without its backslash

    def _skip_spaces(self) -> None:
        while self.i < self.n and self.s[self.i] in " \t":
            self.i += 1

    def argument(self) -> Piece:
        """One argument: a braced group, or a single item."""
        self._skip_spaces()
        if self.i >= self.n:
            return []
        if self.s[self.i] == "{":
            return self.group()
        if self.s[self.i] in "}^_&":
            return []
        return self.item()

    def group(self) -> Piece:
        """``{...}``: its content, without the braces. ``{,}`` is a thousands separator, so ``,``."""
        start = self.i
        self.i += 1
        if self.depth >= MAX_DEPTH:
            end = self._matching(start)
            self.i = end + 1 if end < self.n else self.n
            return [(c, start + k) for k, c in enumerate(self.s[start : self.i])]
        self.depth += 1
        out: Piece = []
        try:
            while self.i < self.n and self.s[self.i] != "}":
                out.extend(self.item())
        finally:
            self.depth -= 1
        if self.i < self.n:
            self.i += 1  # the closing brace
        return out

    def _matching(self, start: int) -> int:
        depth = 0
        for j in range(start, self.n):
            if self.s[j] == "{":
                depth += 1
            elif self.s[j] == "}":
                depth -= 1
                if depth == 0:
                    return j
        return self.n

    def fraction(self, start: int) -> Piece:
        top_at = self.i
        top = self.argument()
        bottom_at = self.i
        bottom = self.argument()
        end = max(self.i - 1, bottom_at)
        out: Piece = []
        if _is_atom(top):
            out.extend(top)
        else:
            out.append(("(", min(top_at, top[0][1]) if top else top_at))
            out.extend(top)
            out.append((")", bottom_at))
        out.append(("/", bottom_at))
        if _is_atom(bottom):
            out.extend(bottom)
        else:
            out.append(("(", bottom_at))
            out.extend(bottom)
            out.append((")", end))
        return out

    def sqrt(self, start: int) -> Piece:
        index: Piece = []
        self._skip_spaces()
        if self.i < self.n and self.s[self.i] == "[":
            close = self.s.find("]", self.i)
            if close > 0:
                index = [(c, self.i + 1 + k) for k, c in enumerate(self.s[self.i + 1 : close])]
                self.i = close + 1
        radicand_at = self.i
        radicand = self.argument()
        out: Piece = []
        if index:
            text = "".join(c for c, _ in index)
            if all(c in _SUP for c in text):
                out.extend((_SUP[c], at) for c, at in index)
            else:
                out.extend(index)
        out.append(("√", radicand_at))
        if _is_atom(radicand):
            out.extend(radicand)
        else:
            out.append(("(", radicand_at))
            out.extend(radicand)
            out.append((")", max(self.i - 1, radicand_at)))
        return out

    def script(self, mark: str) -> Piece:
        at = self.i
        self.i += 1
        self._skip_spaces()
        if self.i < self.n and self.s.startswith("\\circ", self.i) and mark == "^":
            self.i += len("\\circ")
            return [("°", at)]
        arg = self.argument()
        text = "".join(c for c, _ in arg)
        table = _SUP if mark == "^" else _SUB
        if text and all(c in table for c in text):
            return [(table[c], pos) for c, pos in arg]
        if mark == "^" and text in ("°", "∘"):
            return [("°", at)]
        if _is_atom(arg):
            return [(mark, at), *arg]
        return [(mark, at), ("(", at), *arg, (")", max(self.i - 1, at))]
