"""Coverage-guided fuzzing (atheris) of the engine and of every reader, with a time budget per input.

    python benchmarks/fuzz.py --minutes 10          # the long run; prints how many inputs it ran
    python benchmarks/fuzz.py --runs 3000           # the short run CI does (tests/test_fuzz.py)
    python benchmarks/fuzz.py --replay FILE ...     # run saved inputs once (what a regression test does)

Each input picks a target with its first byte:

- the engine: ``verify_chain`` on a chain and a reference (so answer extraction and comparison run too);
- the JSONL reader (``load.parse_line``), the rule-set parser (``rules.parse_rules``), every import format
  (``importers.iter_imported`` on the bytes written to a file), the answer comparison on its own;
- every reader of ``inspect verify`` (``load.iter_chains`` on the bytes written to a file: JSON and JSONL
  records of every tool, parquet, Arrow, gzip, zstd, inspect_ai ``.eval`` archives).

A target may reject its input with the package's own errors (``InspectorError``: a ``FILE:LINE`` message);
anything else it raises is a crash, and so is an input that takes longer than ``--budget`` seconds (default
2). atheris saves a crashing input as ``crash-<sha1>``; copy it into ``tests/fuzz_regressions/`` and
``tests/test_fuzz.py`` replays it for ever after. Seeds come from ``samples/`` (our own chains) and
``tests/fixtures/`` (our own small files of other tools' formats), never from ``../shared``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = ("engine", "jsonl", "rules", "import", "answers", "file")
FILE_SUFFIXES = (".jsonl", ".json", ".parquet", ".arrow", ".jsonl.zst", ".jsonl.gz", ".eval")
"""Every reader of ``inspect verify`` is chosen by the file's first bytes; the name only breaks ties."""
IMPORT_FORMATS = ("auto", "prm800k", "processbench", "lm-eval", "trl", "inspector", "csv", "parquet")


class Slow(Exception):
    """An input over the time budget."""


def _setup() -> tuple[object, ...]:
    import atheris

    with atheris.instrument_imports(include=["inspector"]):
        from inspector.engine import rules
        from inspector.engine.answer import answers_match
        from inspector.engine.model import ChainInput
        from inspector.engine.pipeline import verify_chain
        from inspector.errors import InspectorError
        from inspector.formats import importers, load
    return atheris, importers, load, rules, answers_match, InspectorError, ChainInput, verify_chain


def make_target(budget: float):  # type: ignore[no-untyped-def]
    atheris, importers, load, rules, answers_match, InspectorError, ChainInput, verify_chain = _setup()
    scratch = Path(tempfile.mkdtemp(prefix="inspector-fuzz-"))

    def one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        target = TARGETS[fdp.ConsumeIntInRange(0, len(TARGETS) - 1)]
        start = time.perf_counter()
        try:
            if target == "engine":
                reference = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
                text = fdp.ConsumeUnicodeNoSurrogates(len(data))
                verify_chain(ChainInput("fuzz", text, reference=reference or None))
            elif target == "jsonl":
                load.parse_line(fdp.ConsumeBytes(len(data)), "fuzz.jsonl", 1)
            elif target == "rules":
                rules.parse_rules(fdp.ConsumeUnicodeNoSurrogates(len(data)), "fuzz.toml")
            elif target == "import":
                fmt = IMPORT_FORMATS[fdp.ConsumeIntInRange(0, len(IMPORT_FORMATS) - 1)]
                suffix = {"csv": ".csv", "parquet": ".parquet", "processbench": ".json"}.get(fmt, ".jsonl")
                path = scratch / f"input{suffix}"
                path.write_bytes(fdp.ConsumeBytes(len(data)))
                for _ in importers.iter_imported(path, fmt=fmt):
                    pass
            elif target == "file":
                suffix = FILE_SUFFIXES[fdp.ConsumeIntInRange(0, len(FILE_SUFFIXES) - 1)]
                path = scratch / f"input{suffix}"
                path.write_bytes(fdp.ConsumeBytes(len(data)))
                for _ in load.iter_chains(path):
                    pass
            else:
                a = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 60))
                answers_match(a, fdp.ConsumeUnicodeNoSurrogates(60))
        except InspectorError:
            pass  # a clear message is the right answer to bad input
        except ImportError:
            pass  # an optional extra (pyarrow) is not installed
        elapsed = time.perf_counter() - start
        if elapsed > budget:
            raise Slow(f"{target} took {elapsed:.2f} s (budget {budget:g} s)")

    return atheris, one


def seeds(directory: Path) -> None:
    """One seed per sample chain and per small input of ours, for each target that reads text."""
    import json

    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for sample in sorted((ROOT / "samples").glob("*.jsonl")):
        for line in sample.read_bytes().splitlines()[:40]:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            cot = str(record.get("cot") or record.get("answer") or "")
            ref = str(record.get("reference") or "")[:40]
            (directory / f"engine-{n}").write_bytes(bytes([0, len(ref)]) + ref.encode() + cot.encode())
            (directory / f"jsonl-{n}").write_bytes(bytes([1]) + line)
            n += 1
    (directory / "rules").write_bytes(bytes([2]) + (ROOT / "inspector" / "rules" / "default.toml").read_bytes())
    # the readers of other tools' files: our small fixtures (parquet, Arrow, zstd, inspect_ai logs, ...)
    for n, fixture in enumerate(sorted((ROOT / "tests" / "fixtures").glob("*"))):
        if not fixture.is_file() or fixture.stat().st_size > 200_000:
            continue
        name = fixture.name
        suffix = next((i for i, s in enumerate(FILE_SUFFIXES) if name.endswith(s)), 0)
        (directory / f"file-{n}").write_bytes(bytes([TARGETS.index("file"), suffix]) + fixture.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, help="run this long")
    parser.add_argument("--runs", type=int, help="run this many inputs")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds an input may take")
    parser.add_argument("--replay", nargs="+", type=Path, help="run these saved inputs once each")
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "inspector-fuzz-corpus")
    args, rest = parser.parse_known_args()
    atheris, one = make_target(args.budget)
    if args.replay:
        for path in args.replay:
            one(path.read_bytes())
        print(f"replayed {len(args.replay)} input(s): no crash")
        return
    seeds(args.corpus)
    argv = [sys.argv[0], *rest, str(args.corpus), f"-artifact_prefix={os.getcwd()}/", "-print_final_stats=1",
            "-rss_limit_mb=4096", f"-timeout={max(5, int(args.budget * 5))}"]
    if args.minutes:
        argv.append(f"-max_total_time={int(args.minutes * 60)}")
    if args.runs:
        argv.append(f"-runs={args.runs}")
    atheris.Setup(argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
