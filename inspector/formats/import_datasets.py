"""Other people's labelled data read as chains and labels: ProcessBench, PRM800K, lm-evaluation-harness
samples and TRL's stepwise supervision (their mappings onto our labels are in `importers`' docstring).

One reader a format, apart from `importers`' detection and references, so that a format's quirks stay with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..engine.answer import extract_answer
from ..engine.model import ChainInput, Verdict
from ..errors import InputError
from ..labels.labelset import ChainLabel, ChainLabels, StepLabel
from .import_exports import _from_provenance
from .import_records import Imported, _problem_id, _records, _sha, _str
from .load_tools import stepwise_chain_id

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
