"""Agreement statistics against textbook values, and the label resolution rules."""

from __future__ import annotations

from fractions import Fraction

import pytest

from inspector.labels.labelset import (
    ChainLabel,
    Resolution,
    StepLabel,
    coarse,
    human_first_error,
    parse_resolution,
    resolve_chain,
    resolve_steps,
)
from inspector.report.agreement import cohen_kappa, confusion, krippendorff_alpha

N = None

# --- Cohen's kappa ---------------------------------------------------------------------------------------


def _pairs(yy: int, yn: int, ny: int, nn: int) -> list[tuple[str, str]]:
    return [("y", "y")] * yy + [("y", "n")] * yn + [("n", "y")] * ny + [("n", "n")] * nn


@pytest.mark.parametrize(
    ("pairs", "kappa"),
    [
        # Wikipedia's worked example: p_o = 0.7, p_e = 0.5
        (_pairs(20, 5, 10, 15), 0.4),
        # its second example: p_o = 0.6, p_e = 0.54 → 0.06 / 0.46
        (_pairs(45, 15, 25, 15), 3 / 23),
        (_pairs(10, 0, 0, 10), 1.0),
        # agreement exactly at chance: p_o = p_e = 0.5
        (_pairs(5, 5, 5, 5), 0.0),
        # systematic disagreement
        (_pairs(0, 10, 10, 0), -1.0),
    ],
)
def test_cohen_kappa_textbook(pairs: list[tuple[str, str]], kappa: float) -> None:
    assert cohen_kappa(pairs) == pytest.approx(kappa, abs=1e-12)


def test_cohen_kappa_undefined() -> None:
    assert cohen_kappa([]) is None
    assert cohen_kappa([("valid", "valid")] * 4) is None  # chance agreement is already total


# --- Krippendorff's alpha, nominal -----------------------------------------------------------------------
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four observers, twelve
# units, values 1..5, missing data. n_c = 9, 13, 10, 5, 3 (n = 40); off-diagonal coincidences sum to 8;
# Σ_{c≠k} n_c n_k = 40² − (81 + 169 + 100 + 25 + 9) = 1216; α = 1 − 39 · 8 / 1216 = 113/152 = 0.743.
KRIPPENDORFF_2011 = list(
    zip(
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
        strict=True,
    )
)
# Wikipedia's "Krippendorff's alpha" example: three coders, fifteen units; nominal α = 0.691.
WIKIPEDIA = list(
    zip(
        [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
        [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
        [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
        strict=True,
    )
)


def test_krippendorff_alpha_textbook() -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(float(Fraction(113, 152)), abs=1e-12)
    assert round(krippendorff_alpha(KRIPPENDORFF_2011) or 0, 3) == 0.743
    assert round(krippendorff_alpha(WIKIPEDIA) or 0, 3) == 0.691


@pytest.mark.parametrize(
    ("units", "alpha"),
    [
        ([("a", "a", "a"), ("b", "b", N), ("a", "a", "a")], 1.0),  # perfect agreement
        ([("a", "a"), ("a", "a")], None),  # one value only: undefined
        ([("a",), (N, "b")], None),  # nothing pairable
        ([("a", "b"), ("b", "a")], -0.5),  # two raters always disagreeing, 4 values: 1 − 3·4/8
    ],
)
def test_krippendorff_alpha_edges(units: list[tuple[str | None, ...]], alpha: float | None) -> None:
    got = krippendorff_alpha(units)
    assert got == (None if alpha is None else pytest.approx(alpha))


# --- confusion, precision, recall ------------------------------------------------------------------------


def test_confusion_precision_recall() -> None:
    pairs = (
        [("valid", "valid")] * 8 + [("valid", "wrong_reasoning")] * 2
        + [("lucky_guess", "valid")] * 1 + [("lucky_guess", "lucky_guess")] * 3
        + [("wrong_reasoning", "wrong_reasoning")] * 6
    )  # fmt: skip
    conf = confusion(pairs, order=("valid", "canceling_errors", "lucky_guess", "wrong_reasoning"))
    assert conf.labels == ("valid", "lucky_guess", "wrong_reasoning")  # unused labels dropped
    assert conf.matrix == ((8, 0, 2), (1, 3, 0), (0, 0, 6))
    assert conf.total == 20 and conf.agreed == 17 and conf.accuracy == pytest.approx(0.85)
    scores = {s.label: s for s in conf.scores}
    assert scores["valid"].precision == pytest.approx(8 / 9) and scores["valid"].recall == pytest.approx(0.8)
    assert scores["lucky_guess"].precision == 1.0 and scores["lucky_guess"].recall == pytest.approx(0.75)
    assert scores["wrong_reasoning"].precision == pytest.approx(0.75) and scores["wrong_reasoning"].recall == 1.0
    assert conf.cell("valid", "wrong_reasoning") == 2


def test_precision_undefined_when_never_predicted() -> None:
    conf = confusion([("arithmetic_slip", "wrong_reasoning")])
    scores = {s.label: s for s in conf.scores}
    assert scores["arithmetic_slip"].precision is None and scores["arithmetic_slip"].recall == 0.0


# --- resolving several annotators ------------------------------------------------------------------------


def lab(annotator: str, label: str, at: str, superseded: str | None = None) -> ChainLabel:
    return ChainLabel("c", annotator, label, at, superseded_at=superseded)


LABELS = [
    lab("ann", "valid", "2025-01-01T10:00"),
    lab("bob", "lucky_guess", "2025-01-02T10:00"),
    lab("cy", "lucky_guess", "2025-01-01T09:00"),
    lab("dee", "unsure", "2025-01-03T10:00"),
    lab("ann", "wrong_reasoning", "2024-12-01T10:00", superseded="2025-01-01T10:00"),
]


@pytest.mark.parametrize(
    ("how", "label", "annotator"),
    [
        ("latest", "lucky_guess", "bob"),  # dee's later "unsure" is not a vote
        ("majority", "lucky_guess", "bob"),  # two against one; the latest of the two
        ("annotator=ann", "valid", "ann"),  # ann's current label, not her superseded one
        ("annotator=dee", "unsure", "dee"),
        ("annotator=zed", None, None),
        ("adjudicator=ann", "valid", "ann"),  # the adjudicator's label settles the chain
        ("adjudicator=zed", "lucky_guess", "bob"),  # no adjudication here: latest
    ],
)
def test_resolve_chain(how: str, label: str | None, annotator: str | None) -> None:
    got = resolve_chain(LABELS, parse_resolution(how))
    assert (got.label, got.annotator) == (label, annotator)
    assert got.conflict and got.annotators == 4


def test_majority_tie_goes_to_the_latest_and_only_unsure_resolves_to_unsure() -> None:
    tie = [lab("a", "valid", "2025-01-01"), lab("b", "lucky_guess", "2025-01-02")]
    assert resolve_chain(tie, Resolution("majority")).label == "lucky_guess"
    assert resolve_chain([lab("a", "unsure", "2025-01-01")], Resolution()).label == "unsure"
    assert not resolve_chain([lab("a", "valid", "1"), lab("b", "valid", "2")], Resolution()).conflict


@pytest.mark.parametrize("text", ["", "newest", "annotator=", "annotator", "adjudicator=", "adjudicator"])
def test_bad_resolution(text: str) -> None:
    with pytest.raises(ValueError):
        parse_resolution(text)


def step(annotator: str, i: int, rating: int, at: str, first: bool = False) -> StepLabel:
    return StepLabel("c", i, annotator, rating, at, first_error=first)


def test_resolve_steps_and_first_error() -> None:
    steps = [
        step("ann", 0, 1, "1"), step("ann", 1, 1, "1"), step("ann", 2, -1, "1", first=True),
        step("bob", 0, 1, "2"), step("bob", 1, -1, "2"),
        step("cy", 0, 1, "0"), step("cy", 1, -1, "0"), step("cy", 2, -1, "0"),
    ]  # fmt: skip
    latest = resolve_steps(steps, Resolution())
    assert latest.annotator == "bob" and latest.ratings == {0: 1, 1: -1} and latest.conflict
    assert human_first_error(latest, 3) == 1
    ann = resolve_steps(steps, parse_resolution("annotator=ann"))
    assert human_first_error(ann, 3) == 2 and ann.first_error_marked == 2
    settled = resolve_steps(steps, parse_resolution("adjudicator=ann"))
    assert settled.annotator == "ann" and str(parse_resolution("adjudicator=ann")) == "adjudicator=ann"
    assert resolve_steps(steps, parse_resolution("adjudicator=zed")).annotator == "bob"  # else latest
    majority = resolve_steps(steps, Resolution("majority"))
    assert majority.ratings == {0: 1, 1: -1, 2: -1}  # step 2: ann −1, cy −1
    assert human_first_error(majority, 3) == 1


@pytest.mark.parametrize(
    ("ratings", "n_steps", "first"),
    [
        ({0: 1, 1: 1, 2: 0}, 3, -1),  # all rated, none wrong
        ({0: 1, 1: 1}, 3, None),  # the last step unrated: unknown
        ({0: 1, 1: -1}, 5, 1),  # later steps need no rating once one is wrong
        ({}, 3, None),
    ],
)
def test_human_first_error(ratings: dict[int, int], n_steps: int, first: int | None) -> None:
    steps = [step("a", i, r, "1") for i, r in ratings.items()]
    assert human_first_error(resolve_steps(steps, Resolution()), n_steps) == first


@pytest.mark.parametrize(
    ("label", "cls"),
    [("valid", "sound"), ("canceling_errors", "right answer, unsound"), ("lucky_guess", "right answer, unsound"),
     ("arithmetic_slip", "wrong answer"), ("wrong_reasoning", "wrong answer"), ("no_answer", "wrong answer"),
     ("unsure", None), ("unreferenced", None)],
)  # fmt: skip
def test_coarse_classes(label: str, cls: str | None) -> None:
    assert coarse(label) == cls
