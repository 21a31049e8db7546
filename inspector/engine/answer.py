"""Find the final answer of a chain and compare it with the reference, in bounded time.

Extraction reads the phrasings models use (``\\boxed{}``, ``#### 18`` anywhere in a line, "The answer is
-88.", "the answer (arabic numerals) is 18", ``Answer:``, bold) and takes the value the marker
introduces — a number with its sign, a LaTeX expression, an interval, a tuple, a choice letter — not the
rest of the sentence; when the marked text is a sentence, the quantity it asserts. The last marker wins,
and the text a base model runs on into after its answer (a new "Question:") is not read.

Comparison is exact for numbers, then by our own safe parser (numerically at 40 digits for roots and π,
as polynomials or at two points for expressions with letters), and only then by math-verify, the field's
own checker, which runs in a helper process with its timeouts on (``equivalence``): no comparison can
hang a worker or the TUI, and an answer that cannot be decided within the bound is ``None`` (undecided).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from fractions import Fraction

from .arith import (
    NotRational,
    PolyValue,
    Unverifiable,
    approximate,
    evaluate,
    format_value,
    leaves,
    parse,
    parse_number,
    subtract,
    symbols_of,
)
from .model import FinalAnswer
from .segment import code_blocks

_PLAIN_NUMBER_RE = re.compile(r"\s*(-?)((?:\d{1,3}(?:,\d{3})+|\d{1,50})(?:\.\d{1,50})?)\s*$")
_HASH_RE = re.compile(r"####[ \t]*([^\n#]{1,200})")
_ANSWER_IS_RE = re.compile(
    r"(?i)\b(?:final\s+)?answer(?:[ \t]*\([^()\n]{0,40}\))?[ \t]+(?:is|would\s+be|will\s+be)\b[ \t]*(?:[:=][ \t]*)?"
)
""""the answer is", "final answer is", "the answer (arabic numerals) is": what follows is the answer."""
_ANSWER_COLON_RE = re.compile(r"(?im)^[ \t>#*_]*(?:final[ \t]+answer|answer|a)[ \t*_]*[:：][ \t*_]*")
_BOLD_RE = re.compile(r"(?<![\w)\]}*])\*\*([^*\n]{1,80})\*\*")
"""Markdown bold: not Python's power (``c**2) - (a**2``), which follows a name or a bracket."""
_NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_SIGNED_NUMBER_RE = re.compile(
    r"(?:[-−–][ \t]?)?(?:\\?\$[ \t]*+)?(?:\d{1,3}(?:(?:,|\{,\})\d{3})+|\d+)(?:\.\d+)?(?:[ \t]*/[ \t]*\d+)?(?:[ \t]*\\?%)?"
    r"|[-−]?\.\d+"
)
_ASSIGN_RE = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*")
_CHOICE_RE = re.compile(r"\(?([A-E])\)?(?:[.):]|\s|$)")
_DRIFT_RE = re.compile(
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


def answer_region(text: str) -> int:
    """Where the chain's own text ends: before a new problem a base model runs on into."""
    first_line = text.find("\n")
    if first_line < 0:
        return len(text)
    for m in _DRIFT_RE.finditer(text, first_line + 1):
        if any(ch.isdigit() for ch in text[: m.start()]):
            return m.start()  # (a "Problem:" restated before any working is not where the chain ends)
    return len(text)


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
            ms = list(_ANSWER_IS_RE.finditer(body))
            for m in reversed(ms):
                found = _marked(body, m.end(), problem, preferred)
                if found is not None:
                    break
        elif method == "answer_colon":
            ms = list(_ANSWER_COLON_RE.finditer(body))
            for m in reversed(ms):
                found = _marked(body, m.end(), problem, preferred)
                if found is not None:
                    break
        elif method == "bold":
            code = code_blocks(body) if "```" in body or "~~~" in body else []
            for m in reversed(list(_BOLD_RE.finditer(body))):
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
    again = list(_ANSWER_IS_RE.finditer(s))
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


_NUMBER_GOES_ON_RE = re.compile(r"\s*(?:[\^{(*/\\]|[+×·x*-]\s*\d)")
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
    ms = [m for m in _NUMBER_RE.finditer(text, off) if not any(a <= m.start() < b for a, b in blocks)]
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


_INLINE_MATH_RE = re.compile(r"\$\$?([^$\n]{1,200}?)\$\$?|\\\(([^\n]{1,200}?)\\\)|\\\[([^\n]{1,200}?)\\\]")
_VALUE_LATEX_RE = re.compile(
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


_NUMBER_WORDS = {w: Fraction(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORD_RE = re.compile(r"(?i)\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")


def _printed(text: str, blocks: list[tuple[int, int]]) -> Fraction | None:
    """The number the last ```output block printed, when it printed one (ToRA, Qwen tool use)."""
    for a, b in reversed(blocks):
        body = text[a:b]
        if body.lstrip().startswith("```output"):
            inner = body.split("\n", 1)[1] if "\n" in body else ""
            inner = inner.rsplit("```", 1)[0].strip()
            return numeric_value(inner) if inner and len(inner) < 40 else None
    return None


_UNIT_TAIL_RE = re.compile(
    r"(?<!\s)\s*+(?:\\(?:text|mbox|mathrm)\{\s*[A-Za-z][A-Za-z ]{0,24}(?:\^\{?\d\}?)?\s*\}|dollars?|cents?|units?|degrees|minutes|hours|"
    r"days|weeks|years|meters|feet|inches|miles|pounds|square\s+\w+|\^\\circ|°)\s*+$"
)


_SPACES_RE = re.compile(r"\s+")


def _clean(answer: str) -> str:
    s = answer.strip().strip("$").strip()
    if len(s) > 2000:
        return s[:2000]
    s = s.replace("\\left", "").replace("\\right", "").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.replace("\\!", "").replace("\\,", "").replace("{,}", ",")
    s = re.sub(r"(?<!\\)\\ ", " ", s)  # "\ " is a space; "\\ " (a matrix row break) is not
    s = re.sub(r"(\d),\s+(?=\d{3}(?!\d))", r"\1,", s)  # 11,\! 111,\! 100
    whole = re.fullmatch(r"\\(?:text|mbox|mathrm|textbf)\{\s*([^{}]*)\}", s)
    if whole:
        s = whole.group(1).strip()  # \text{4:30 p.m.}: the whole answer in words
    for _ in range(3):
        t = _UNIT_TAIL_RE.sub("", s)
        if t == s or not t.strip():
            break
        s = t
    s = re.sub(r"\\text\{\s*([^{}]*)\}", r"\1", s)
    s = _ASSIGN_RE.sub("", s)
    s = re.sub(r"^\s*[A-Za-z]\s*\\in\s*", "", s)  # x \in [-2, 7]
    s = re.sub(r"_\{(\w+)\}", r"_\1", s)  # 4210_{5}
    s = s.rstrip(".").strip()
    s = re.sub(r"^\\\$\s*", "", s)
    s = re.sub(r"^\\(?=\d)", "", s)  # \boxed{\15}: a stray backslash
    s = re.sub(r"\s*(?:\\%|%)\s*$", "", s)
    return s.strip()


def parse_number_text(sign: str, digits: str) -> Fraction:
    value = parse_number(digits)[0]
    return -value if sign else value


@functools.lru_cache(maxsize=4096)
def numeric_value(answer: str) -> Fraction | None:
    """The exact number an answer denotes, or None when it is not a plain number."""
    plain = _PLAIN_NUMBER_RE.match(answer)
    if plain:
        try:
            return parse_number_text(plain.group(1), plain.group(2))
        except Unverifiable:
            return None
    s = _clean(answer).replace("−", "-").replace("–", "-")
    if not s or len(s) > 200:
        return None
    try:
        v = evaluate(parse(s))
    except (Unverifiable, NotRational, RecursionError, ValueError, OverflowError):
        return None
    return None if isinstance(v, PolyValue) else v


def normalize(answer: str) -> str:
    v = numeric_value(answer)
    return format_value(v) if v is not None else _clean(answer)


def _percent(answer: str) -> bool:
    return answer.rstrip(" .$").endswith("%")


def answers_match(answer: str, reference: str, max_symbolic_chars: int = 200,
                  timeout: float = 1.0) -> bool | None:
    """Does the answer equal the reference? ``None`` when that cannot be decided within the bounds.

    Numbers exactly (``4.0`` = ``4``, ``10{,}000`` = ``10000``, units stripped; a percent equals its number
    and its fraction: ``25%`` = ``25`` = ``0.25``); then our own parser; then math-verify in a helper process
    with a ``timeout`` in seconds.
    """
    return _answers_match(answer, reference, max_symbolic_chars, timeout)


@functools.lru_cache(maxsize=4096)
def _answers_match(answer: str, reference: str, max_symbolic_chars: int, timeout: float) -> bool | None:
    a, r = numeric_value(answer), numeric_value(reference)
    if a is not None and r is not None:
        if a == r:
            return True
        if _percent(answer) != _percent(reference) and (a == r * 100 or a * 100 == r):
            return True
        return False
    ca, cr = _clean(answer), _clean(reference)
    if ca and (ca == cr or _SPACES_RE.sub("", ca) == _SPACES_RE.sub("", cr)):
        # the same LaTeX but for its spacing ("(2, 12) \cup (12, 102)"): decided here, never left to a comparison
        # with a deadline, whose outcome would then depend on how busy the machine is
        return True
    if r is not None or a is not None:
        # one side is a plain number: the other must denote that number (roots and π at 40 digits), or it
        # is no match — an interval, a set, a word, an inequality never equals a number
        other = ca if r is not None else cr
        value = r if r is not None else a
        tail = _last_side(other)
        if _HOSTILE_RE.search(tail) or len(tail) > max_symbolic_chars:
            return None  # a number too big to decide within the bounds: \binom{99999}{5000}, 9^{9^{9}}
        x = numeric_value(tail)
        if x is None:
            try:
                x = approximate(parse(tail), 40)
            except (Unverifiable, RecursionError):
                x = None
        if x is None and re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", tail)):
            return False  # letters or words left (a variable, "with domain L > 0", "C: …"): not a number
        if x is None and re.search(r"\\(?!text|mathrm|mbox|infty|in\b|cup|cap|le|ge|neq)[a-zA-Z]+", tail):
            from .equivalence import math_verify_equal  # \log_2 8, \binom{6}{2}: math-verify, bounded

            assert value is not None
            return math_verify_equal(tail, format_value(value), timeout)
        if x is None:
            return False  # a word, an interval, a set, an inequality never equals a number
        assert value is not None
        return abs(x - value) <= max(abs(x), abs(value), Fraction(1)) * Fraction(1, 10**30)
    worded = _words_comparison(ca, cr)
    if worded is not None:
        return worded
    grouped = _grouped_comparison(ca, cr, max_symbolic_chars, timeout)
    if grouped is not None:
        return grouped
    ours = _our_comparison(ca, cr)
    if ours is not None:
        return ours
    if len(ca) > max_symbolic_chars or len(cr) > max_symbolic_chars:
        return None
    if _HOSTILE_RE.search(ca) or _HOSTILE_RE.search(cr):
        return None
    from .equivalence import math_verify_equal

    return math_verify_equal(ca, cr, timeout)


_HOSTILE_RE = re.compile(r"\^\s*\{?\s*[-\d]{3,}|\^\s*\{?[^}]{0,20}\^|\d{60,}|\\binom\s*\{\s*\d{4,}|\d{3,}\s*!")
"""What no comparison of answers needs: exponents of 100 and more, towers, 60-digit numbers, huge binomials."""


def _last_side(s: str) -> str:
    """``m + n = 27 + 3 = 30`` → ``30``: what a chain of equalities comes to."""
    if "=" in s and not re.search(r"[<>≤≥]|\\[lg]eq?\b", s):
        return s.rsplit("=", 1)[1].strip()
    return s


_GROUP_RE = re.compile(r"^\s*(\\\{|[(\[])(.*)(\\\}|[)\]])\s*$", re.S)


def _components(s: str) -> tuple[str, str, list[str]] | None:
    """``(3, \\frac{\\pi}{2})`` → ("(", ")", ["3", "\\frac{\\pi}{2}"]): a tuple, interval or set, split at
    its top-level commas."""
    m = _GROUP_RE.match(s)
    if m is None:
        return None
    inner, parts, depth, last = m.group(2), [], 0, 0
    for i, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            parts.append(inner[last:i].strip())
            last = i + 1
    if depth != 0:
        return None
    parts.append(inner[last:].strip())
    if len(parts) < 2 or not all(parts):
        return None
    return m.group(1), m.group(3), parts


def _grouped_comparison(a: str, b: str, max_chars: int, timeout: float) -> bool | None:
    """Tuples and intervals component by component (brackets must agree); sets as sets."""
    ga, gb = _components(a), _components(b)
    if ga is None or gb is None:
        return None
    if ga[0] == "\\{" or gb[0] == "\\{":
        if ga[0] != gb[0] or len(ga[2]) != len(gb[2]):
            return False if ga[0] != gb[0] else None
        unmatched = list(gb[2])
        for x in ga[2]:
            hit = next((y for y in unmatched if _answers_match(x, y, max_chars, timeout)), None)
            if hit is None:
                return False
            unmatched.remove(hit)
        return True
    if len(ga[2]) != len(gb[2]):
        return False
    if (ga[0], ga[1]) != (gb[0], gb[1]):
        return False  # (0, 1] is not [0, 1)
    results = [_answers_match(x, y, max_chars, timeout) for x, y in zip(ga[2], gb[2], strict=True)]
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


_WORDS_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:\s+[A-Za-z][A-Za-z'’-]*)*")
"""An answer in words only (``Evelyn``, ``No real solutions``, ``circle``): no digit, no command, no sign."""


_CHOICE_ONLY_RE = re.compile(r"\(([A-E])\)")
_MATHEMATICS_RE = re.compile(r"\d|\\[A-Za-z]|[=+^]")
"""A digit, a command or an operator: an answer in mathematics, never equal to words or a choice letter."""


def _words_comparison(a: str, b: str) -> bool | None:
    """Words against words, or words against mathematics, decided without math-verify: ``Carla`` is not
    ``Evelyn`` (case aside, the words must be the same), and ``No solutions`` is not ``3 \\pm 2\\sqrt{2}``.
    A single letter is no word here (a variable, a choice): None, for the comparisons after this one."""
    choice_a, choice_b = _CHOICE_ONLY_RE.fullmatch(a.strip()), _CHOICE_ONLY_RE.fullmatch(b.strip())
    if choice_a or choice_b:
        # a choice letter against a choice letter, or against mathematics: "(B)" is not "3(1 + r)^x = 7"
        if choice_a and choice_b:
            return choice_a.group(1) == choice_b.group(1)
        other = b if choice_a else a
        return False if _MATHEMATICS_RE.search(other) else None
    wa, wb = _WORDS_RE.fullmatch(a.strip()), _WORDS_RE.fullmatch(b.strip())
    if wa and wb:
        if len(a.strip()) < 2 or len(b.strip()) < 2:
            return None
        return " ".join(a.lower().split()) == " ".join(b.lower().split())
    if not (wa or wb):
        return None
    word, other = (a, b) if wa else (b, a)
    if len(word.strip()) >= 2 and _MATHEMATICS_RE.search(other):
        return False  # words on one side, mathematics on the other
    return None


def _our_comparison(a: str, b: str) -> bool | None:
    """Both answers through our own parser: numbers (with roots and π) at 40 digits; expressions with
    letters as polynomials, or at two points; two equations as the same when one is the other times a
    number (``10x − 12y = 2`` and ``5x − 6y = 1``). None when either does not parse."""
    if a.count("=") == 1 and b.count("=") == 1:
        return _same_equation(a, b)
    try:
        na, nb = parse(a), parse(b)
    except (Unverifiable, RecursionError):
        return None
    la, lb = symbols_of(na), symbols_of(nb)
    if not la and not lb:
        x, y = approximate(na, 40), approximate(nb, 40)
        if x is None or y is None:
            return None
        return abs(x - y) <= max(abs(x), abs(y), Fraction(1)) * Fraction(1, 10**30)
    if la != lb:
        return False if la and lb else None
    try:
        pa, pb = evaluate(na), evaluate(nb)
        if isinstance(pa, PolyValue) or isinstance(pb, PolyValue):
            return pa == pb
    except (NotRational, Unverifiable):
        pass
    return _equal_at_points(na, nb, sorted(la))


def _same_equation(a: str, b: str) -> bool | None:
    try:
        pa = [evaluate(parse(side)) for side in a.split("=")]
        pb = [evaluate(parse(side)) for side in b.split("=")]
    except (Unverifiable, NotRational, RecursionError):
        return None
    da, db = subtract(pa[0], pa[1]), subtract(pb[0], pb[1])
    ta, tb = {m: c for m, c in da.terms.items() if c}, {m: c for m, c in db.terms.items() if c}
    if not ta or not tb or set(ta) != set(tb):
        return False if ta and tb else None
    m0 = next(iter(ta))
    k = tb[m0] / ta[m0]
    return all(tb[m] == k * c for m, c in ta.items())


def _equal_at_points(a: object, b: object, names: list[str]) -> bool | None:
    """Two expressions with letters compared at two rational points (exactly where they stay rational).

    Different values at a point prove them different; equal values at two points of small height, for the
    expressions answers are, mean equal. ``(x+y+z)^{60}`` against ``(x+y+z+1)^{60}`` is decided in
    microseconds this way, where expanding it symbolically takes minutes.
    """
    points = ({n: Fraction(2 * k + 3, k + 2) for k, n in enumerate(names)},
              {n: Fraction(3 * k + 5, 2 * k + 3) for k, n in enumerate(names)})
    for values in points:
        x, y = _at(a, values), _at(b, values)
        if x is None or y is None:
            return None
        if abs(x - y) > max(abs(x), abs(y), Fraction(1)) * Fraction(1, 10**30):
            return False
    return True


def _at(node: object, values: dict[str, Fraction]) -> Fraction | None:
    def put(n: tuple) -> tuple:  # type: ignore[type-arg]
        if n[0] == "sym" and n[1] in values:
            return ("num", values[n[1]], n[2])
        if n[0] in ("num", "sym"):
            return n
        if n[0] == "add":
            return ("add", [(sign, put(sub)) for sign, sub in n[1]])
        return (n[0],) + tuple(put(c) if isinstance(c, tuple) else c for c in n[1:])

    if any(leaf[0] == "sym" and leaf[1] not in values and leaf[1] != "pi" for leaf in leaves(node)):  # type: ignore[arg-type]
        return None
    return approximate(put(node), 40)  # type: ignore[arg-type]
