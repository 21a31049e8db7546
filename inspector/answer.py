"""Find the final answer of a chain and compare it with the reference.

Numbers are compared exactly with our own safe parser. Anything else (intervals, sets,
expressions with letters) goes to math-verify, the field's own equivalence checker, with its
``signal.alarm`` timeouts off (they fail outside the main thread) and its work bounded instead by
the length and content of what we hand it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

from .arith import NotRational, PolyValue, Unverifiable, evaluate, format_value, parse, parse_number
from .model import FinalAnswer

_PLAIN_NUMBER_RE = re.compile(r"\s*(-?)((?:\d{1,3}(?:,\d{3})+|\d{1,50})(?:\.\d{1,50})?)\s*$")
_HASH_RE = re.compile(r"(?m)^[ \t]*####[ \t]*(.+?)[ \t]*$")
_ANSWER_IS_RE = re.compile(
    r"(?i)\b(?:the\s+)?(?:final\s+)?answer\s+is\s*[:\-]?\s*(?:\*\*)?\s*(.{1,200}?)(?:\*\*)?\s*(?:\.(?:\s|$)|$|\n)"
)
_ANSWER_COLON_RE = re.compile(r"(?im)^[ \t]*(?:\*\*)?(?:final\s+answer|answer|a)(?:\*\*)?\s*:\s*(?:\*\*)?(.{1,200}?)(?:\*\*)?[ \t]*$")
_BOLD_RE = re.compile(r"\*\*([^*\n]{1,80})\*\*")
_NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_LEADING_NUMBER_RE = re.compile(r"^\s*\\?\$?\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+)")
_ASSIGN_RE = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*")


def _boxed(text: str) -> tuple[str, int, int] | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox``), braces balanced."""
    at = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    while at >= 0:
        brace = text.find("{", at)
        if brace >= 0 and brace - at <= 7:
            depth = 0
            for i in range(brace, min(len(text), brace + 2000)):
                ch = text[i]
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        return text[brace + 1 : i], brace + 1, i
        at = max(text.rfind("\\boxed", 0, at), text.rfind("\\fbox", 0, at))
    return None


def extract_answer(
    text: str, methods: tuple[str, ...], preferred: Sequence[Fraction] = ()
) -> FinalAnswer | None:
    """The final answer, by the first method (in order of trust) that finds one.

    ``preferred`` are values the chain computed, latest last: the last-number fallback picks, in the
    closing sentence, a number the chain computed over trailing prose ("34 hours ... in 4 weeks").
    """
    for method in methods:
        found: tuple[str, int, int] | None = None
        if method == "boxed":
            found = _boxed(text)
        elif method == "hash":
            ms = list(_HASH_RE.finditer(text))
            if ms:
                found = (ms[-1].group(1), ms[-1].start(1), ms[-1].end(1))
        elif method == "answer_is":
            ms = list(_ANSWER_IS_RE.finditer(text))
            if ms:
                found = _numeric_head(ms[-1].group(1), ms[-1].start(1))
        elif method == "answer_colon":
            ms = list(_ANSWER_COLON_RE.finditer(text))
            if ms:
                found = _numeric_head(ms[-1].group(1), ms[-1].start(1))
        elif method == "bold":
            for m in reversed(list(_BOLD_RE.finditer(text))):
                if _NUMBER_RE.search(m.group(1)):
                    found = _numeric_head(m.group(1), m.start(1))
                    break
        elif method == "last_number":
            found = _last_number(text, preferred)
        if found is not None and found[0].strip():
            return FinalAnswer(found[0].strip(), (found[1], found[2]), method)
    return None


def _last_number(text: str, preferred: Sequence[Fraction]) -> tuple[str, int, int] | None:
    off = max(0, len(text) - 5000)
    ms = list(_NUMBER_RE.finditer(text, off))
    if not ms:
        return None
    if preferred:
        last_line = text.rfind("\n", 0, ms[-1].start()) + 1
        wanted = set(preferred[-20:])
        for m in reversed(ms):
            if m.start() < last_line:
                break
            value = numeric_value(m.group())
            if value is not None and value in wanted:
                return m.group(), m.start(), m.end()
    return ms[-1].group(), ms[-1].start(), ms[-1].end()


def _numeric_head(s: str, start: int) -> tuple[str, int, int]:
    """``18 dollars a day`` → ``18``; keep LaTeX or other answers whole."""
    m = _LEADING_NUMBER_RE.match(s)
    if m and not re.match(r"\s*[\\^{(*/]", s[m.end() :]):
        return m.group(1), start + m.start(1), start + m.end(1)
    s2 = s.rstrip(" .")
    return s2, start, start + len(s2)


def _clean(answer: str) -> str:
    s = answer.strip().strip("$").strip()
    s = re.sub(r"\\text\{\s*([^{}]*)\}", r"\1", s)
    s = _ASSIGN_RE.sub("", s)
    s = s.replace("\\!", "").replace("\\,", "").replace("\\ ", " ")
    s = s.rstrip(".").strip()
    s = re.sub(r"^\\\$\s*", "", s)
    s = re.sub(r"^\\(?=\d)", "", s)  # \boxed{\15}: a stray backslash
    s = re.sub(r"\s*(?:dollars?|cents?|units?|degrees|\\%|%)\s*$", "", s)
    return s.strip()


def parse_number_text(sign: str, digits: str) -> Fraction:
    value = parse_number(digits)[0]
    return -value if sign else value


def numeric_value(answer: str) -> Fraction | None:
    """The exact number an answer denotes, or None when it is not a plain number."""
    plain = _PLAIN_NUMBER_RE.match(answer)
    if plain:
        return parse_number_text(plain.group(1), plain.group(2))
    s = _clean(answer)
    if not s or len(s) > 200:
        return None
    try:
        v = evaluate(parse(s))
    except (Unverifiable, NotRational, RecursionError):
        return None
    return None if isinstance(v, PolyValue) else v


def normalize(answer: str) -> str:
    v = numeric_value(answer)
    return format_value(v) if v is not None else _clean(answer)


_HOSTILE_RE = re.compile(r"\^\s*\{?\s*\d{4,}|!|\d{200,}")


def answers_match(answer: str, reference: str, max_symbolic_chars: int = 200) -> bool | None:
    """Exact for numbers; math-verify for the rest. ``None`` when neither can decide."""
    a, r = numeric_value(answer), numeric_value(reference)
    if a is not None and r is not None:
        return a == r
    ca, cr = _clean(answer), _clean(reference)
    if ca == cr and ca:
        return True
    if len(ca) > max_symbolic_chars or len(cr) > max_symbolic_chars:
        return None
    if _HOSTILE_RE.search(ca) or _HOSTILE_RE.search(cr):
        return None
    return _math_verify(ca, cr)


def _math_verify(answer: str, reference: str) -> bool | None:
    try:
        from math_verify import LatexExtractionConfig, verify
        from math_verify import parse as mv_parse
    except ImportError:  # pragma: no cover - a dependency, but keep working without it
        return None
    try:
        # LaTeX extraction only: math-verify's plain-expression path calls sympy's parse_expr (eval)
        config = [LatexExtractionConfig(boxed_match_priority=0)]
        gold = mv_parse(f"${reference}$", extraction_config=config, parsing_timeout=None)
        pred = mv_parse(f"${answer}$", extraction_config=config, parsing_timeout=None)
        if not gold or not pred:
            return None
        return bool(verify(gold, pred, timeout_seconds=None))
    except Exception:  # noqa: BLE001 - a third-party checker's failure means "could not decide"
        return None
