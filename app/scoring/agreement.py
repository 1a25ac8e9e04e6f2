"""Agreement between two reviewers who rated the same provisions (``shared/domain/scoring.md``,
"Ratings in layers"): the share of identical ratings and the quadratic-weighted Cohen's kappa on
the ordinal scale NC < PC < LC < C, NA counted apart, and every disagreement for adjudication.

Pure functions over plain mappings (provision ref -> rating, one of ``RATINGS`` or missing):
no Flask, no database. ``agreement`` compares one assessment; ``pool`` compares a cycle, over the
union of its pairs (one contingency table, one kappa; never an average of kappas).

What counts where, for each provision either reviewer mentions:

- both on the scale (C, LC, PC, NC): **compared**; **identical** when the labels are equal; it
  enters the kappa table; a difference is a ``"different"`` disagreement.
- at least one said NA: counted **apart** (``na_apart``), never compared nor in the kappa;
  NA against a scale rating is a ``"different"`` disagreement, NA against NR or missing an
  ``"implicit"`` one, NA against NA none.
- one rated it (C, LC, PC, NC or NA) and the other did not (NR or missing): an ``"implicit"``
  disagreement, outside the share and the kappa.
- neither rated it (NR or missing on both sides): nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from app.scoring.engine import ORDER, RATINGS

#: The ordinal scale, weakest first: its index is the category number in the kappa weights.
SCALE = ORDER
NOT_APPLICABLE = "NA"
NOT_RATED = "NR"

#: A reviewer's ratings of one assessment: provision ref -> rating (None or absent: not rated).
Ratings = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Disagreement:
    ref: str
    #: The first and second reviewer's ratings as given (None when the ref was missing).
    first: str | None
    second: str | None
    #: different (both rated, differently) | implicit (one rated it, the other did not: NR or
    #: missing)
    kind: str
    #: Which assessment it is in, when pooled (``pool``); None for a single assessment.
    assessment: Hashable | None = None


@dataclass(frozen=True, slots=True)
class NaApart:
    """A provision at least one reviewer rated NA: kept out of the share and the kappa."""

    ref: str
    first: str | None
    second: str | None
    assessment: Hashable | None = None

    @property
    def both(self) -> bool:
        return self.first == NOT_APPLICABLE and self.second == NOT_APPLICABLE


@dataclass(frozen=True, slots=True)
class Agreement:
    #: Provisions both reviewers rated on the scale NC < PC < LC < C.
    compared: int
    #: Of those, the ones they rated the same.
    identical: int
    #: identical / compared; None when nothing was compared.
    share: float | None
    #: Quadratic-weighted Cohen's kappa over the compared provisions; None when undefined
    #: (see ``weighted_kappa``).
    kappa: float | None
    #: Provisions at least one reviewer rated NA, sorted (by assessment, then) by ref.
    na_apart: tuple[NaApart, ...]
    #: Every provision on which they differ, implicit ones included, sorted like ``na_apart``.
    disagreements: tuple[Disagreement, ...]
    #: The contingency table of the compared provisions: ``table[i][j]`` counts the provisions
    #: the first reviewer rated ``SCALE[i]`` and the second ``SCALE[j]``.
    table: tuple[tuple[int, ...], ...]

    @property
    def na_both(self) -> int:
        """How many of ``na_apart`` both reviewers rated NA."""
        return sum(1 for item in self.na_apart if item.both)


def agreement(first: Ratings, second: Ratings) -> Agreement:
    """Compare two reviewers' ratings of the same assessment."""
    return _compare([(None, first, second)])


def pool(assessments: Mapping[Hashable, tuple[Ratings, Ratings]]) -> Agreement:
    """Compare two reviewers over several assessments (a cycle): assessment key -> (first's
    ratings, second's ratings). Counts are summed and the kappa is computed on the pooled table
    of all pairs, not averaged. Keys must sort among themselves (all ints, or all strings):
    disagreements and NA are listed by assessment, then ref, each naming its assessment."""
    return _compare((key, *assessments[key]) for key in sorted(assessments))


def weighted_kappa(table: tuple[tuple[int, ...], ...] | list[list[int]]) -> float | None:
    """Quadratic-weighted Cohen's kappa of a k x k contingency table of counts.

    kappa = 1 - sum(w_ij * o_ij) / sum(w_ij * e_ij), with w_ij = (i - j)^2 / (k - 1)^2, o_ij the
    observed proportions and e_ij = r_i * c_j the proportions expected from the marginals (row
    share times column share). Computed in exact fractions, then rounded once to a float.

    Undefined (None) when the table is empty, or when the expected weighted disagreement is zero.
    With these weights (positive off the diagonal) that happens exactly when every r_i * c_j with
    i != j is zero, i.e. both reviewers used one single and the same label: chance alone would
    then already give full agreement, and the ratio is 0 / 0. (Two different single labels give
    a defined kappa of 0.)
    """
    size = len(table)
    n = sum(sum(row) for row in table)
    if n == 0:
        return None
    rows = [sum(row) for row in table]
    columns = [sum(table[i][j] for i in range(size)) for j in range(size)]
    scale = Fraction(1, (size - 1) ** 2) if size > 1 else Fraction(0)
    weight = [[(i - j) ** 2 * scale for j in range(size)] for i in range(size)]
    observed = sum(
        weight[i][j] * Fraction(table[i][j], n) for i in range(size) for j in range(size)
    )
    expected = sum(
        weight[i][j] * Fraction(rows[i] * columns[j], n * n)
        for i in range(size)
        for j in range(size)
    )
    if expected == 0:
        return None
    return float(1 - observed / expected)


def _check(rating: str | None, ref: str) -> str | None:
    if rating is not None and rating not in RATINGS:
        raise ValueError(f"{ref}: unknown rating {rating!r} (expected one of {RATINGS})")
    return rating


def _compare(assessments: Iterable[tuple[Hashable | None, Ratings, Ratings]]) -> Agreement:
    size = len(SCALE)
    table = [[0] * size for _ in range(size)]
    apart: list[NaApart] = []
    disagreements: list[Disagreement] = []
    for key, first, second in assessments:
        for ref in sorted(set(first) | set(second)):
            a, b = _check(first.get(ref), ref), _check(second.get(ref), ref)
            a_rated = a not in (None, NOT_RATED)
            b_rated = b not in (None, NOT_RATED)
            if not (a_rated or b_rated):
                continue
            if NOT_APPLICABLE in (a, b):
                apart.append(NaApart(ref, a, b, key))
            if a_rated and b_rated:
                if a in SCALE and b in SCALE:
                    table[SCALE.index(a)][SCALE.index(b)] += 1
                if a != b:
                    disagreements.append(Disagreement(ref, a, b, "different", key))
            else:
                disagreements.append(Disagreement(ref, a, b, "implicit", key))
    compared = sum(sum(row) for row in table)
    identical = sum(table[i][i] for i in range(size))
    frozen = tuple(tuple(row) for row in table)
    return Agreement(
        compared=compared,
        identical=identical,
        share=identical / compared if compared else None,
        kappa=weighted_kappa(frozen),
        na_apart=tuple(apart),
        disagreements=tuple(disagreements),
        table=frozen,
    )
