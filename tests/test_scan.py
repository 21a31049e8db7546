"""``scan.matches_at`` finds what ``finditer`` finds, for each pattern the engine scans that way.

The engine tries its marker patterns (the answer markers, ``Step k`` headers, code fences, a base model's drift into
a new problem) only where a match can start; these hold each to the plain ``finditer`` it replaces, on text built
from the pieces that make or nearly make a match, and on every chain of the real outputs where they are present.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.engine import answer as A
from inspector.engine import segment as S
from inspector.engine.scan import lines_beginning, lines_with, lowered, matches_at, may_contain, occurrences

_PIECES = [
    "The answer is", "the final answer is", "FINAL  Answer is", "answer (arabic numerals) is", "Answer:", "answer：",
    "A:", "a :", "> **Answer:**", "Final Answer:", "answers are", "the answer would be", "answer will be 3",
    "**18**", "**Total:** 5", "c**2", "(**x**)", "***", "**", "Step 1:", "## Step 2", "**Step 3**", "step4", "ſtep 5",
    "```python", "```", "~~~", "````output", "Question 3:", "Problem:", "Exercise 2.", "Q:", "Human:", "User :",
    "<|im_start|>", "<|endoftext|>", "What is the purpose of", "ſ", "ı", "İ", "K", "FİNAL answer is", "anſwer is",
    "is", "=", "$", "\\boxed{3}", "-88.", "12", "\n", "\n  ", "\t", " ",
]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) if rng.random() < 0.6 else rng.choice("ab 1.:\n*#")
                   for _ in range(rng.randint(1, 30)))


def _spans(ms: list[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in ms]


_SCANS = {
    "answer is": (A._ANSWER_IS_RE, A._answer_is_markers),
    "answer colon": (A._ANSWER_COLON_RE, lambda t: matches_at(A._ANSWER_COLON_RE, t, lines_with(t, ":："))),
    "bold": (A._BOLD_RE, lambda t: matches_at(A._BOLD_RE, t, occurrences(t, ("**",)))),
    "drift": (A._DRIFT_RE, lambda t: matches_at(A._DRIFT_RE, t, lines_beginning(t, 0, A._DRIFT_FIRST))),
    "step markers": (S._MARKER_RE, S._markers),
    "code fences": (S._FENCE_RE, lambda t: matches_at(S._FENCE_RE, t, lines_beginning(t, 0, S._FENCE_FIRST))),
}


@pytest.mark.parametrize("name", sorted(_SCANS))
def test_each_scan_finds_what_finditer_finds(name: str) -> None:
    rx, scan = _SCANS[name]
    rng = random.Random(name)
    found = 0
    for _ in range(4000):
        text = _text(rng)
        expected = _spans(list(rx.finditer(text)))
        assert _spans(scan(text)) == expected, text
        found += bool(expected)
    assert found > 300  # the pieces make matches: the test is not passing on empty lists


def test_case_blind_markers_see_what_ignorecase_sees() -> None:
    """``(?i)`` matches ſ to s and İ, ı to i: a text with one of those is scanned the slow way, not missed."""
    assert lowered("The Final ANSWER is") == "the final answer is"
    assert lowered("the anſwer is 3") is None and lowered("FİNAL answer") is None
    assert _spans(A._answer_is_markers("so the anſwer is 3")) == [(7, 17)]
    assert A.extract_answer("Work.\nThe ANSWER is -88.", ("answer_is",)).text == "-88"  # type: ignore[union-attr]


def test_helpers_say_where() -> None:
    text = "ab\n  Q: x\nno\n\tQ\n"
    assert lines_beginning(text, 0, frozenset("Q")) == [3, 13]
    assert lines_with("a:b\nc\nd：e:", ":：") == [0, 6]
    assert occurrences("***", ("**",)) == [0, 1]


def test_scans_agree_on_real_chains() -> None:
    """Every chain of the real outputs, where ``../shared/data`` is present."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import real_sources  # (the benchmarks' loaders, on the path only for this test)

    if not real_sources.available():
        pytest.skip("../shared/data/model-outputs is not here")
    for source in real_sources.all_sources().values():
        for chain in source:
            text = chain.text
            for name, (rx, scan) in _SCANS.items():
                assert _spans(scan(text)) == _spans(list(rx.finditer(text))), (name, chain.chain_id)


def _agreements(rng: random.Random, pieces: list[str], most: int, pattern: Callable[[str], bool],
                fast: Callable[[str], bool]) -> int:
    """30,000 texts of up to ``most`` pieces: ``fast`` says what ``pattern`` says of each. How many said yes."""
    said = 0
    for _ in range(30000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, most)))
        expected = pattern(text)
        assert fast(text) == expected, text
        said += expected
    return said


def test_result_in_words_is_its_pattern() -> None:
    """``extract._says_result_in_words`` (the words first, then a look back for the number) says what
    ``_RESULT_IN_WORDS_RE.search`` says."""
    from inspector.engine import extract as E

    rng = random.Random(3)
    pieces = ["40 / 8", " is ", " equals ", " gives", "makes ", " yields  $", "6", "٣", "x", "_", "-", ".", "\t",
              " ", "apples and pears", "can be written", "simplifies to", "this", "is6", " is\u00a07", "a" * 31]
    said = _agreements(rng, pieces, 8, lambda line: E._RESULT_IN_WORDS_RE.search(line) is not None,
                       E._says_result_in_words)
    assert said > 2000


def test_says_anew_is_its_pattern() -> None:
    """``derive_forms.says_anew`` (a word of ``_ANEW_WORDS`` first, then the pattern) says what ``_ANEW_RE`` says:
    the words are all the pattern can start with."""
    from inspector.engine import derive_forms as D

    rng = random.Random(9)
    pieces = ["Case 2", "HOWEVER", "Alternatively", "instead", "Suppose", "set  up", "Another", "similarly", "also",
              "second", "Third", "consider", "checking", "verify", "substituting", "plugging", "Given", "we know",
              "recall", "Let", "let's", "let us", "assume", "for", "If", "when", "can be 3", "could only equal -2",
              "can either be $", "for we", ". For", ";\tif", "x\n- when", "\n  for", "ſet up", "İf", "so", "the",
              "=", "2", " ", "\n", ":", "the values", "x \t\nfor", " \t\n", "\u00a0", "3.5", "!", "?if"]
    said = _agreements(rng, pieces, 6, lambda gap: D._ANEW_RE.search(gap) is not None, D.says_anew)
    assert 3000 < said < 27000  # both answers met


_WORD_GATES = {
    "connective": ("derive_links", "_CONNECTIVE_RE", "_CONNECTIVE_WORDS", [
        "So", "THUS", "hence", "Therefore", "gives", "give", "giving", "get", "gets", "getting", "obtain", "implies",
        "means", "simplifying", "Expand", "rearranged", "becomes", "reduces to", "i.e", "I.E.", "\\implies",
        "\\Rightarrow", "\\Longrightarrow", "⟹", "⇒", "→", "\\to", "\\TO", "ſo", "ıe", "also", "together"]),
    "says rewrite": ("rational_rewrites", "_SAYS_REWRITE_RE", "_SAYS_REWRITE_WORDS", [
        "expanding", "Simplify", "rearrange", "collecting", "combine", "rewrite", "multiply", "multiplying",
        "dividing", "cross-multiplying", "cross multiply", "clearing the denominators", "clear fractions", "ſimplify"]),
    "rewriting": ("letters", "_REWRITING_RE", "_REWRITING_WORDS", [
        "expanding", "Factor", "rewritten", "written as", "expressed as", "simplifies", "EQUIVALENT", "ſimplify"]),
}


@pytest.mark.parametrize("name", sorted(_WORD_GATES))
def test_word_gates_are_complete(name: str) -> None:
    """A search is skipped where none of its words is written: for each pattern, every alternative needs one of
    them (a text that matches always holds one), so the skip never changes an answer."""
    import importlib

    module_name, pattern_name, words_name, words = _WORD_GATES[name]
    module = importlib.import_module(f"inspector.engine.{module_name}")
    rx, gate = getattr(module, pattern_name), getattr(module, words_name)
    rng = random.Random(name)
    fillers = ["=", "2", " ", "\n", ":", "the", "x", ", ", "$", "we"]
    said = 0
    for _ in range(20000):
        text = "".join(rng.choice(words) if rng.random() < 0.3 else rng.choice(fillers)
                       for _ in range(rng.randint(1, 6)))
        expected = rx.search(text) is not None
        if expected:
            assert may_contain(text, gate), text
        said += expected
    assert said > 2000


def test_line_start_gates_say_what_their_patterns_say() -> None:
    """``pipeline._continues``, ``extract._may_be_bullet`` and ``answer._has_digit`` answer most lines without a
    pattern: where they say no, the pattern finds nothing; where the gate lets a line through, the pattern decides."""
    from inspector.engine import extract as E
    from inspector.engine import pipeline as P

    rng = random.Random(5)
    pieces = [" ", "\t", "\n", "=", "&", "$", "$$", "\\[", "\\", "-", "*", "•", "1", "12", "٣", ".", ")", "x", "a",
              "Step", "\u00a0", "==", "1."]
    for _ in range(30000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert P._continues(text, 0) == (P._CONTINUES_RE.match(text, 0) is not None), text
        if not E._may_be_bullet(text):
            assert E._BULLET_RE.match(text) is None, text
        assert A._has_digit(text, 0, len(text)) == (re.search(r"\d", text) is not None), text


def test_plus_minus_values_are_found_where_finditer_finds_them() -> None:
    """``solved_values._pm_value_starts``: tried only at the letters before a ``±``, the pattern finds what
    ``finditer`` finds."""
    from inspector.engine import solved_values as SV

    rng = random.Random(7)
    pieces = ["x", "k", "ab", "\\", "=", " = ", "\n", "\t", "\u00a0", "±", "\\pm", "\\pmod", "3", "$", ",", ".", ". ",
              ";", "\\)", "\\]", "==", " ", "\\alpha", "x = ±3", "k=\\pm 2$", "a =\n± 5. ", "y = \\pm\\sqrt{2},"]
    found = 0
    for _ in range(30000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        expected = _spans(list(SV._PM_VALUE_RE.finditer(text)))
        assert _spans(matches_at(SV._PM_VALUE_RE, text, SV._pm_value_starts(text))) == expected, text
        found += bool(expected)
    assert found > 1000
