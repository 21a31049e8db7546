"""The ``hf`` export: a folder ``datasets.load_from_disk`` opens, streamed through ``datasets``, with a
dataset card (``README.md``) that says what each field means, what the rows count and how they were made.

Apart from `export` because it alone writes a folder rather than a stream, needs ``datasets`` and builds the
card's facts while the rows go by.
"""

from __future__ import annotations

import datetime
import errno
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.model import ChainResult, Verdict
from ..errors import InspectorError
from ..extras import MissingDependency
from ..labels.labelset import ChainLabels, Resolution
from .export_records import COLUMN_DOCS, arrow_schema, flat_row

if TYPE_CHECKING:
    from .export import _Tally

_HF_HINT = "pip install 'cot-inspector[hf]'"
_SAVED_FILES = ("state.json", "dataset_info.json", "README.md")
"""What ``save_to_disk`` and we put in a dataset folder, besides ``data-*.arrow`` (and the ``cache-*.arrow``
``datasets`` adds when the loaded dataset is filtered or mapped): a folder holding only these is an earlier
export and may be replaced; anything else in it is somebody's and is left alone."""


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What the dataset card says about an ``hf`` export, gathered while it streams."""

    chains: int
    by_model_verdict: tuple[tuple[str, str, int], ...]
    """(model, machine verdict, chains), sorted."""
    human_labels: tuple[tuple[str, int], ...]
    """(resolved human chain label, chains), sorted; chains nobody labelled are not counted."""
    step_rated: int
    """Chains with at least one step rating."""
    conflicts: int
    rules: tuple[str, ...]
    """The rule sets the verdicts came from (``name@hash``)."""
    filters: str
    command: str | None
    created_at: str
    version: str


def _filters(how: Resolution, models: Sequence[str], verdicts: Sequence[str], labelled_only: bool) -> str:
    parts = [f"human labels resolved by {how}"]
    if models:
        parts.append("models " + ", ".join(models))
    if verdicts:
        parts.append("verdicts " + ", ".join(verdicts))
    if labelled_only:
        parts.append("only chains people labelled")
    return "; ".join(parts)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cot-inspector")
    except PackageNotFoundError:
        return "unknown"


def _size_category(n: int) -> str:
    """The hub's ``size_categories`` value for ``n`` rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]  # fmt: skip
    return next((name for bound, name in bounds if n < bound), "n>1T" if n >= 10**12 else "100M<n<1B")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def dataset_card(facts: CardFacts, schema: Any) -> str:
    """The ``README.md`` of an ``hf`` export: the fields with their meaning, the counts, how it was made.

    Markdown with the hub's YAML header, so the folder can be pushed as it is (``push_to_hub`` or an
    upload) and the hub shows the card; ``schema`` is ``arrow_schema()`` (types read off it, so the
    card cannot drift from the data).
    """
    models = sorted({m for m, _, _ in facts.by_model_verdict})
    verdicts = [v.value for v in Verdict if any(x == v.value for _, x, _ in facts.by_model_verdict)]
    count = {(m, v): n for m, v, n in facts.by_model_verdict}
    lines = [
        "---",
        "pretty_name: Chains of thought checked by cot-inspector",
        "tags:", "- chain-of-thought", "- process-supervision", "- math", "- cot-inspector",
        "size_categories:", f"- {_size_category(facts.chains)}",
        "---",
        "",
        "# Chains of thought checked by cot-inspector",
        "",
        (f"{facts.chains} chain(s) of thought, one row each: the machine's verdict on the chain's arithmetic and "
         "how its answer was reached, and every label people gave it (chain labels, step ratings, notes, with "
         "annotator and time, history included)."),
        "",
        "```python",
        "from datasets import load_from_disk",
        "",
        'ds = load_from_disk("path/to/this/folder")',
        "```",
        "",
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        *(f"| `{f.name}` | `{_cell(f.type)}` | {_cell(COLUMN_DOCS.get(f.name, ''))} |" for f in schema),
        "",
        "## Counts",
        "",
        "Chains by model and machine verdict:",
        "",
        "| model | " + " | ".join(verdicts) + " | total |",
        "|---|" + "---:|" * (len(verdicts) + 1),
        *(f"| {_cell(m)} | " + " | ".join(str(count.get((m, v), 0)) for v in verdicts)
          + f" | {sum(count.get((m, v), 0) for v in verdicts)} |" for m in models),
        "",
        "Human chain labels (resolved): "
        + (", ".join(f"{label} {n}" for label, n in facts.human_labels) if facts.human_labels else "none")
        + f". Chains with step ratings: {facts.step_rated}. Chains whose annotators disagree: {facts.conflicts}.",
        "",
        "## How it was made",
        "",
        f"- Exported by cot-inspector {facts.version} on {facts.created_at}"
        + (f" with `{facts.command}`." if facts.command else "."),
        f"- Selection: {facts.filters}.",
        ("- Verdicts by the rule set(s) " + (", ".join(f"`{r}`" for r in facts.rules) or "(none)") + ": every "
         "computation of a chain redone in exact arithmetic, wrong values followed through it, the final answer "
         "compared with the reference, and the chain repaired to tell a sound chain (`valid`) from errors that "
         "cancel (`canceling_errors`), a right answer by luck (`lucky_guess`), a slip a calculator would have "
         "caught (`arithmetic_slip`) and an answer wrong however the arithmetic is repaired (`wrong_reasoning`)."),
        ("- Labels as people gave them in `inspect label` or as imported (ProcessBench, PRM800K, TRL); the "
         "`human_*` columns are resolved among annotators, `labels`, `step_labels` and `notes` hold everything."),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def _replaceable(folder: Path) -> bool:
    """``folder`` may be written: it does not exist, is empty, or holds an earlier export only."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    return all(
        p.is_file() and (p.name in _SAVED_FILES or (p.name.startswith(("data-", "cache-")) and p.suffix == ".arrow"))
        for p in folder.iterdir()
    )


def _write_hf(
    folder: Path,
    items: Iterator[tuple[ChainResult, ChainLabels]],
    how: Resolution,
    tally: _Tally,
    *,
    command: str | None,
    filters: str,
) -> CardFacts:
    """Write a ``datasets`` folder (``save_to_disk``) with a card, streaming the rows through a generator.

    ``Dataset.from_generator`` writes Arrow batches to a cache as it goes, so millions of chains never
    sit in memory (``from_list`` would hold them all). The cache and the new folder live in a
    temporary folder beside ``folder`` and the result is moved into place at the end: an export that
    fails halfway leaves nothing, and the user's cache (``~/.cache/huggingface``) is never touched.
    """
    try:
        import datasets
        from datasets.utils import logging as hf_logging
    except ImportError:
        raise MissingDependency(f"--format hf needs datasets, which is not installed: {_HF_HINT}") from None
    if not _replaceable(folder):
        raise InspectorError(f"{folder}: exists and is not an earlier export; give a new folder (nothing was written)")
    parent = folder.resolve().parent
    if not parent.is_dir():
        # the file system's refusal, as writing a file into a missing folder is: an environment failure
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(parent))
    schema = arrow_schema()
    features = datasets.Features.from_arrow_schema(schema)
    census: Counter[tuple[str, str]] = Counter()
    human: Counter[str] = Counter()
    rules: set[str] = set()
    step_rated = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal step_rated
        for result, labels in items:
            row = flat_row(result, labels, how, nested=True)
            census[(row["model"] or "(none)", row["verdict"])] += 1
            if row["human_label"] is not None:
                human[row["human_label"]] += 1
            step_rated += bool(labels.step_labels)
            rules.add(f"{result.rules_name}@{result.rules_hash[:12]}" if result.rules_hash else result.rules_name)
            tally.written += 1
            yield row

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # stderr is for our messages; restored below
    try:
        with tempfile.TemporaryDirectory(prefix=f".{folder.name}.", dir=parent) as work:
            staged = Path(work) / "dataset"
            stream = rows()
            first = next(stream, None)
            if first is None:  # from_generator cannot make an empty dataset
                dataset = datasets.Dataset.from_dict({name: [] for name in features}, features=features)
            else:
                # a fingerprint of our own: datasets would otherwise hash the generator (and its database)
                try:
                    dataset = datasets.Dataset.from_generator(
                        _chained, features=features, cache_dir=str(Path(work) / "cache"),
                        gen_kwargs={"first": first, "rest": stream}, fingerprint=uuid.uuid4().hex,
                    )  # fmt: skip
                except datasets.exceptions.DatasetGenerationError as exc:  # our own error, wrapped: unwrap it
                    if isinstance(exc.__cause__, InspectorError):
                        raise exc.__cause__ from None
                    raise
            # an empty dataset saved with the default sharding has no shard at all, and load_from_disk fails
            # on it (datasets 5.2): one shard, even empty
            dataset.save_to_disk(str(staged), num_shards=1 if first is None else None)
            del dataset  # its memory-mapped cache goes with the temporary folder
            facts = CardFacts(
                chains=tally.written,
                by_model_verdict=tuple(sorted((m, v, n) for (m, v), n in census.items())),
                human_labels=tuple(sorted(human.items())),
                step_rated=step_rated,
                conflicts=tally.conflicts,
                rules=tuple(sorted(rules)),
                filters=filters,
                command=command,
                created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                version=_version(),
            )
            (staged / "README.md").write_text(dataset_card(facts, schema), encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(staged, folder)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return facts


def _chained(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest
