"""Find the final answer of a chain; comparing it with the reference is `answer_match`'s.

Extraction reads the phrasings models use (``\\boxed{}``, ``#### 18`` anywhere in a line, "The answer is
-88.", "the answer (arabic numerals) is 18", ``Answer:``, bold) and takes the value the marker
introduces — a number with its sign, a LaTeX expression, an interval, a tuple, a choice letter — not the
rest of the sentence; when the marked text is a sentence, the quantity it asserts. The last marker wins,
and the text a base model runs on into after its answer (a new "Question:") is not read.

The comparison's names (`answers_match`, `numeric_value`, `normalize`) are imported here too, so that
``from inspector.engine.answer import …`` reaches both halves of the answer stage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Final

from .answer_match import _answers_match as _answers_match
from .answer_match import answers_match as answers_match
from .answer_match import normalize as normalize
from .answer_match import numeric_value as numeric_value
from .answer_match import parse_number_text as parse_number_text
from .arith import format_value
from .latex_text import matching_brace
from .model import FinalAnswer
from .scan import lines_beginning, lines_with, lowered, matches_at, occurrences
from .segment import code_blocks

_HASH_RE: Final = re.compile(r"####[ \t]*([^\n#]{1,200})")
_ANSWER_IS_RE: Final = re.compile(
    r"(?i)\b(?:final\s+)?answer(?:[ \t]*\([^()\n]{0,40}\))?[ \t]+(?:is|would\s+be|will\s+be)\b[ \t]*(?:[:=][ \t]*)?"
)
""""the answer is", "final answer is", "the answer (arabic numerals) is": what follows is the answer."""
_ANSWER_COLON_RE: Final = re.compile(r"(?im)^[ \t>#*_]*(?:final[ \t]+answer|answer|a)[ \t*_]*[:：][ \t*_]*")
_BOLD_RE: Final = re.compile(r"(?<![\w)\]}*])\*\*([^*\n]{1,80})\*\*")
"""Markdown bold: not Python's power (``c**2) - (a**2``), which follows a name or a bracket."""
_NUMBER_RE: Final = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_SIGNED_NUMBER_RE: Final = re.compile(
    r"(?:[-−–][ \t]?)?(?:\\?\$[ \t]*+)?(?:\d{1,3}(?:(?:,|\{,\})\d{3})+|\d+)(?:\.\d+)?(?:[ \t]*/[ \t]*\d+)?(?:[ \t]*\\?%)?"
    r"|[-−]?\.\d+"
)
_CHOICE_RE: Final = re.compile(r"\(?([A-E])\)?(?:[.):]|\s|$)")
_DRIFT_RE: Final = re.compile(
    r"(?m)^[ \t]*(?:(?:Question|Problem|Exercise|Q)[ \t]*\d*[ \t]*[:.]|(?:Human|User)[ \t]*:|<\|im_start\|>|<\|endoftext\|>"
    r"|What is the purpose of)"
)
"""A base model that ran on past its answer into another problem: nothing after this is its answer."""


def last_boxed(text: str) -> tuple[str, int, int] | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox``), braces balanced.

    At most the last 16 are tried, each over at most 2,000 characters: ``\\boxed{`` repeated 150,000 times
    without a closing brace is a miss in milliseconds, not a quadratic scan.
    """
    at = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    for _ in range(16):
        if at < 0:
            break
        brace = text.find("{", at)
        if brace >= 0 and brace - at <= 7:
            close = matching_brace(text, brace)
            if close is not None:
                return text[brace + 1 : close], brace + 1, close
        at = max(text.rfind("\\boxed", 0, at), text.rfind("\\fbox", 0, at))
    return None


_DRIFT_FIRST: Final = frozenset("QPEHUW<")
"""What a line ``_DRIFT_RE`` matches can begin with (after spaces)."""


def answer_region(text: str) -> int:
    """Where the chain's own text ends: before a new problem a base model runs on into."""
    first_line = text.find("\n")
    if first_line < 0:
        return len(text)
    # what ``_DRIFT_RE.finditer`` finds, asked only of the lines that can start one (the pattern opens with ``^``,
    # which Python's engine tries at every position: a third of the cost of finding an answer)
    starts = lines_beginning(text, first_line + 1, _DRIFT_FIRST)
    for m in matches_at(_DRIFT_RE, text, starts):
        if any(ch.isdigit() for ch in text[: m.start()]):
            return m.start()  # (a "Problem:" restated before any working is not where the chain ends)
    return len(text)


def _answer_is_markers(text: str) -> list[re.Match[str]]:
    """``_ANSWER_IS_RE.finditer(text)``, tried only where "answer" or "final" is written."""
    low = lowered(text)
    if low is None:
        return list(_ANSWER_IS_RE.finditer(text))
    return matches_at(_ANSWER_IS_RE, text, occurrences(low, ("answer", "final")))


def extract_answer(
    text: str, methods: tuple[str, ...], preferred: Sequence[Fraction] = (), problem: str | None = None
) -> FinalAnswer | None:
    """The final answer, by the first method (in order of trust) that finds one.

    ``preferred`` are values the chain computed, latest last: the last-number fallback picks, in the
    closing sentence, a number the chain computed over trailing prose ("34 hours ... in 4 weeks").
    ``problem`` helps read an answer given as a sentence: its quantity is not one the problem gave.
    """
    end = answer_region(text)
    body = text[:end]
    for method in methods:
        found: tuple[str, int, int] | None = None
        if method == "boxed":
            found = last_boxed(body)
        elif method == "hash":
            ms = list(_HASH_RE.finditer(body))
            if ms:
                found = _marked(body, ms[-1].start(1), problem, preferred)
        elif method == "answer_is":
            ms = _answer_is_markers(body)
            for m in reversed(ms):
                found = _marked(body, m.end(), problem, preferred)
                if found is not None:
                    break
        elif method == "answer_colon":
            ms = matches_at(_ANSWER_COLON_RE, body, lines_with(body, ":："))
            for m in reversed(ms):
                found = _marked(body, m.end(), problem, preferred)
                if found is not None:
                    break
        elif method == "bold":
            code = code_blocks(body) if "```" in body or "~~~" in body else []
            for m in reversed(matches_at(_BOLD_RE, body, occurrences(body, ("**",)))):
                if any(a <= m.start() < b for a, b, _ in code) or m.group(1).rstrip().endswith(":"):
                    continue  # bold in code is no answer, nor is a heading ("**Recall that b = log 2:**")
                if _NUMBER_RE.search(m.group(1)):
                    found = _marked(body, m.start(1), problem, preferred, limit=m.end(1))
                    break
        elif method == "last_number":
            found = _last_number(body, preferred)
        if found is not None and found[0].strip():
            return FinalAnswer(found[0].strip(), (found[1], found[2]), method)
    return None


def _marked(
    text: str, at: int, problem: str | None, preferred: Sequence[Fraction], limit: int | None = None
) -> tuple[str, int, int] | None:
    """The value a marker introduces at ``at``: a number with its sign, a LaTeX expression, an interval, a
    tuple or a choice letter; from a sentence, the quantity it asserts.

    The value may sit on the next line ("The answer is:\\n140 minutes").
    """
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    if not text[at:line_end].strip(" \t*_$:"):
        # "Therefore, the answer is:" — the value follows on the next line that says something
        nxt = at
        for _ in range(3):
            nxt = line_end + 1
            if nxt >= len(text):
                return None
            line_end = text.find("\n", nxt)
            line_end = len(text) if line_end < 0 else line_end
            if text[nxt:line_end].strip():
                break
        at = nxt
    end = min(line_end, limit if limit is not None else line_end, at + 300)
    segment = text[at:end]
    lead = len(segment) - len(segment.lstrip(" \t*_"))
    start = at + lead
    s = text[start:end]
    # "The answer is: The answer is 140" (a repeated marker) — the value is after the last one
    again = _answer_is_markers(s)
    if again:
        return _marked(text, start + again[-1].end(), problem, preferred, limit)
    boxed = last_boxed(s)
    if boxed is not None and s.lstrip().startswith(("\\boxed", "$\\boxed", "\\(\\boxed", "\\[\\boxed")):
        return boxed[0], start + boxed[1], start + boxed[2]
    if s.startswith(("$", "\\(", "\\[")):
        close = {"$": "$", "\\(": "\\)", "\\[": "\\]"}[s[:2] if s.startswith("\\") else "$"]
        opened = 2 if s.startswith("\\") else (2 if s.startswith("$$") else 1)
        stop = s.find(close, opened)
        if stop > opened:
            inner = s[opened:stop].strip()
            return inner, start + opened, start + stop
    if s.startswith("\\") and not s.startswith(("\\text", "\\mbox")):
        # "\frac{1}{4}.", "\sqrt{3}", "\pi/2": a LaTeX expression, to the end of its sentence
        expr = re.split(r"\.(?:\s|$)|[,;]\s|\s(?:which|so|and|because|since)\s", s, maxsplit=1)[0].rstrip(". ")
        if expr:
            return expr, start, start + len(expr)
    number = _SIGNED_NUMBER_RE.match(s)
    if number is not None and not _NUMBER_GOES_ON_RE.match(s, number.end()):
        value = number.group().strip()
        return value, start, start + number.end()
    if re.match(r"[(\[]", s):
        depth, k = 0, 0
        for k, ch in enumerate(s):
            depth += ch in "([{"
            depth -= ch in ")]}"
            if depth == 0:
                break
        if depth == 0 and k > 0 and ("," in s[: k + 1] or s[0] == "("):
            inner = s[: k + 1]
            choice = _CHOICE_RE.fullmatch(inner)
            return (choice.group(1) if choice else inner), start, start + k + 1
    choice = _CHOICE_RE.match(s)
    if choice is not None and (len(s) < 3 or not s[1].isalpha()):
        return choice.group(1), start + choice.start(1), start + choice.end(1)
    sentence = re.split(r"(?<=[.!?])\s", s, maxsplit=1)[0].rstrip(". ")
    return _asserted_quantity(sentence, start, problem, preferred) or (
        (sentence, start, start + len(sentence)) if sentence and len(sentence) <= 60 and not sentence[0].isalpha()
        else None
    )


_NUMBER_GOES_ON_RE: Final = re.compile(r"\s*(?:[\^{(*/\\]|[+×·x*-]\s*\d)")
"""After a number: it is the start of an expression (``2^{10}``, ``3 × 4``), not the whole answer."""


def _asserted_quantity(
    sentence: str, start: int, problem: str | None, preferred: Sequence[Fraction]
) -> tuple[str, int, int] | None:
    """"Claire will eat 7 dozens of eggs in 4 weeks" → 7: a number the chain computed, else the first
    one the problem did not give."""
    numbers = list(_SIGNED_NUMBER_RE.finditer(sentence))
    if not numbers:
        return None
    wanted = set(preferred[-30:])
    for m in numbers:
        v = numeric_value(m.group())
        if v is not None and v in wanted:
            return m.group().strip(), start + m.start(), start + m.end()
    given = {numeric_value(g) for g in _NUMBER_RE.findall(problem or "")}
    for m in numbers:
        if numeric_value(m.group()) not in given:
            return m.group().strip(), start + m.start(), start + m.end()
    m = numbers[0]
    return m.group().strip(), start + m.start(), start + m.end()


def _last_number(text: str, preferred: Sequence[Fraction]) -> tuple[str, int, int] | None:
    off = max(0, len(text) - 5000)
    blocks = [(a, b) for a, b, _ in code_blocks(text) if b > off]
    ms = _numbers_of_last_line(text, off, blocks)
    printed = _printed(text, blocks)
    if not ms:
        if printed is None:
            return None
        # no number in the prose: a number word that says what the code printed ("Four containers …")
        for w in _NUMBER_WORD_RE.finditer(text, blocks[-1][1]):
            if _NUMBER_WORDS[w.group().lower()] == printed:
                return format_value(printed), w.start(), w.end()
        return None
    wanted = set(preferred[-20:]) | ({printed} if printed is not None else set())
    if wanted:
        last_line = text.rfind("\n", 0, ms[-1].start()) + 1
        for m in reversed(ms):
            if m.start() < last_line:
                break
            value = numeric_value(m.group())
            if value is not None and value in wanted:
                return _whole_math_value(text, m.start(), m.end()) or (m.group(), m.start(), m.end())
        if printed is not None:
            # "Three trucks will be needed …" after an output block that printed 3.0
            for w in _NUMBER_WORD_RE.finditer(text, last_line):
                if _NUMBER_WORDS[w.group().lower()] == printed:
                    return format_value(printed), w.start(), w.end()
    last = ms[-1]
    return _whole_math_value(text, last.start(), last.end()) or (last.group(), last.start(), last.end())


def _numbers_of_last_line(text: str, off: int, blocks: list[tuple[int, int]]) -> list[re.Match[str]]:
    """The numbers (``_NUMBER_RE``) of the last line from ``off`` on that has one outside ``blocks``: all that
    ``_last_number`` reads. Lines are read from the end: a number never spans one, so a line's numbers are what a
    scan of the whole text finds in it, and a chain's last line with a number is nearly always its last line."""
    end = len(text)
    while end > off:
        nl = text.rfind("\n", off, end)
        start = off if nl < 0 else nl + 1
        # a line inside a code block, or without a digit, has none of the numbers read here: passed over without the
        # pattern (the chains that end in code or prose walk back through many such lines)
        if not any(a <= start and end <= b for a, b in blocks) and _has_digit(text, start, end):
            ms = [m for m in _NUMBER_RE.finditer(text, start, end) if not any(a <= m.start() < b for a, b in blocks)]
            if ms:
                return ms
        if nl < 0:
            break
        end = nl
    return []


def _has_digit(text: str, start: int, end: int) -> bool:
    """Is there a digit (``\\d``: of any script) in ``text[start:end]``?"""
    for k in range(start, end):
        if text[k].isdecimal():
            return True
    return False


_INLINE_MATH_RE: Final = re.compile(r"\$\$?([^$\n]{1,200}?)\$\$?|\\\(([^\n]{1,200}?)\\\)|\\\[([^\n]{1,200}?)\\\]")
_VALUE_LATEX_RE: Final = re.compile(
    r"-?\s*(?:[\d.,{}()\s+\-*/^]|\\(?:[dt]?frac|sqrt|pi|cdot|times|left|right)(?![A-Za-z]))+"
)
"""A LaTeX value, numbers and the commands that build one (``\\frac{1}{585}``, ``2\\sqrt{3}``, ``\\pi/4``)."""


def _whole_math_value(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """The value a last number belongs to when it sits in inline math: ``is $\\frac{1}{585}$.`` answers
    1/585, not 585; ``$x = \\frac{3}{4}$`` answers 3/4 (the side after the last ``=``)."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    le = len(text) if le < 0 else le
    for m in _INLINE_MATH_RE.finditer(text, ls, le):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        a, b = m.span(group)
        if not a <= start < b:
            continue
        eq = text.rfind("=", a, b)
        if eq >= 0:
            if eq > start:
                return None
            a = eq + 1
        inner = text[a:b]
        lead = len(inner) - len(inner.lstrip())
        inner = inner.strip().rstrip(".,;")
        if inner and _VALUE_LATEX_RE.fullmatch(inner) and "\\" in inner:
            return inner, a + lead, a + lead + len(inner)
        return None
    return None


_NUMBER_WORDS: Final = {w: Fraction(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORD_RE: Final = re.compile(r"(?i)\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")


def _printed(text: str, blocks: list[tuple[int, int]]) -> Fraction | None:
    """The number the last ```output block printed, when it printed one (ToRA, Qwen tool use)."""
    for a, b in reversed(blocks):
        body = text[a:b]
        if body.lstrip().startswith("```output"):
            inner = body.split("\n", 1)[1] if "\n" in body else ""
            inner = inner.rsplit("```", 1)[0].strip()
            return numeric_value(inner) if inner and len(inner) < 40 else None
    return None
