"""Every regular expression the package runs on untrusted text stays fast on the inputs that make regexes slow.

Two checks. A ReDoS audit: regexploit reads every pattern written in ``inspector/`` and reports the ones whose
overlapping repeats make matching cubic or worse on some input (possessive repeats, ``*+``, which cannot
backtrack, are audited as plain ones: the audit errs on the side of a finding). And a measurement: every
pattern the package compiles is run over adversarial text (long runs of spaces, digits, backslashes, braces,
repeated prefixes), the way the engine meets it: a line is at most ``max_line_chars`` (10,000) long.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import time
import warnings
from pathlib import Path

import pytest

import inspector

PACKAGE = Path(inspector.__file__).resolve().parent


def test_no_pattern_is_cubic_or_worse() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # it imports sre_parse, deprecated in 3.11
        pytest.importorskip("regexploit")
        from regexploit.ast.sre import SreOpParser
        from regexploit.languages.python_node_visitor import PythonNodeVisitor
        from regexploit.redos import find

    audited, findings = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = PythonNodeVisitor()
        visitor.visit(ast.parse(path.read_bytes()))
        for regex in visitor.patterns:
            pattern = re.sub(r"(?<!\\)([*+?}])\+", r"\1", regex.pattern)  # possessive → greedy (conservative)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    parsed = SreOpParser().parse_sre(pattern, regex.flags)
                except Exception:  # noqa: BLE001 - a string literal that is no regular expression
                    continue
            audited += 1
            findings += [f"{path.name}:{regex.lineno}: {regex.pattern[:80]} ({r.starriness} stars)"
                         for r in find(parsed) if r.starriness > 2]
    assert audited > 60  # the audit saw the package's patterns
    assert findings == []


def _compiled_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for module in pkgutil.walk_packages(inspector.__path__, "inspector."):
        if module.name.endswith("__main__"):
            continue
        try:
            mod = importlib.import_module(module.name)
        except ImportError:  # an optional extra (textual, torch) that is not installed
            continue
        found += [(f"{module.name}.{name}", value) for name, value in vars(mod).items()
                  if isinstance(value, re.Pattern) and isinstance(value.pattern, str)]
    return found


ADVERSARIAL = [" ", "\t", "\n", "1", "1,", "1.", "a", "a ", "\\", "{", "$", "#", "*", "(", "=", "1 + ", "\\frac{",
               "\\boxed{", "<<1=", "the answer is ", "Step 1: ", "\\text{a"]


SOURCES = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py"))


def _scans(name: str) -> bool:
    """Is the pattern run at every position of a text (``search``, ``finditer``, ``sub`` …), or only anchored
    where the code puts it (``match`` at a line's start, after a number)?"""
    short = name.rsplit(".", 1)[1]
    return re.search(rf"\b{re.escape(short)}\.(?:search|finditer|findall|sub|subn|split)\(", SOURCES) is not None


@pytest.mark.parametrize("name, pattern", _compiled_patterns(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_pattern_is_fast_on_adversarial_lines(name: str, pattern: re.Pattern[str]) -> None:
    worst = 0.0
    scans = _scans(name)
    for piece in ADVERSARIAL:
        for tail in ("", "!", "x\n"):
            text = piece * (10_000 // len(piece)) + tail
            start = time.perf_counter()
            pattern.match(text)
            if scans:
                for _ in pattern.finditer(text):
                    pass
            worst = max(worst, time.perf_counter() - start)
    # generous for a shared machine: the cubic and exponential cases this guards against take minutes
    assert worst < 2.0, f"{name} took {worst:.2f} s on one adversarial line"
