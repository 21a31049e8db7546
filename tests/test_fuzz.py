"""The fuzzer, briefly, as CI runs it; and every input it ever crashed on, replayed.

``benchmarks/fuzz.py`` runs atheris (coverage-guided) over the engine, the JSONL reader, the rule-set
parser, every import format and the answer comparison, with a time budget per input. Each crash it found
is a file in ``tests/fuzz_regressions/`` (the bytes atheris saved) and is replayed here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FUZZ = ROOT / "benchmarks" / "fuzz.py"
REGRESSIONS = sorted((ROOT / "tests" / "fuzz_regressions").iterdir())


def fuzz(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("atheris")
    return subprocess.run([sys.executable, str(FUZZ), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def test_every_input_the_fuzzer_crashed_on_is_handled() -> None:
    assert REGRESSIONS, "the regression corpus is empty"
    done = fuzz("--replay", *map(str, REGRESSIONS), timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"replayed {len(REGRESSIONS)} input(s): no crash" in done.stdout


def test_a_short_fuzz_run_finds_nothing(tmp_path: Path) -> None:
    done = fuzz("--runs", "1500", "--corpus", str(tmp_path / "corpus"), timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Done 1500 runs" in done.stderr
