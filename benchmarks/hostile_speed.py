"""Benchmark: the time each hostile input of the issue "Reliability" takes through the engine (one run).

Every one must end well under a second per chain on our shared 2-core machine; the tests assert a generous
margin (tests/test_hostile.py), this prints the figures.

    python benchmarks/hostile_speed.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspector import verify_text  # noqa: E402

CASES = {
    "fullwidth digits  So ３.５ + 1 = 4.5": ("So ３.５ + 1 = 4.5", None),
    "boxed answer of 79 digits": ("so \\boxed{1," + "000," * 25 + "000}", "5"),
    "reference of 79 digits": ("The answer is 5", "1," + "000," * 25 + "000"),
    "\\boxed{ × 150,000": ("\\boxed{" * 150_000, "1"),
    "#### 1 + 30,000 spaces": ("#### 1" + " " * 30_000, "1"),
    "The answer is + 200 spaces + 300 letters": ("The answer is" + " " * 200 + "a" * 300, "5"),
    "\\boxed{9^{9^{9}}} against 5": ("\\boxed{9^{9^{9}}}", "5"),
    "(x+y+z)^{999} against (x+y+z+1)^{999}": ("\\boxed{(x+y+z)^{999}}", "(x+y+z+1)^{999}"),
    "\\binom{999999}{499999}": ("\\boxed{\\binom{999999}{499999}}", "5"),
    "a line of 1 MB": ("1 + 1 = 2 " * 100_000, None),
    "9^9^9^9 = 5": ("9^9^9^9 = 5", None),
    "10,000 nested brackets": ("(" * 10_000 + "1" + ")" * 10_000 + " = 1", None),
}


def main() -> None:
    figures = {}
    for name, (text, reference) in CASES.items():
        start = time.perf_counter()
        verify_text(text, reference=reference)
        figures[name] = round(time.perf_counter() - start, 4)
        print(f"{figures[name] * 1000:9.1f} ms  {name}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
