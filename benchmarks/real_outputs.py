"""The engine against people, on real model outputs: per-flag precision, slip recall, verdict agreement.

The labelled set (``benchmarks/labels/real_outputs.jsonl``) holds, per chain, every arithmetic slip a
person found by reading each line with a calculator, by ``../shared/guide/SLIP_POLICY.md``: ids, line
numbers and kinds, never the chain text, which is read from ``../shared/data`` (so this skips cleanly
where it is absent). How the chains were chosen: ``benchmarks/select_for_labelling.py``.

    python benchmarks/real_outputs.py [--labels FILE] [--show-false] [--show-missed] [--speed]

How the figures are counted:
- a **flag** is a finding of severity ``error``; it is **right** when a person recorded a slip on one of the
  lines its span covers (a ``notation`` slip does not count: the policy wants a ``notation`` warning there);
- **slip recall** is over the slips of kind ``computation`` and ``rewrite`` that are arithmetic written out:
  a slip is found when a flag covers its line. Slips people recorded that are not (marked ``"beyond"`` with
  the reason: a primality claim, a set of divisors, an interval, a matrix power, a value stated with no
  operation that gives it, an answer that differs from the value derived) are counted apart, and the
  recall of all slips is shown beside. ``rounding_unannounced`` and ``notation`` are shown apart too: the
  first are errors of a milder kind, the second the policy wants as one ``notation`` finding, not an error;
- **verdict agreement** is over the chains whose answer people found right and whose source gives a
  reference (PRMBench gives none; ProcessBench's GSM8K problems take GSM8K's): the machine's verdict against
  their label (valid / canceling / lucky). Where the machine found nothing it could check (``unchecked``: the
  reasoning is in code, or in words, or about things that are not arithmetic) it claims neither, and the chain
  is counted apart (the column ``unchecked``), not in the agreement;
- of the right-answer chains in which people found no slip at all, the share the machine calls ``valid`` (over
  those in which it checked something; ``unchecked`` ones are counted apart), with every other verdict listed.

``--speed`` also times the engine over every chain of the Spurious Rewards set (AIME/AMC/MATH-length
chains): in this process, chains/s and MB/s of chain text, with the per-chain p99 and maximum; then end to end,
``inspect verify FILE --no-db --format jsonl --workers N`` over the same chains written as JSONL (N this machine's
cores, ``--workers`` to choose), wall time from start to exit. Which engine ran (compiled or Python, and why) is
printed first: ``inspect build-engine`` makes the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from real_sources import SR_CHECKPOINTS, RealChain, available, by_id, spurious_rewards  # noqa: E402

from inspector import ChainInput, ChainResult, verify_chain  # noqa: E402

LABELS = Path(__file__).resolve().parent / "labels" / "real_outputs.jsonl"
RECALL_KINDS = ("computation", "rewrite")
_VERDICT_CLASS = {"valid": "valid", "canceling_errors": "canceling", "lucky_guess": "lucky"}


@dataclass
class SourceScore:
    chains: int = 0
    flags: int = 0
    right_flags: int = 0
    slips: int = 0
    found: int = 0
    beyond: int = 0
    """Slips people recorded that are not arithmetic written out (``"beyond"`` in the labels: a primality
    claim, a set, a matrix power, an answer that differs from the value derived): reported apart."""
    beyond_found: int = 0
    milder: Counter[str] = field(default_factory=Counter)
    milder_found: Counter[str] = field(default_factory=Counter)
    right_answer: int = 0
    agree: int = 0
    unchecked: int = 0
    """Right-answer chains the machine called ``unchecked`` (nothing it could check): not in the agreement."""
    sound: int = 0
    """Right-answer chains with a reference in which people found no slip at all (label ``valid``)."""
    sound_valid: int = 0
    """… that the machine calls ``valid``."""
    sound_unchecked: int = 0
    """… that the machine calls ``unchecked`` (it found nothing to check: honest, not ``valid``)."""
    false_flags: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    not_valid: list[str] = field(default_factory=list)
    """Sound chains the machine called neither ``valid`` nor ``unchecked``, with its verdict."""

    def add(self, other: SourceScore) -> None:
        for name in ("chains", "flags", "right_flags", "slips", "found", "beyond", "beyond_found", "right_answer",
                     "agree", "unchecked", "sound", "sound_valid", "sound_unchecked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.milder.update(other.milder)
        self.milder_found.update(other.milder_found)
        self.false_flags += other.false_flags
        self.missed += other.missed
        self.disagreements += other.disagreements
        self.not_valid += other.not_valid

    @property
    def precision(self) -> float | None:
        return self.right_flags / self.flags if self.flags else None

    @property
    def recall(self) -> float | None:
        return self.found / self.slips if self.slips else None

    @property
    def recall_all(self) -> float | None:
        total = self.slips + self.beyond
        return (self.found + self.beyond_found) / total if total else None

    @property
    def agreement(self) -> float | None:
        return self.agree / self.right_answer if self.right_answer else None

    @property
    def sound_share(self) -> float | None:
        """Of the sound right-answer chains in which the machine checked something, the share it calls valid."""
        checked = self.sound - self.sound_unchecked
        return self.sound_valid / checked if checked else None


def read_labels(path: Path = LABELS) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def score_chain(label: dict, chain: RealChain, result: ChainResult) -> SourceScore:
    """One chain's contribution: its flags judged by the person's slips, its slips looked for in the flags."""
    s = SourceScore(chains=1)
    text = chain.text
    slip_lines = {slip["line"] for slip in label["slips"] if slip["kind"] != "notation"}
    covered: set[int] = set()
    for f in result.errors:
        lines = set(range(line_of(text, f.span[0]), line_of(text, max(f.span[0], f.span[1] - 1)) + 1))
        covered |= lines
        s.flags += 1
        if lines & slip_lines:
            s.right_flags += 1
        else:
            quote = text[f.span[0]:f.span[1]][:80]
            s.false_flags.append(f"{chain.chain_id} line {min(lines)}: {quote!r} ({f.rule}: {f.message})")
    notation_lines = {line_of(text, f.span[0]) for f in result.findings if f.rule == "notation"}
    for slip in label["slips"]:
        kind = slip["kind"]
        hit = slip["line"] in covered or (kind == "notation" and slip["line"] in notation_lines)
        if kind in RECALL_KINDS and slip.get("beyond"):
            s.beyond += 1
            s.beyond_found += hit
        elif kind in RECALL_KINDS:
            s.slips += 1
            s.found += hit
            if not hit:
                s.missed.append(f"{chain.chain_id} line {slip['line']}: {slip['quote']!r} "
                                f"(stated {slip['stated']}, true {slip['true']}, {kind})")
        else:
            s.milder[kind] += 1
            s.milder_found[kind] += hit
    if chain.reference is not None and label.get("answer_correct") is True and label["label"] in (
            "valid", "canceling", "lucky"):
        machine = _VERDICT_CLASS.get(result.verdict.value, result.verdict.value)
        if label["label"] == "valid":
            s.sound = 1
            s.sound_valid = int(result.verdict.value == "valid")
            s.sound_unchecked = int(result.verdict.value == "unchecked")
            if not (s.sound_valid or s.sound_unchecked):
                s.not_valid.append(f"{chain.chain_id}: {result.verdict.value}")
        if result.verdict.value == "unchecked":
            s.unchecked = 1  # the machine claims nothing either way: counted apart
            return s
        s.right_answer = 1
        if machine == label["label"]:
            s.agree = 1
        else:
            s.disagreements.append(f"{chain.chain_id}: people {label['label']}, machine {result.verdict.value} "
                                   f"(answer {result.final_answer.text if result.final_answer else None!r})")
    return s


def score(labels: Iterable[dict]) -> dict[str, SourceScore]:
    """Scores per source, and ``all``."""
    labels = list(labels)
    chains = by_id({lab["id"] for lab in labels})
    per: dict[str, SourceScore] = defaultdict(SourceScore)
    for lab in labels:
        chain = chains.get(lab["id"])
        if chain is None:
            raise SystemExit(f"{lab['id']}: not found in ../shared/data")
        result = verify_chain(ChainInput(chain.chain_id, chain.text, reference=chain.reference))
        per[chain.source].add(score_chain(lab, chain, result))
    total = SourceScore()
    for s in per.values():
        total.add(s)
    out = dict(sorted(per.items()))
    out["all"] = total
    return out


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def table(scores: dict[str, SourceScore]) -> str:
    rows = ["| source | chains | flags | precision | slips | recall | + beyond arithmetic | recall of all | "
            "rounding found | right answers | verdict agreement | + unchecked |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in scores.items():
        rounding = f"{s.milder_found['rounding_unannounced']}/{s.milder['rounding_unannounced']}"
        rows.append(f"| {name} | {s.chains} | {s.flags} | {_pct(s.precision)} | {s.slips} | {_pct(s.recall)} | "
                    f"{s.beyond} | {_pct(s.recall_all)} | {rounding} | {s.right_answer} | {_pct(s.agreement)} | "
                    f"{s.unchecked} |")
    return "\n".join(rows)


def speed(workers: int) -> str:
    """The engine over the whole Spurious Rewards set: chains/s, MB/s, per-chain p99 and maximum; then end to end."""
    from inspector import native

    chains = [c for ckpt in SR_CHECKPOINTS for c in spurious_rewards(ckpt)]
    times: list[float] = []
    size = 0
    t0 = time.perf_counter()
    for c in chains:
        t = time.perf_counter()
        verify_chain(ChainInput(c.chain_id, c.text, reference=c.reference))
        times.append(time.perf_counter() - t)
        size += len(c.text.encode())
    total = time.perf_counter() - t0
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    state = native.status()
    return "\n".join([
        f"engine: {'compiled' if state.active else 'Python'} ({state.reason})",
        f"Spurious Rewards set, one process: {len(chains)} chains, {size / 1e6:.1f} MB in {total:.1f} s: "
        f"{len(chains) / total:.0f} chains/s, {size / 1e6 / total:.2f} MB/s; per chain p99 {1000 * p99:.1f} ms, "
        f"max {1000 * times[-1]:.1f} ms",
        end_to_end(chains, workers, size),
    ])


def end_to_end(chains: list[RealChain], workers: int, size: int) -> str:
    """``inspect verify`` over the chains as a JSONL file, as a user runs it: process start, reading, the
    workers, the JSONL written (to nowhere), exit."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spurious_rewards.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for c in chains:
                out.write(json.dumps({"id": c.chain_id, "cot": c.text, "reference": c.reference}) + "\n")
        command = [sys.executable, "-m", "inspector", "verify", str(path), "--no-db", "--format", "jsonl",
                   "--workers", str(workers)]
        t0 = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
    if done.returncode != 0:
        return f"end to end: inspect verify exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return (f"Spurious Rewards set, end to end (inspect verify --workers {workers}): {wall:.1f} s wall: "
            f"{len(chains) / wall:.0f} chains/s, {size / 1e6 / wall:.2f} MB/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--show-false", action="store_true", help="list every false flag")
    ap.add_argument("--show-missed", action="store_true", help="list every missed slip")
    ap.add_argument("--show-verdicts", action="store_true", help="list every verdict disagreement")
    ap.add_argument("--speed", action="store_true", help="also time the engine on the Spurious Rewards set")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="--speed: processes for the end-to-end run (default: this machine's cores)")
    args = ap.parse_args()
    if not available():
        raise SystemExit("../shared/data/model-outputs is absent: nothing to measure")
    scores = score(read_labels(args.labels))
    total = scores["all"]
    for flag, items in ((args.show_false, total.false_flags), (args.show_missed, total.missed),
                        (args.show_verdicts, total.disagreements)):
        if flag:
            print("\n".join(items), end="\n\n")
    print(table(scores))
    print(f"Right answers with no slip (people): {total.sound}; the machine calls {total.sound_valid} valid, "
          f"{total.sound_unchecked} unchecked (nothing it could check), {len(total.not_valid)} something else "
          f"({', '.join(total.not_valid) or 'none'}): valid for {_pct(total.sound_share)} of those it checked")
    if args.speed:
        print(speed(args.workers))


if __name__ == "__main__":
    main()
