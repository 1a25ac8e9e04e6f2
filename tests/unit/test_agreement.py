"""Agreement between two reviewers (``shared/domain/scoring.md``, "Ratings in layers"): tables
worked by hand, and the kappa checked against scikit-learn on generated cases."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from app.scoring.agreement import (
    SCALE,
    Agreement,
    Disagreement,
    NaApart,
    agreement,
    pool,
    weighted_kappa,
)
from app.scoring.engine import ORDER, RATINGS


def sklearn_kappa(first: list[str], second: list[str]) -> float | None:
    """scikit-learn's quadratic-weighted kappa on the fixed labels; None where it is undefined
    (it warns and answers NaN there, whatever the version's warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(first, second, labels=list(ORDER), weights="quadratic")
    return None if math.isnan(value) else float(value)


def ratings(*values: str) -> dict[str, str]:
    return {f"p{n}": value for n, value in enumerate(values, 1)}


# --- Hand-checked tables ---------------------------------------------------------------------

#: NC=0 PC=1 LC=2 C=3. Rows (first) 1,1,1,2, columns (second) 0,2,1,2, n=5. Weighted observed
#: disagreement: three pairs one step apart = 3/5. Expected: sum (i-j)^2 r_i c_j / n^2 = 55/25.
#: kappa = 1 - (3/5)/(11/5) = 8/11 (the 1/(k-1)^2 of the weights cancels).
FIRST = ratings("C", "LC", "PC", "NC", "C")
SECOND = ratings("C", "C", "PC", "PC", "LC")


def test_a_worked_table():
    result = agreement(FIRST, SECOND)
    assert (result.compared, result.identical, result.share) == (5, 2, 0.4)
    assert result.kappa == pytest.approx(8 / 11, abs=1e-15)
    assert result.kappa == pytest.approx(sklearn_kappa(list(FIRST.values()), list(SECOND.values())))
    assert result.table == ((0, 1, 0, 0), (0, 1, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1))
    assert result.na_apart == ()
    assert result.disagreements == (
        Disagreement("p2", "LC", "C", "different"),
        Disagreement("p4", "NC", "PC", "different"),
        Disagreement("p5", "C", "LC", "different"),
    )


def test_perfect_agreement_is_one():
    same = ratings("C", "LC", "PC", "NC", "C", "LC")
    result = agreement(same, dict(same))
    assert (result.compared, result.identical, result.share, result.kappa) == (6, 6, 1.0, 1.0)
    assert result.disagreements == ()
    # Two labels are enough for it to be defined.
    assert agreement(ratings("C", "NC"), ratings("C", "NC")).kappa == 1.0


@pytest.mark.parametrize("label", ORDER)
def test_one_same_label_leaves_kappa_undefined(label):
    """Both used one single and the same label: expected disagreement 0, kappa 0/0 -> None,
    while the share is still 1 (scikit-learn warns and gives its placeholder there)."""
    result = agreement(ratings(label, label, label), ratings(label, label, label))
    assert (result.compared, result.identical, result.share, result.kappa) == (3, 3, 1.0, None)
    assert sklearn_kappa([label] * 3, [label] * 3) is None


def test_two_different_single_labels_give_zero():
    result = agreement(ratings("C", "C"), ratings("LC", "LC"))
    assert (result.share, result.kappa) == (0.0, 0.0)
    assert sklearn_kappa(["C", "C"], ["LC", "LC"]) == 0.0


def test_nothing_compared():
    assert agreement({}, {}) == Agreement(0, 0, None, None, (), (), ((0,) * 4,) * 4)
    result = agreement({"a": "NA", "b": "NR"}, {"a": "NA", "c": None})
    assert (result.compared, result.identical, result.share, result.kappa) == (0, 0, None, None)
    assert result.na_apart == (NaApart("a", "NA", "NA"),)
    assert result.disagreements == ()


def test_na_nr_and_missing():
    first = {"a": "C", "b": "NA", "c": "NA", "d": "NR", "e": "LC", "f": "NA", "g": "NR", "i": None}
    second = {"a": "C", "b": "NA", "c": "LC", "d": "PC", "f": "NR", "g": "NR", "h": "NC"}
    result = agreement(first, second)
    # Only "a" is on the scale for both; a single shared label: kappa undefined.
    assert (result.compared, result.identical, result.share, result.kappa) == (1, 1, 1.0, None)
    assert result.na_apart == (
        NaApart("b", "NA", "NA"),
        NaApart("c", "NA", "LC"),
        NaApart("f", "NA", "NR"),
    )
    assert [item.both for item in result.na_apart] == [True, False, False]
    assert result.na_both == 1
    assert result.disagreements == (
        Disagreement("c", "NA", "LC", "different"),
        Disagreement("d", "NR", "PC", "implicit"),
        Disagreement("e", "LC", None, "implicit"),
        Disagreement("f", "NA", "NR", "implicit"),
        Disagreement("h", None, "NC", "implicit"),
    )
    # Neither rated "g" nor "i": nothing to adjudicate.
    assert {d.ref for d in result.disagreements}.isdisjoint({"g", "i"})


def test_na_and_unrated_stay_out_of_the_kappa():
    """Adding NA, NR and missing provisions changes neither the share nor the kappa."""
    noisy_first = {**FIRST, "x": "NA", "y": "C", "z": "NR", "w": "NA"}
    noisy_second = {**SECOND, "x": "C", "y": "NR", "v": "LC", "w": "NA"}
    plain, noisy = agreement(FIRST, SECOND), agreement(noisy_first, noisy_second)
    assert (noisy.compared, noisy.identical, noisy.share, noisy.kappa, noisy.table) == (
        plain.compared, plain.identical, plain.share, plain.kappa, plain.table,
    )  # fmt: skip
    # "z" is NR against missing: rated by neither, nothing to adjudicate.
    assert [(d.ref, d.kind) for d in noisy.disagreements] == [
        ("p2", "different"),
        ("p4", "different"),
        ("p5", "different"),
        ("v", "implicit"),
        ("x", "different"),
        ("y", "implicit"),
    ]
    assert (len(noisy.na_apart), noisy.na_both) == (2, 1)


def test_unknown_rating_is_refused():
    with pytest.raises(ValueError, match="p1: unknown rating 'X'"):
        agreement({"p1": "X"}, {"p1": "C"})


def test_pooling_uses_one_table_not_an_average():
    """FIRST/SECOND (kappa 8/11) pooled with one pair NC vs C (kappa 0 alone): rows 2,1,1,2,
    columns 0,2,1,3, n=6; observed 12/6, expected 102/36; kappa = 1 - 12/17 = 5/17, not the
    average 4/11."""
    cycle = {2: ({"q1": "NC", "q2": "NA"}, {"q1": "C"}), 1: (FIRST, SECOND)}
    assert agreement(*cycle[2]).kappa == 0.0
    result = pool(cycle)
    assert (result.compared, result.identical, result.share) == (6, 2, 2 / 6)
    assert result.kappa == pytest.approx(5 / 17, abs=1e-15)
    assert result.kappa != pytest.approx(4 / 11)
    assert result.kappa == pytest.approx(
        sklearn_kappa([*FIRST.values(), "NC"], [*SECOND.values(), "C"])
    )
    assert result.disagreements == (
        Disagreement("p2", "LC", "C", "different", 1),
        Disagreement("p4", "NC", "PC", "different", 1),
        Disagreement("p5", "C", "LC", "different", 1),
        Disagreement("q1", "NC", "C", "different", 2),
        Disagreement("q2", "NA", None, "implicit", 2),
    )
    assert result.na_apart == (NaApart("q2", "NA", None, 2),)


def test_pooling_defines_what_each_assessment_alone_cannot():
    cycle = {"x": (ratings("C", "C"), ratings("C", "C")), "y": (ratings("NC"), ratings("NC"))}
    assert [agreement(*pair).kappa for pair in cycle.values()] == [None, None]
    assert pool(cycle).kappa == 1.0
    # The same refs in two assessments are two provisions.
    assert pool(cycle).compared == 3


def test_weighted_kappa_on_tables():
    assert weighted_kappa([[0] * 4] * 4) is None
    assert weighted_kappa([[0, 0], [0, 3]]) is None
    assert weighted_kappa([[2, 0], [0, 3]]) == 1.0
    # Total disagreement on the two extreme labels, balanced marginals: kappa -1.
    assert weighted_kappa([[0, 0, 0, 2], [0] * 4, [0] * 4, [2, 0, 0, 0]]) == -1.0
    table = ((0, 1, 0, 0), (0, 1, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1))
    assert Fraction(weighted_kappa(table)).limit_denominator(1000) == Fraction(8, 11)


# --- Against scikit-learn --------------------------------------------------------------------

scale_pairs = st.lists(st.tuples(st.sampled_from(SCALE), st.sampled_from(SCALE)), min_size=1)


@settings(max_examples=500, deadline=None)
@given(scale_pairs)
def test_kappa_matches_scikit_learn(pairs):
    first = {f"p{n}": a for n, (a, _) in enumerate(pairs)}
    second = {f"p{n}": b for n, (_, b) in enumerate(pairs)}
    result = agreement(first, second)
    expected = sklearn_kappa([a for a, _ in pairs], [b for _, b in pairs])
    if expected is None:
        assert result.kappa is None
        assert len({a for a, _ in pairs} | {b for _, b in pairs}) == 1
    else:
        assert result.kappa == pytest.approx(expected, abs=1e-12)
    assert result.compared == len(pairs)
    assert result.identical == sum(a == b for a, b in pairs)
    # Symmetric in the two reviewers.
    swapped = agreement(second, first)
    assert (swapped.share, swapped.kappa) == (result.share, result.kappa)


any_rating = st.one_of(st.none(), st.sampled_from(RATINGS))
assessment = st.dictionaries(
    st.sampled_from([f"p{n}" for n in range(12)]), st.tuples(any_rating, any_rating)
)


def split(pairs: dict[str, tuple[str | None, str | None]]):
    """Two reviewers' mappings; a None rating is sometimes left out rather than stored."""
    first = {ref: a for ref, (a, _) in pairs.items() if a is not None or ref < "p6"}
    second = {ref: b for ref, (_, b) in pairs.items() if b is not None or ref >= "p6"}
    return first, second


@settings(max_examples=300, deadline=None)
@given(assessment)
def test_mixed_ratings_filter_to_the_scale(pairs):
    result = agreement(*split(pairs))
    on_scale = [(a, b) for a, b in pairs.values() if a in SCALE and b in SCALE]
    assert result.compared == len(on_scale)
    if on_scale:
        expected = sklearn_kappa([a for a, _ in on_scale], [b for _, b in on_scale])
        assert result.kappa == (None if expected is None else pytest.approx(expected, abs=1e-12))
    else:
        assert (result.share, result.kappa) == (None, None)
    rated = {"C", "LC", "PC", "NC", "NA"}
    differing = sorted(ref for ref, (a, b) in pairs.items() if a != b and {a, b} & rated)
    assert [d.ref for d in result.disagreements] == differing
    for item in result.disagreements:
        both_rated = item.first in rated and item.second in rated
        assert item.kind == ("different" if both_rated else "implicit")
    assert [n.ref for n in result.na_apart] == sorted(
        ref for ref, (a, b) in pairs.items() if "NA" in (a, b)
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(assessment, max_size=4))
def test_pool_equals_one_assessment_of_all_pairs(cycle):
    pooled = pool({n: split(pairs) for n, pairs in enumerate(cycle)})
    merged = [split({f"{n}/{ref}": v for ref, v in pairs.items()}) for n, pairs in enumerate(cycle)]
    flat = agreement(
        {k: v for first, _ in merged for k, v in first.items()},
        {k: v for _, second in merged for k, v in second.items()},
    )
    assert (pooled.compared, pooled.identical, pooled.share, pooled.kappa, pooled.table) == (
        flat.compared, flat.identical, flat.share, flat.kappa, flat.table,
    )  # fmt: skip
    assert [(d.assessment, d.ref, d.kind) for d in pooled.disagreements] == [
        (int(d.ref.split("/")[0]), d.ref.split("/")[1], d.kind) for d in flat.disagreements
    ]
