"""Read other people's data (and our own exports) as chains plus the human labels that came with them.

| format | detected by | chains | labels |
|---|---|---|---|
| ``processbench`` | a JSON list (or JSONL) of ``{id, generator, problem, steps, final_answer_correct, label}`` | one per record, steps as given | see below |
| ``prm800k`` | JSONL with ``question`` and ``label`` objects | the labelled trajectory: at each step the chosen completion (or the labeller's own), and the completion that ended the labelling | each step's rating; ``valid`` for a ``solution`` with no −1 |
| ``lm-eval`` | lm-evaluation-harness ``samples_*.jsonl`` (``doc_id``, ``doc``, ``resps``) | one per response (``repeats``), a document logged under several filters once | none (metrics are not people) |
| ``trl`` | JSONL of ``{prompt, completions, labels}`` | the completions as steps | +1 / −1 per step |
| ``inspector`` / ``csv`` / ``parquet`` | our own exports | exactly the exported chains | exactly the exported labels |
| ``chains`` | anything else ``inspect verify`` reads | as ``inspect verify`` | none |

**ProcessBench labels** (``label`` = index of the earliest wrong step, −1 for none) become, by the
annotator named on the command line: step ratings +1 for the steps before ``label``, −1 at ``label``
(marked as the first error), nothing after it (ProcessBench does not judge later steps); +1 for every
step when ``label`` is −1. The chain label is ``valid`` when ``label`` is −1 and the final answer is
correct, ``canceling_errors`` when a step is wrong but the final answer is correct (people saw an error
that did not reach the answer; they do not say whether repaired arithmetic would), and
``wrong_reasoning`` when the final answer is wrong (people do not say whether a calculator would have
saved it, so ``arithmetic_slip`` is never claimed for them). The chain label's note keeps the original
``label`` and ``final_answer_correct``.

Records exported by ``inspect export`` in a field's format carry an ``"inspector"`` object (unless
exported ``--bare``); when present it wins, so an export imported again is the same chains with the
same labels, annotators and times.

ProcessBench gives no reference answers. ``references`` (any file ``inspect verify`` reads with a
problem and a reference, e.g. GSM8K's ``test.jsonl``) fills them in by problem text, so the machine
can judge the final answers too.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..engine.answer import extract_answer
from ..engine.model import ChainInput, Verdict
from ..errors import InputError
from ..extras import require
from ..labels.labelset import CHAIN_LABELS, ChainLabel, ChainLabels, Note, StepLabel
from .compressed import DECOMPRESSION_ERRORS, damaged, open_input
from .load import iter_chains, stepwise_chain_id
from .sources import sniff

__all__ = [
    "FORMATS",
    "Imported",
    "detect_format",
    "format_of_record",
    "iter_imported",
    "read_references",
    "with_reference",
    "with_references",
]

FORMATS = ("auto", "processbench", "prm800k", "lm-eval", "trl", "inspector", "csv", "parquet", "shards",
           "chains")


@dataclass(frozen=True, slots=True)
class Imported:
    """One chain to verify, and what people said about it (empty for unlabelled formats)."""

    chain: ChainInput
    labels: ChainLabels
    verdict: str | None = None
    """The verdict the file records for the chain (the shards of ``inspect verify --ray``), which verifying it
    again here is checked against."""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _problem_key(text: str) -> str:
    return " ".join(text.split())


def _problem_id(problem: str) -> str:
    """The id ``inspect verify`` gives a problem it has only the text of (so the two agree)."""
    return "p" + _sha(problem)[:12]


# --- finding the format ----------------------------------------------------------------------------


def _first_record(path: str) -> tuple[dict[str, Any] | None, bool]:
    """The first JSON object of a JSONL file or JSON list, and whether the file is a list."""
    try:
        return _first_record_of(path)
    except DECOMPRESSION_ERRORS as exc:  # a gzip or zstd file cut short within its first megabytes
        raise damaged(path, exc) from None


def _first_record_of(path: str) -> tuple[dict[str, Any] | None, bool]:
    with open_input(path) as f:
        head = f.read(1 << 20)
        text = head.decode("utf-8-sig", errors="replace").lstrip()
        is_list = text.startswith("[")
        if is_list:
            text = text[1:].lstrip()
        decoder = json.JSONDecoder()
        while True:
            try:
                obj, _ = decoder.raw_decode(text)
                return (obj if isinstance(obj, dict) else None), is_list
            except (RecursionError, ValueError) as exc:
                if not isinstance(exc, json.JSONDecodeError):
                    return None, is_list  # too deep, a 5,000-digit number: the reader names the line
                more = f.read(1 << 22)
                if not more or len(text) > 1 << 26:
                    return None, is_list
                text += more.decode("utf-8", errors="replace")


def format_of_record(record: Mapping[str, Any]) -> str:
    """The import format a file's first record announces (``chains``: none of ours, ``load`` reads it)."""
    return _format_of_record(record)


def _format_of_record(record: Mapping[str, Any]) -> str:
    if isinstance(record.get("question"), dict) and isinstance(record.get("label"), dict):
        return "prm800k"
    if "doc_id" in record and ("resps" in record or "filtered_resps" in record):
        return "lm-eval"
    if "prompt" in record and "completions" in record and "labels" in record:
        return "trl"
    if "chain_id" in record and "cot" in record and "verdict" in record:
        return "inspector"
    if "steps" in record and type(record.get("label")) is int and "final_answer_correct" in record:
        return "processbench"
    return "chains"


def detect_format(path: str | os.PathLike[str]) -> str:
    """The import format of a file, from its extension and first record (see the module docstring)."""
    name = os.fspath(path)
    lower = name.lower()
    if (os.path.isdir(name) or lower.endswith(".parquet")) and _shards().is_shards(name):
        return "shards"
    if lower.endswith(".parquet"):
        return "parquet" if _is_our_parquet(name) else "chains"
    if lower.endswith(".csv"):
        return "csv"
    if name == "-" or not os.path.isfile(name) or sniff(name) != "text":
        return "chains"  # stdin, a dataset folder, a table or an archive: read by ``load``
    record, _ = _first_record(name)
    return _format_of_record(record) if record is not None else "chains"


def _shards() -> Any:
    from ..scale import shards

    return shards


def _is_our_parquet(name: str) -> bool:
    """A parquet file ``inspect export`` wrote (with ``chain_id`` and ``cot`` columns); any other parquet file
    (ProcessBench, GSM8K, TRL as published) is read by its fields, as JSONL records are. One that cannot be
    read at all stays ``parquet``, whose reader says why."""
    try:
        import pyarrow.parquet as pq

        names = set(pq.read_schema(name).names)
    except Exception:  # noqa: BLE001 - no pyarrow, not parquet, damaged: the parquet reader reports it
        return True
    return {"chain_id", "cot"} <= names


# --- references ------------------------------------------------------------------------------------


def read_references(path: str | os.PathLike[str]) -> dict[str, str]:
    """Problem text (whitespace-normalised) → reference answer, from any file ``inspect verify`` reads."""
    out: dict[str, str] = {}
    for chain in iter_chains(path):
        if chain.problem is not None and chain.reference is not None:
            out.setdefault(_problem_key(chain.problem), chain.reference)
    return out


# --- reading ---------------------------------------------------------------------------------------


def iter_imported(
    path: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    annotator: str | None = None,
    model: str | None = None,
    references: Mapping[str, str] | None = None,
    now: str | None = None,
    verdicts: Iterable[str] = (),
) -> Iterator[Imported]:
    """Chains and labels of a file in ``fmt`` (``auto``: detected).

    ``verdicts`` keeps only the chains the file records with one of these verdicts: the ``shards`` of
    ``inspect verify --ray`` (a folder of them, or one), the only format that records one.

    ``annotator`` names whoever made the labels of formats that don't say (ProcessBench, TRL) and
    overrides PRM800K's ``labeler``; ``model`` names the model where the format doesn't (PRM800K,
    lm-eval, TRL); ``now`` is the label time where the format has none. Unreadable records raise
    :class:`InputError` naming the file and record.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise InputError(name, None, "no such file")
    if fmt == "auto":
        fmt = detect_format(name)
    if fmt not in FORMATS:
        raise InputError(name, None, f"unknown import format {fmt!r} (one of {', '.join(FORMATS)})")
    stamp = now or _now()
    wanted = tuple(verdicts)
    if wanted and fmt != "shards":
        raise InputError(name, None, "chains are chosen by verdict only from the shards of inspect verify "
                         f"--ray (the only files that record one); this is read as {fmt}")
    readers: dict[str, Callable[[], Iterator[Imported]]] = {
        "shards": lambda: (Imported(chain, ChainLabels(), verdict)
                           for chain, verdict in _shards().iter_chains(name, verdicts=wanted)),
        "processbench": lambda: _processbench(name, annotator or "processbench", stamp),
        "prm800k": lambda: _prm800k(name, annotator, model or "prm800k", stamp),
        "lm-eval": lambda: _lm_eval(name, model),
        "trl": lambda: _trl(name, annotator or "trl", model, stamp),
        "inspector": lambda: _inspector_jsonl(name),
        "csv": lambda: _flat_rows(name, _csv_rows(name)),
        "parquet": lambda: _flat_rows(name, _parquet_rows(name)),
        "chains": lambda: (Imported(c, ChainLabels()) for c in iter_chains(name)),
    }
    items = _decompressed(name, readers[fmt]())
    if references:
        items = (_with_reference(item, references) for item in items)
    return items


def _decompressed(name: str, items: Iterator[Imported]) -> Iterator[Imported]:
    """Every format read through a compressed file: one that is damaged part way is named, whichever reader
    was reading it (the CSV module, the JSON lines, a ProcessBench document)."""
    try:
        yield from items
    except DECOMPRESSION_ERRORS as exc:
        raise damaged(name, exc) from None


def with_reference(chain: ChainInput, references: Mapping[str, str]) -> ChainInput:
    """The chain with its reference filled in from ``references`` (`read_references`) by its problem text, when
    it has none of its own."""
    if chain.reference is None and chain.problem is not None:
        ref = references.get(_problem_key(chain.problem))
        if ref is not None:
            return replace(chain, reference=ref)
    return chain


def with_references(chains: Iterable[ChainInput], references: Mapping[str, str]) -> Iterator[ChainInput]:
    """`with_reference` over a stream of chains (``inspect verify --references``)."""
    for chain in chains:
        yield with_reference(chain, references) if references else chain


def _with_reference(item: Imported, references: Mapping[str, str]) -> Imported:
    chain = with_reference(item.chain, references)
    return item if chain is item.chain else Imported(chain, item.labels, item.verdict)


def _records(name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(record number, record)`` of a JSON list or a JSONL file; numbers are lines for JSONL."""
    _, is_list = _first_record(name)
    if is_list:
        try:
            with open_input(name) as f:
                records = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(name, None, f"invalid JSON: {exc}") from exc
        for i, record in enumerate(records, 1):
            if not isinstance(record, dict):
                raise InputError(name, i, f"record {i}: expected a JSON object")
            yield i, record
        return
    with open_input(name) as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(name, lineno, f"invalid JSON: {exc}") from exc
            if not isinstance(record, dict):
                raise InputError(name, lineno, "expected a JSON object")
            yield lineno, record


def _str(value: Any, what: str, name: str, number: int) -> str:
    if not isinstance(value, str):
        raise InputError(name, number, f"field {what!r} must be a string")
    return value


def _from_provenance(p: Mapping[str, Any], name: str, number: int) -> Imported:
    """The chain and labels an export's ``"inspector"`` object (or a ``jsonl`` record) describes."""
    try:
        steps = p.get("input_steps")
        chain = ChainInput(
            chain_id=_str(p["chain_id"], "chain_id", name, number),
            cot=_str(p["cot"], "cot", name, number),
            problem_id=p.get("problem_id"),
            problem=p.get("problem"),
            reference=p.get("reference"),
            model=p.get("model"),
            sample_index=p.get("sample_index"),
            source=p.get("source") or f"{name}:{number}",
            steps=tuple(steps) if steps is not None else None,
        )
        return Imported(chain, _labels_from_json(chain.chain_id, p))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputError(name, number, f"not a chain as inspect export writes it: {what}") from exc


_KNOWN_LABELS = frozenset(CHAIN_LABELS) | {v.value for v in Verdict}


def _labels_from_json(chain_id: str, p: Mapping[str, Any]) -> ChainLabels:
    """The labels an export carries, each checked: a label the tool does not know, an annotator that is not a
    name, a rating other than -1, 0, 1 would enter the store as a human judgement nobody gave."""
    for x in p.get("labels") or ():
        if x.get("label") not in _KNOWN_LABELS:
            raise ValueError(f"unknown chain label {x.get('label')!r} (one of {', '.join(sorted(_KNOWN_LABELS))})")
    for x in [*(p.get("labels") or ()), *(p.get("step_labels") or ()), *(p.get("notes") or ())]:
        if not isinstance(x.get("annotator"), str) or not x["annotator"].strip():
            raise ValueError(f"a label without an annotator's name: {x!r}"[:200])
    for x in p.get("step_labels") or ():
        if x.get("rating") is not None and x.get("rating") not in (-1, 0, 1):
            raise ValueError(f"step rating {x.get('rating')!r} (one of -1, 0, 1)")
    return ChainLabels(
        tuple(
            ChainLabel(chain_id, x.get("annotator"), x["label"], x["created_at"], x.get("note"),
                       x.get("superseded_at"), x.get("machine_verdict"))
            for x in p.get("labels") or ()
        ),
        tuple(
            StepLabel(chain_id, int(x["step"]), x.get("annotator"), x.get("rating"), x["created_at"],
                      bool(x.get("first_error")), x.get("superseded_at"))
            for x in p.get("step_labels") or ()
        ),
        tuple(
            Note(chain_id, x.get("annotator"), x["text"], x["created_at"], x.get("superseded_at"))
            for x in p.get("notes") or ()
        ),
    )  # fmt: skip


# ProcessBench ------------------------------------------------------------------------------------------


def processbench_labels(
    chain_id: str, steps: int, label: int, final_answer_correct: bool, annotator: str, created_at: str
) -> ChainLabels:
    """ProcessBench's judgement of one solution as our labels (the mapping in the module docstring)."""
    if label == -1:
        ratings = [(i, 1) for i in range(steps)]
        verdict = Verdict.VALID if final_answer_correct else Verdict.WRONG_REASONING
    else:
        ratings = [(i, 1) for i in range(label)] + [(label, -1)]
        verdict = Verdict.CANCELING_ERRORS if final_answer_correct else Verdict.WRONG_REASONING
    note = f"ProcessBench label={label}, final_answer_correct={str(final_answer_correct).lower()}"
    return ChainLabels(
        (ChainLabel(chain_id, annotator, verdict.value, created_at, note),),
        tuple(StepLabel(chain_id, i, annotator, r, created_at, first_error=r < 0) for i, r in ratings),
    )


def _processbench(name: str, annotator: str, stamp: str) -> Iterator[Imported]:
    for number, record in _records(name):
        if isinstance(record.get("inspector"), dict):
            yield _from_provenance(record["inspector"], name, number)
            continue
        steps = record.get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps) or not steps:
            raise InputError(name, number, "field 'steps' must be a non-empty list of strings")
        label = record.get("label")
        correct = record.get("final_answer_correct")
        if type(label) is not int or not -1 <= label < len(steps):
            raise InputError(name, number, f"field 'label' must be -1 or a step index below {len(steps)}")
        if type(correct) is not bool:
            raise InputError(name, number, "field 'final_answer_correct' must be true or false")
        rid = record.get("id")
        problem = record.get("problem")
        cot = "\n\n".join(steps)
        chain_id = str(rid) if rid not in (None, "") else "c" + _sha(f"{problem}\x1f{cot}")[:16]
        chain = ChainInput(
            chain_id=chain_id, cot=cot, problem_id=chain_id if rid not in (None, "") else None,
            problem=problem if isinstance(problem, str) else None,
            model=record.get("generator") if isinstance(record.get("generator"), str) else None,
            source=f"{name}:{number}", steps=tuple(steps),
        )  # fmt: skip
        yield Imported(chain, processbench_labels(chain_id, len(steps), label, correct, annotator, stamp))


# PRM800K -----------------------------------------------------------------------------------------------


def _prm800k(name: str, annotator: str | None, model: str, stamp: str) -> Iterator[Imported]:
    for number, record in _records(name):
        if isinstance(record.get("inspector"), dict):
            yield _from_provenance(record["inspector"], name, number)
            continue
        try:
            question = record["question"]
            problem = _str(question["problem"], "question.problem", name, number)
            steps_in = record["label"]["steps"]
            finish = record["label"].get("finish_reason")
        except (KeyError, TypeError) as exc:
            raise InputError(name, number, f"not a PRM800K record: missing {exc}") from exc
        texts, ratings = _prm800k_steps(steps_in, name, number)
        if not texts:
            continue
        cot = "\n\n".join(texts)
        chain_id = "prm800k-" + _sha(f"{problem}\x1f{cot}")[:16]
        who = annotator or record.get("labeler") or "prm800k"
        created = record.get("timestamp") or stamp
        step_labels = tuple(
            StepLabel(chain_id, i, who, r, created) for i, r in enumerate(ratings) if r is not None
        )
        chain_labels: tuple[ChainLabel, ...] = ()
        if finish == "solution" and all(r is not None and r >= 0 for r in ratings):
            chain_labels = (ChainLabel(chain_id, who, Verdict.VALID.value, created, "PRM800K finish_reason=solution"),)
        reference = question.get("ground_truth_answer")
        chain = ChainInput(
            chain_id=chain_id, cot=cot, problem_id=_problem_id(problem), problem=problem,
            reference=reference if isinstance(reference, str) else None, model=model,
            source=f"{name}:{number}", steps=tuple(texts),
        )  # fmt: skip
        yield Imported(chain, ChainLabels(chain_labels, step_labels))


def _prm800k_steps(steps_in: Any, name: str, number: int) -> tuple[list[str], list[int | None]]:
    """The texts and ratings of a PRM800K record's steps: the chosen completion, the human one, or (where the
    labelling ended) the completion rated -1. Every shape is checked: a malformed record is its own
    ``FILE:LINE`` error, before anything is written."""

    def bad(what: str) -> InputError:
        return InputError(name, number, f"not a PRM800K record: {what}")

    def text_and_rating(comp: Any, where: str, default: int | None = None) -> tuple[str, int | None]:
        if not isinstance(comp, dict) or not isinstance(comp.get("text"), str):
            raise bad(f"{where} has no 'text' string")
        rating = comp.get("rating", default)
        if rating is not None and (type(rating) is not int or rating not in (-1, 0, 1)):
            raise bad(f"{where} has rating {rating!r} (PRM800K rates -1, 0 or 1)")
        return comp["text"], rating

    if not isinstance(steps_in, list):
        raise bad("label.steps is not a list")
    texts: list[str] = []
    ratings: list[int | None] = []
    for k, step in enumerate(steps_in):
        if not isinstance(step, dict):
            raise bad(f"step {k} is not an object")
        completions = step.get("completions") or []
        if not isinstance(completions, list):
            raise bad(f"step {k}: 'completions' is not a list")
        chosen = step.get("chosen_completion")
        human = step.get("human_completion")
        if chosen is not None:
            if type(chosen) is not int or not 0 <= chosen < len(completions):
                raise bad(f"step {k}: chosen_completion {chosen!r} is not one of its {len(completions)} completions")
            text, rating = text_and_rating(completions[chosen], f"step {k}'s chosen completion")
        elif human:
            text, rating = (text_and_rating(human, f"step {k}'s human completion", default=1)
                            if isinstance(human, dict) else (str(human), 1))
        else:  # the step that ended the labelling: the wrong completion, if one was rated so
            ended = next((c for c in completions if isinstance(c, dict) and c.get("rating") == -1),
                         completions[0] if completions else None)
            if ended is not None:
                text, rating = text_and_rating(ended, f"step {k}'s last completion")
                texts.append(text)
                ratings.append(rating)
            break
        texts.append(text)
        ratings.append(rating)
    return texts, ratings


# lm-evaluation-harness ---------------------------------------------------------------------------------

_SAMPLES_NAME = re.compile(r"samples_(.+?)_\d{4}-\d{2}-\d{2}T[\d\-.:]+$")


def _lm_eval_model(path: Path) -> str | None:
    """The model of an lm-eval output folder: ``model_name`` of a results file beside it, else the folder."""
    for results in sorted(path.parent.glob("results_*.json"), reverse=True):
        try:
            data = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            if isinstance(data.get("model_name"), str) and data["model_name"]:
                return str(data["model_name"])
            args = (data.get("config") or {}).get("model_args")
            if isinstance(args, str) and (m := re.search(r"pretrained=([^,]+)", args)):
                return m.group(1)
    folder = path.parent.name
    return folder.replace("__", "/") if folder else None


def _lm_eval_reference(record: Mapping[str, Any]) -> str | None:
    target = record.get("target")
    raw_doc = record.get("doc")
    doc: dict[str, Any] = raw_doc if isinstance(raw_doc, dict) else {}
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        return str(target)
    if isinstance(target, str) and target.strip():
        if "####" in target:
            return target.rsplit("####", 1)[1].strip().split("\n", 1)[0].replace(",", "") or None
        if "\\boxed" in target or "\\fbox" in target:
            found = extract_answer(target, ("boxed",))
            if found is not None:
                return found.text
        return target.strip()
    for key in ("answer", "gt", "reference"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return value.rsplit("####", 1)[1].strip() if "####" in value else value.strip()
    return None


def _lm_eval(name: str, model: str | None) -> Iterator[Imported]:
    path = Path(name)
    m = _SAMPLES_NAME.match(path.stem)
    task = m.group(1) if m else path.stem
    who = model or _lm_eval_model(path)
    seen: set[Any] = set()
    for number, record in _records(name):
        doc_id = record.get("doc_id")
        if doc_id in seen:  # the same document logged again under another filter
            continue
        seen.add(doc_id)
        responses: list[str] = []
        for request in record.get("resps") or []:
            if isinstance(request, list):
                responses.extend(r for r in request if isinstance(r, str))
            elif isinstance(request, str):
                responses.append(request)
        if not responses:
            raise InputError(name, number, "no responses in 'resps' (was it logged with --log_samples?)")
        raw_doc = record.get("doc")
        doc: dict[str, Any] = raw_doc if isinstance(raw_doc, dict) else {}
        problem = next((doc[k] for k in ("problem", "question", "input") if isinstance(doc.get(k), str)), None)
        reference = _lm_eval_reference(record)
        problem_id = f"{task}:{doc_id}"
        for index, text in enumerate(responses):
            chain = ChainInput(
                chain_id=f"{problem_id}#{index}", cot=text, problem_id=problem_id, problem=problem,
                reference=reference, model=who, sample_index=index, source=f"{name}:{number}",
            )  # fmt: skip
            yield Imported(chain, ChainLabels())


# TRL stepwise supervision ------------------------------------------------------------------------------


def _trl(name: str, annotator: str, model: str | None, stamp: str) -> Iterator[Imported]:
    for number, record in _records(name):
        if isinstance(record.get("inspector"), dict):
            yield _from_provenance(record["inspector"], name, number)
            continue
        completions = record.get("completions")
        labels = record.get("labels")
        if not isinstance(completions, list) or not all(isinstance(c, str) for c in completions) or not completions:
            raise InputError(name, number, "field 'completions' must be a non-empty list of strings")
        if not isinstance(labels, list) or len(labels) != len(completions):
            raise InputError(name, number, "field 'labels' must be a list as long as 'completions'")
        prompt = record.get("prompt") if isinstance(record.get("prompt"), str) else None
        cot = "\n\n".join(completions)
        chain_id = stepwise_chain_id(prompt, cot)
        chain = ChainInput(
            chain_id=chain_id, cot=cot, problem_id=_problem_id(prompt) if prompt else None, problem=prompt,
            model=model, source=f"{name}:{number}", steps=tuple(completions),
        )  # fmt: skip
        steps = tuple(
            StepLabel(chain_id, i, annotator, 1 if good else -1, stamp) for i, good in enumerate(labels)
        )
        yield Imported(chain, ChainLabels((), steps))


# our own exports ---------------------------------------------------------------------------------------


def _inspector_jsonl(name: str) -> Iterator[Imported]:
    for number, record in _records(name):
        yield _from_provenance(record, name, number)


def _csv_rows(name: str) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)
    with io.TextIOWrapper(open_input(name), encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            raise InputError(name, reader.line_num + 1, f"not UTF-8 text (byte {exc.start} of a read)") from None
        except csv.Error as exc:
            raise InputError(name, reader.line_num, f"not a CSV file as inspect export writes it: {exc}") from None


def _parquet_rows(name: str) -> Iterator[dict[str, Any]]:
    pq = require("pyarrow.parquet", "reading parquet")
    import pyarrow as pa

    try:
        parquet = pq.ParquetFile(name)
        for batch in parquet.iter_batches(batch_size=1000):
            yield from batch.to_pylist()
    except (pa.ArrowException, OSError) as exc:  # ArrowInvalid: not a parquet file, a damaged one
        raise InputError(name, None, f"not a readable parquet file: {exc}") from None


def _flat_rows(name: str, rows: Iterable[dict[str, Any]]) -> Iterator[Imported]:
    """Rows of our ``csv`` (labels as JSON text in ``labels_json``, ...) or ``parquet`` export (labels as nested
    lists in ``labels``, ...; parquet written before they were nested has the JSON text too)."""
    for number, row in enumerate(rows, 2 if name.lower().endswith(".csv") else 1):
        if "chain_id" not in row or "cot" not in row or ("labels_json" not in row and "labels" not in row):
            raise InputError(name, number, "not a row as inspect export writes it (chain_id, cot, labels)")

        def blank(v: Any) -> Any:
            return None if v == "" else v

        try:
            sample = blank(row.get("sample_index"))
            record = {
                "chain_id": row["chain_id"], "cot": row["cot"], "problem_id": blank(row.get("problem_id")),
                "problem": blank(row.get("problem")), "reference": blank(row.get("reference")),
                "model": blank(row.get("model")), "sample_index": int(sample) if sample is not None else None,
                "source": blank(row.get("source")), "input_steps": _listed(row, "input_steps"),
                "labels": _listed(row, "labels") or [], "step_labels": _listed(row, "step_labels") or [],
                "notes": _listed(row, "notes") or [],
            }  # fmt: skip
        except ValueError as exc:
            raise InputError(name, number, f"unreadable labels: {exc}") from exc
        yield _from_provenance(record, name, number)


def _listed(row: Mapping[str, Any], column: str) -> Any:
    """A list column of our export: nested (parquet: already a list, or null) or JSON text (csv, older parquet)."""
    if column in row:
        return row[column]
    text = row.get(f"{column}_json")
    return json.loads(text) if text else None
