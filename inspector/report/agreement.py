"""Agreement statistics: confusion matrices, precision and recall, Cohen's kappa, Krippendorff's alpha.

Pure functions over labels (strings or numbers); ``None`` is "no label", never a category. Statistics
that are undefined (no data, or every rater used one value so chance agreement is total) are ``None``
rather than 0 or NaN, so a table can say "undefined" instead of a misleading number. Sums are taken
in exact fractions, so a textbook example gives its textbook value to the last digit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

__all__ = [
    "Confusion",
    "LabelScore",
    "cohen_kappa",
    "confusion",
    "krippendorff_alpha",
]


@dataclass(frozen=True, slots=True)
class LabelScore:
    """How well the predictions (the machine) match the reference (people) for one label."""

    label: str
    reference: int
    """Items the reference gave this label (recall's denominator)."""
    predicted: int
    """Items predicted as this label (precision's denominator)."""
    both: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True, slots=True)
class Confusion:
    """Rows are the reference (human) labels, columns the predictions (machine), in ``labels`` order."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]
    total: int
    agreed: int
    scores: tuple[LabelScore, ...]

    @property
    def accuracy(self) -> float | None:
        return self.agreed / self.total if self.total else None

    def cell(self, reference: str, predicted: str) -> int:
        return self.matrix[self.labels.index(reference)][self.labels.index(predicted)]


def confusion(pairs: Iterable[tuple[str, str]], order: Sequence[str] = ()) -> Confusion:
    """The confusion matrix of ``(reference, predicted)`` pairs, with precision and recall per label.

    Labels come in ``order`` first, then any others in sorted order; labels in ``order`` that never
    occur are dropped, so the matrix has no empty row-and-column.
    """
    counts = Counter(pairs)
    seen = {r for r, _ in counts} | {p for _, p in counts}
    labels = tuple([x for x in order if x in seen] + sorted(seen - set(order)))
    matrix = tuple(tuple(counts.get((r, p), 0) for p in labels) for r in labels)
    scores = []
    for i, label in enumerate(labels):
        both = matrix[i][i]
        reference = sum(matrix[i])
        predicted = sum(row[i] for row in matrix)
        scores.append(
            LabelScore(
                label=label,
                reference=reference,
                predicted=predicted,
                both=both,
                precision=both / predicted if predicted else None,
                recall=both / reference if reference else None,
            )
        )
    total = sum(counts.values())
    agreed = sum(matrix[i][i] for i in range(len(labels)))
    return Confusion(labels, matrix, total, agreed, tuple(scores))


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items: (p_o − p_e) / (1 − p_e).

    ``None`` when there are no items or chance agreement is already total (both raters used one and
    the same value throughout).
    """
    items = list(pairs)
    n = len(items)
    if not n:
        return None
    observed = Fraction(sum(1 for a, b in items if a == b), n)
    first = Counter(a for a, _ in items)
    second = Counter(b for _, b in items)
    expected = sum((Fraction(first[v] * second[v], n * n) for v in first), Fraction(0))
    if expected == 1:
        return None
    return float((observed - expected) / (1 - expected))


def krippendorff_alpha(units: Iterable[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data: 1 − D_o / D_e over the coincidence matrix.

    Each unit is the values its raters gave it, ``None`` where a rater gave none; any number of raters,
    missing values allowed. Units with fewer than two values are not pairable and are left out, as
    Krippendorff (2011, "Computing Krippendorff's alpha-reliability") prescribes. ``None`` when nothing
    is pairable or only one value was ever used (no disagreement is possible, alpha is undefined).
    """
    weights: dict[tuple[Hashable, Hashable], Fraction] = {}
    for unit in units:
        values = [v for v in unit if v is not None]
        m = len(values)
        if m < 2:
            continue
        w = Fraction(1, m - 1)
        for i, j in combinations(range(m), 2):
            for pair in ((values[i], values[j]), (values[j], values[i])):
                weights[pair] = weights.get(pair, Fraction(0)) + w
    if not weights:
        return None
    marginal: dict[Hashable, Fraction] = {}
    for (c, _), w in weights.items():
        marginal[c] = marginal.get(c, Fraction(0)) + w
    n = sum(marginal.values(), Fraction(0))
    disagree_observed = sum((w for (c, k), w in weights.items() if c != k), Fraction(0))
    values = list(marginal)
    disagree_expected = sum(
        (marginal[c] * marginal[k] for c in values for k in values if c != k), Fraction(0)
    )
    if disagree_expected == 0:
        return None
    return float(1 - (n - 1) * disagree_observed / disagree_expected)
