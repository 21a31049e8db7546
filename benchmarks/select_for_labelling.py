"""Choose the real-output chains to label by reading: half the engine flags, half it does not.

The set behind ``benchmarks/labels/real_outputs.jsonl`` was chosen with this script on the engine of
2026-11-30 (commit 4091cbd), seed 0: per source, chains the engine flagged and chains with a numeric
equation in their prose that it did not flag, drawn at random, at most 7,000 characters and 120 lines
each (so a person can read every line with a calculator). Run it again only to draw a new set:
the chains chosen depend on the engine that chooses them.

    python benchmarks/select_for_labelling.py OUT_DIR [--seed 0]

writes ``OUT_DIR/selection.jsonl`` (id, source, flagged) and one numbered-lines file per chain.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from real_sources import RealChain, all_sources  # noqa: E402

from inspector import ChainInput, verify_chain  # noqa: E402

QUOTA = {
    "abel-7b": 20, "abel-13b": 15, "abel-70b": 15, "tora-70b": 8, "tora-code-34b": 5,
    "sr-base": 24, "sr-step50": 6, "sr-step200": 6, "sr-step400": 6, "sr-step1000": 20,
    "prmbench": 12, "reasoneval": 12, "qwen-cot": 12, "processbench": 10,
}
MAX_CHARS = 7000
MAX_LINES = 120
_FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.S)
_EQUATION_RE = re.compile(r"\d[^=\n]{0,60}(?:=|≈|\\approx)[^=\n]{0,60}\d")


def has_numeric_equation(text: str) -> bool:
    """A digit on both sides of ``=`` in prose (code blocks left out)."""
    return _EQUATION_RE.search(_FENCE_RE.sub("", text)) is not None


def numbered(chain: RealChain) -> str:
    lines = chain.text.split("\n")
    width = len(str(len(lines)))
    body = "\n".join(f"{i:>{width}}| {line}" for i, line in enumerate(lines))
    head = [f"### {chain.chain_id}", f"model: {chain.model}", f"reference answer: {chain.reference}"]
    problem = (chain.problem or "").strip()
    if "<|im_start|>user" in problem:
        problem = problem.split("<|im_start|>user", 1)[1].split("<|im_end|>", 1)[0].strip()
    return "\n".join(head) + "\nproblem:\n" + problem + "\n\nchain (line number| text):\n" + body + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    chosen: list[tuple[RealChain, bool]] = []
    for name, chains in all_sources().items():
        flagged, clean = [], []
        for chain in chains:
            if len(chain.text) > MAX_CHARS or chain.text.count("\n") >= MAX_LINES:
                continue
            result = verify_chain(ChainInput(chain.chain_id, chain.text, reference=chain.reference))
            if result.errors:
                flagged.append(chain)
            elif has_numeric_equation(chain.text):
                clean.append(chain)
        n = QUOTA[name]
        pick_f = rng.sample(flagged, min(n, len(flagged)))
        pick_c = rng.sample(clean, min(2 * n - len(pick_f), len(clean)))
        print(f"{name}: {len(flagged)} flagged, {len(clean)} clean with equations -> "
              f"{len(pick_f)} + {len(pick_c)}", file=sys.stderr)
        chosen += [(c, True) for c in pick_f] + [(c, False) for c in pick_c]
    with open(args.out / "selection.jsonl", "w") as fh:
        for chain, flagged in chosen:
            fh.write(json.dumps({"id": chain.chain_id, "source": chain.source, "flagged": flagged}) + "\n")
            safe = chain.chain_id.replace("/", "_").replace("#", "_")
            (args.out / "chains").mkdir(exist_ok=True)
            (args.out / "chains" / f"{safe}.txt").write_text(numbered(chain))


if __name__ == "__main__":
    main()
