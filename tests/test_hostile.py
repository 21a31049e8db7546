"""Untrusted input: chain text is model output, so every input must finish fast, never crash, never
run anything, and never be called *correct* when the engine could not really evaluate it.

Each hostile input is verified twice: as the whole chain, and embedded in a line
``so x = <expression> = 5``. Each call must finish in under ``BOUND`` seconds (measured with
``time.perf_counter``; the real times are far lower, see the table), must not raise, and every claim
that touches the hostile text must be ``unverifiable``.

Timings measured on the development machine (CPython 3.11, one core; whole chain / embedded line):

    power tower 9^9^9^9 = 5                 0.2 ms / 0.2 ms
    100000! = 5                             0.1 ms / 0.1 ms
    10^10^10 = 5                            0.1 ms / 0.1 ms
    1 MB line "1+1+...+1 = 5"              54 ms  / 55 ms   (line limit: not parsed, reported)
    10,000 nested parentheses               1.0 ms / 0.9 ms  (line limit)
    2^(10^8) = 5                            0.2 ms / 0.2 ms
    \\sqrt[100000]{2} = 1                   0.1 ms / 0.2 ms
    100,000-digit number                    2.6 ms / 2.5 ms  (line limit)
    __import__('os').system(...) = 0        0.1 ms / 0.2 ms
    eval("1+1") = 2                         0.1 ms / 0.1 ms
    <<__import__('os').system('x')=0>>      0.1 ms / 0.1 ms
    \\frac nested 10,000 levels             4.2 ms / 4.3 ms  (line limit)
    GSM8K annotation, 10,000 operators      1.8 ms / 1.8 ms  (line limit)
    200,000 lines "1 + 1 = 2"              14-16 s           (own bound: 20 s; see the test)

The actual time of each run is printed (``pytest -s``) and attached as a ``seconds`` property to
the JUnit XML record (``record_property``).

Engine bugs these tests found are fixed; their inputs stay at the end as regression tests.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspector.engine.model import ChainResult, ClaimStatus
from inspector.engine.pipeline import verify_text
from inspector.engine.rules import default_rules

BOUND = 0.5
"""Seconds per hostile input: generous (the measured times are milliseconds) to leave CI slack."""

MEMORY_BOUND = 200 * 1024 * 1024


def nested_frac(levels: int) -> str:
    """``\\frac{\\frac{\\frac{1}{2}}{2}}{2}`` nested ``levels`` deep."""
    return "\\frac{" * levels + "1" + "}{2}" * levels


@dataclass(frozen=True)
class Hostile:
    id: str
    text: str
    """The input as a whole chain (as the brief writes it)."""
    expr: str
    """The hostile expression alone, embedded as ``so x = <expr> = 5``."""
    noticed: bool = True
    """The engine must *say* it could not check it (an unverifiable claim or finding over it), not
    just stay silent. Not required of code-looking text, which may be read as plain words."""


def _case(id: str, expr: str, rhs: str = "5", noticed: bool = True) -> Hostile:
    return Hostile(id, f"{expr} = {rhs}", expr, noticed)


HOSTILE = [
    _case("power-tower-9^9^9^9", "9^9^9^9"),
    _case("factorial-100000", "100000!"),
    _case("power-tower-10^10^10", "10^10^10"),
    _case("1MB-line-of-1+1", "1+" * 500_000 + "1"),
    _case("10000-nested-parens", "(" * 10_000 + "1" + ")" * 10_000, rhs="1"),
    _case("2^(10^8)", "2^(10^8)"),
    _case("sqrt[100000]{2}", "\\sqrt[100000]{2}", rhs="1"),
    _case("100000-digit-number", "1234567890" * 10_000),
    _case("eval-string", 'eval("1+1")', rhs="2", noticed=False),
    Hostile("annotation-import", "<<__import__('os').system('x')=0>>", "<<__import__('os').system('x')=0>>",
            noticed=False),
    _case("frac-nested-10000", nested_frac(10_000), rhs="1"),
    Hostile("annotation-10000-operators", "<<" + "1+" * 10_000 + "1=10001>>10001",
            "<<" + "1+" * 10_000 + "1=10001>>10001"),
]

# Inputs of our own, small enough to pass the 10,000-character line limit, so they reach the
# tokenizer, parser and evaluator limits themselves. Time and crash bounds only, plus "never
# correct" (several are plainly false, so "wrong" is an honest answer for them).
UNDER_LIMIT = [
    _case("4990-nested-parens", "(" * 4_990 + "1" + ")" * 4_990, rhs="1"),
    _case("frac-nested-990", nested_frac(990), rhs="1"),
    _case("9990-digit-number", "7" * 9_990),
    _case("80-digit-number", "1" + "0" * 80),
    _case("power-chain-2^2^...-1000", "2" + "^2" * 1_000),
    _case("3000-unary-minus", "-" * 3_000 + "1", rhs="1"),
    _case("sqrt-nested-1500", "\\sqrt" * 1_500 + "{4}", rhs="2"),
    _case("unicode-sqrt-3000", "√" * 3_000 + "4", rhs="2"),
    _case("999999^99999", "999999^99999"),
    _case("2^{-100000}", "2^{-100000}", rhs="0"),
    _case("300-products-of-10^60", "*".join(["10^{60}"] * 300)),
    _case("100-products-of-300!", "*".join(["300!"] * 100)),
    _case("(300!)^60", "(300!)^{60}"),
    _case("2000-term-sum", "1+" * 1_999 + "1", rhs="2000"),
    _case("sqrt2^2048", "\\sqrt{2}^{2048}"),
]


@pytest.fixture(scope="module", autouse=True)
def _warm_up() -> None:
    """Pay one-time costs (the lazy sympy import, regex compilation) before anything is timed."""
    verify_text("So \\sqrt{2} \\approx 1.41 and 3 + 4 = 7 and <<2*3=6>>6 and 20% of 50 = 10.")


def timed(text: str, **kwargs: object) -> tuple[ChainResult, float]:
    t0 = time.perf_counter()
    result = verify_text(text, **kwargs)  # type: ignore[arg-type]
    return result, time.perf_counter() - t0


def embeddings(case: Hostile) -> Iterator[tuple[str, str, tuple[int, int]]]:
    """(how, chain text, span of the hostile part in it)."""
    yield "whole", case.text, (0, len(case.text))
    prefix = "so x = "
    line = f"{prefix}{case.expr} = 5"
    yield "embedded", line, (len(prefix), len(prefix) + len(case.expr))


def overlaps(span: tuple[int, int], other: tuple[int, int]) -> bool:
    return span[0] < other[1] and other[0] < span[1]


def claims_over(result: ChainResult, span: tuple[int, int]) -> list:  # type: ignore[type-arg]
    return [c for s in result.steps for c in s.claims if overlaps(c.span, span)]


def describe(result: ChainResult) -> str:
    out = [f"  {c.status}: {c.text[:60]!r} reason={c.reason!r}" for s in result.steps for c in s.claims]
    out += [f"  finding {f.rule}: {f.message[:80]!r}" for f in result.findings]
    return "\n".join(out[:20])


def check_hostile(case: Hostile, record_property: Callable[[str, object], None], strict: bool = True) -> None:
    for how, text, span in embeddings(case):
        result, dt = timed(text)
        print(f"{case.id} [{how}]: {dt * 1000:.1f} ms")
        record_property(f"seconds_{how}", round(dt, 6))
        assert dt < BOUND, f"{case.id} [{how}] took {dt:.3f} s"
        over = claims_over(result, span)
        context = f"{case.id} [{how}]:\n{describe(result)}"
        assert not any(c.status is ClaimStatus.CORRECT for c in over), context
        if strict:
            assert all(c.status is ClaimStatus.UNVERIFIABLE for c in over), context
            assert not any(overlaps(f.span, span) for f in result.errors), context
        if case.noticed and strict:
            said = any(c.status is ClaimStatus.UNVERIFIABLE for c in over) or any(
                f.rule == "unverifiable" and overlaps(f.span, span) for f in result.findings
            )
            assert said, f"{case.id} [{how}] was silently dropped:\n{describe(result)}"


@pytest.mark.parametrize("case", HOSTILE, ids=[c.id for c in HOSTILE])
def test_hostile_input_is_bounded_and_unverifiable(
    case: Hostile, record_property: Callable[[str, object], None]
) -> None:
    check_hostile(case, record_property)


@pytest.mark.parametrize("case", UNDER_LIMIT, ids=[c.id for c in UNDER_LIMIT])
def test_under_line_limit_input_is_bounded_and_never_correct(
    case: Hostile, record_property: Callable[[str, object], None]
) -> None:
    check_hostile(case, record_property, strict=False)


@pytest.mark.parametrize("case", HOSTILE, ids=[c.id for c in HOSTILE])
def test_hostile_input_with_line_limit_lifted(case: Hostile, record_property: Callable[[str, object], None]) -> None:
    """A rule set may raise ``max_line_chars``; the parser's own limits must then hold the line."""
    rules = dataclasses.replace(default_rules(), max_line_chars=10**8)
    for how, text, span in embeddings(case):
        result, dt = timed(text, rules=rules)
        print(f"{case.id} [{how}, no line limit]: {dt * 1000:.1f} ms")
        record_property(f"seconds_{how}", round(dt, 6))
        assert dt < BOUND, f"{case.id} [{how}] took {dt:.3f} s"
        over = claims_over(result, span)
        assert all(c.status is ClaimStatus.UNVERIFIABLE for c in over), describe(result)


# ---------------------------------------------------------------------------------------------
# Code in the text is text


@pytest.fixture
def no_code_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    """Record (and refuse) every attempt to run a shell command or evaluate a string."""
    calls: list[tuple[str, tuple[object, ...]]] = []

    def refuse(name: str, original: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            if any(isinstance(a, str) and ("pwned" in a or "touch" in a or "1+1" in a) for a in args):
                calls.append((name, args))
                raise AssertionError(f"{name} called with {args!r}")
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(os, "system", refuse("os.system", os.system))
    monkeypatch.setattr(os, "popen", refuse("os.popen", os.popen))
    monkeypatch.setattr(subprocess, "Popen", refuse("subprocess.Popen", subprocess.Popen))
    monkeypatch.setattr(builtins, "eval", refuse("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", refuse("exec", builtins.exec))
    return calls


@pytest.mark.parametrize("target", ["/tmp/pwned", "TMP"])
def test_import_os_system_is_text(
    target: str, tmp_path: Path, no_code_runs: list[tuple[str, tuple[object, ...]]],
    record_property: Callable[[str, object], None],
) -> None:
    path = Path(target) if target != "TMP" else tmp_path / "pwned"
    existed = path.exists()
    expr = f"__import__('os').system('touch {path}')"
    case = _case(f"import-os-system-{target}", expr, rhs="0", noticed=False)
    check_hostile(case, record_property)
    for how, text, _ in embeddings(case):
        result = verify_text(text)
        # treated as text: nothing about it is correct, and nothing was run
        assert not any(c.status is ClaimStatus.CORRECT for s in result.steps for c in s.claims)
    assert no_code_runs == []
    if not existed:
        assert not path.exists(), f"{path} was created"


def test_eval_and_annotation_code_run_nothing(
    no_code_runs: list[tuple[str, tuple[object, ...]]], record_property: Callable[[str, object], None]
) -> None:
    for case in HOSTILE:
        if not case.noticed:
            check_hostile(case, record_property)
    assert no_code_runs == []


# ---------------------------------------------------------------------------------------------
# Scale: a long chain of short lines, and memory


def test_core_never_imports_textual() -> None:
    code = "import inspector, inspector.engine.pipeline, inspector.cli; import sys; assert 'textual' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


_LONG_CHAIN_SCRIPT = """
import json, resource, sys, time
from inspector.engine.pipeline import verify_text
verify_text("So 3 + 4 = 7.")
text = "1 + 1 = 2\\n" * 200_000
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
result = verify_text(text)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
claims = sum(len(s.claims) for s in result.steps)
correct = sum(c.status == "correct" for s in result.steps for c in s.claims)
cut = [f for f in result.findings if "chain longer than" in f.message]
print(json.dumps({"seconds": dt, "extra_rss_kib": peak - base, "errors": len(result.errors),
                  "claims": claims, "correct": correct, "cut_findings": len(cut)}))
"""


@pytest.fixture(scope="module")
def long_chain() -> dict[str, float]:
    """200,000 lines of ``1 + 1 = 2``, verified once in a fresh interpreter (so the timing is not
    skewed by this process's heap, and its peak resident memory can be read)."""
    proc = subprocess.run([sys.executable, "-c", _LONG_CHAIN_SCRIPT], capture_output=True, text=True, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"200,000 lines: {data}")
    return data


def test_200k_short_lines(long_chain: dict[str, float], record_property: Callable[[str, object], None]) -> None:
    # The rule set reads at most max_chain_lines (20,000) lines of a chain and says so in one
    # unverifiable finding: one hostile chain cannot take a batch's time or memory.
    record_property("seconds", round(long_chain["seconds"], 3))
    assert long_chain["seconds"] < 10.0
    assert long_chain["errors"] == 0
    assert long_chain["claims"] == long_chain["correct"] == 20_000
    assert long_chain["cut_findings"] == 1


def test_200k_short_lines_memory(long_chain: dict[str, float]) -> None:
    assert long_chain["extra_rss_kib"] * 1024 < MEMORY_BOUND


def test_hostile_inputs_memory() -> None:
    """Peak traced allocation while verifying each hostile input (both embeddings) stays < 200 MB."""
    peaks: dict[str, int] = {}
    tracemalloc.start()
    try:
        for case in HOSTILE + UNDER_LIMIT:
            for how, text, _ in embeddings(case):
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                verify_text(text)
                peaks[f"{case.id} [{how}]"] = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    worst = max(peaks, key=lambda k: peaks[k])
    print(f"worst peak: {worst}: {peaks[worst] / 1e6:.1f} MB")
    assert all(p < MEMORY_BOUND for p in peaks.values()), {k: v for k, v in peaks.items() if v >= MEMORY_BOUND}


# ---------------------------------------------------------------------------------------------
# Engine bugs these tests found, fixed, kept as regression tests.

# fixed engine bug, kept as a regression test: the float shown as "actual" for an irrational value overflows. check._irrational_pair
# formats `float(a)` of the 40-digit approximation; past ~1.8e308 that raises OverflowError, which
# nothing catches, so a 9-character line crashes verify_text.
OVERFLOW_CRASHES = ["π^700 = 5", "\\pi^{1000} = \\pi^{999}", "so the area is π^700 = 5 square units."]


@pytest.mark.parametrize("text", OVERFLOW_CRASHES)
def test_regression_irrational_overflow_crashes(text: str) -> None:
    result, dt = timed(text)
    assert dt < BOUND
    assert not any(c.status is ClaimStatus.CORRECT for s in result.steps for c in s.claims)


# fixed engine bug, kept as a regression test: left-nested trees are walked recursively without a depth bound. The parser's
# MAX_DEPTH counts brackets, powers and signs, not a left-associative chain: "1*1*...*1",
# "3!!!...!", "2(2)(2)...", "2·2·...·2" build trees ~N deep, and evaluate / symbols_of / literals
# then raise RecursionError (not caught: only _parse_side catches it). Minimal lengths found
# outside pytest: "3" + "!"*986 (991 chars), "2·"*331 + "2" (667 chars), "1*"*988 + "1" (1,981
# chars); under pytest's deeper stack less is needed. All far below the 10,000-character limit.
RECURSION_CRASHES = {
    "1*1*...*1 (1200)": "1*" * 1_200 + "1 = 1",
    "1/1/.../1 (1200)": "1/" * 1_200 + "1 = 1",
    "3!!!...! (1200)": "3" + "!" * 1_200 + " = 5",
    "3%%%...% (1200)": "3" + "%" * 1_200 + " = 5",
    "2(2)(2)... (600)": "2" + "(2)" * 600 + " = 5",
    "2 x 2 x ... (600)": "2 x " * 600 + "2 = 5",
    "2·2·...·2 (600)": "2·" * 600 + "2 = 5",
}


@pytest.mark.parametrize("text", RECURSION_CRASHES.values(), ids=RECURSION_CRASHES.keys())
def test_regression_long_operator_chain_recursion(text: str) -> None:
    result, dt = timed(text)
    assert dt < BOUND
    assert not any(c.status is ClaimStatus.CORRECT for s in result.steps for c in s.claims)


# fixed engine bug, kept as a regression test: sympy's simplify() (check._symbolically_equal / _irrational_pair) expands an integer
# power of a sum of radicals multinomially; the time grows steeply with terms and exponent.
# Measured: (√2+√3+√5)^200: 1.5 s; ^250: 2.5 s; ^400: 14 s; (√2+√3+√5+√7)^150: 45 s;
# (√2+√3+√5+√7+√11)^100: over 2 minutes. A 48-character line can stall a worker for minutes.
def test_regression_radical_power_is_slow() -> None:
    _, dt = timed("(\\sqrt{2}+\\sqrt{3}+\\sqrt{5})^{250} = 5")
    print(f"radical power: {dt:.2f} s")
    assert dt < BOUND


# fixed engine bug, kept as a regression test: the tokenizer stops at MAX_TOKENS (4,000) tokens and the run cut there is still
# parsed and judged, so the verdict is about a *prefix* of the written expression. Below, the
# written sum is 3000; depending on where the cut falls the engine reports "1998 = 1+...+1"
# correct, or "2000 = ..." wrong with actual 1998. A cut side should be unverifiable.
def test_regression_token_limit_judges_a_prefix() -> None:
    ones = "+".join(["1"] * 3_000)  # 5,999 characters: under the line limit
    for prefix in ("so x = ", "so x = y = ", ""):
        for stated in (1998, 1999, 2000):
            text = f"{prefix}{stated} = {ones}"
            result = verify_text(text)
            claims = [c for s in result.steps for c in s.claims]
            context = f"{prefix!r} {stated}: {[(c.status.value, c.actual) for c in claims]}"
            assert not any(c.status is ClaimStatus.CORRECT for c in claims), context
            assert all(c.actual in (None, "3000") for c in claims if c.status is ClaimStatus.WRONG), context


# --- issue "Reliability": engine reproductions ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["So ３.５ + 1 = 4.5", "So ٣٫٥ + 1 = 4.5", "３．５ × 2 = 7", "0^0 = 1", "5 − 3 = 2", "5 － 3 = 2", "5 ‒ 3 = 2",
     "5 ﹣ 3 = 2", "5 – 3 = 2"],
)
def test_correct_arithmetic_in_any_script_stays_correct(text: str) -> None:
    r = verify_text(text)
    assert r.errors == ()
    assert any(c.status is ClaimStatus.CORRECT for s in r.steps for c in s.claims)


def test_a_wrong_result_in_fullwidth_digits_is_still_a_slip() -> None:
    assert [(f.stated, f.actual) for f in verify_text("So ３.５ + 1 = 5.5").errors] == [("5.5", "4.5")]


@pytest.mark.parametrize(
    "text, reference",
    [
        ("\\boxed{" * 150_000, "1"),  # quadratic brace matching before
        ("#### 1" + " " * 30_000, "1"),
        ("The answer is" + " " * 200 + "a" * 300, "5"),
        ("so \\boxed{1," + "000," * 25 + "000}", "5"),  # more digits than a literal may have
        ("The answer is 5", "1," + "000," * 25 + "000"),
        ("\\boxed{9^{9^{9}}}", "5"),
        ("\\boxed{(x+y+z)^{999}}", "(x+y+z+1)^{999}"),
        ("\\boxed{\\binom{999999}{499999}}", "5"),
    ],
    ids=["boxed-150k", "hash-spaces", "answer-is-spaces", "boxed-60-digits", "reference-60-digits", "tower",
         "power-999", "binomial"],
)
def test_hostile_answers_end_in_well_under_a_second(text: str, reference: str) -> None:
    start = time.perf_counter()
    verify_text(text, reference=reference)
    assert time.perf_counter() - start < 1.0
