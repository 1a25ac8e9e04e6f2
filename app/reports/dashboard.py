"""The coordinators' dashboard: a cycle's pipeline, a heatmap of final ratings (countries ×
clusters), a per-provision view, group averages and trends over cycles.

Everything is computed from the cycle's data context (``data.cycle_data``) by pure functions
(``build``); the view reads the cycles (one query), the chosen cycle's data context and those of
at most ``EARLIER_CYCLES`` earlier finished cycles (a fixed number of queries each), so the page
costs a fixed number of queries whatever the number of countries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from app.reports.data import CountryData, CycleData

#: The ratings counted in the heatmap's cells, in order.
SCALE = ("C", "LC", "PC", "NC")
#: Every rating a provision can show (the per-provision view and the trends).
ALL_RATINGS = ("C", "LC", "PC", "NC", "NA", "NR")
MEASURES = ("counts", "index")
#: Group averages are shown only for groups of at least this many countries.
MIN_GROUP = 5
#: How many earlier finished cycles the trends read (each costs one data context).
EARLIER_CYCLES = 3
DEFAULT_FRAMEWORK = "budapest"

#: Index bands: lower bound, id, label, CSS class (the number is always in the cell too).
BANDS = (
    (75.0, "strong", _l("75 to 100"), "band-strong"),
    (50.0, "fair", _l("50 to 74"), "band-fair"),
    (25.0, "weak", _l("25 to 49"), "band-weak"),
    (0.0, "poor", _l("0 to 24"), "band-poor"),
)


def band(index: float | None) -> tuple[str, str, str]:
    """Return the band (id, label, CSS class) of an indicative index; ``none`` when None."""
    if index is None:
        return "none", str(_l("no rating on the scale")), "band-none"
    for low, band_id, label, css in BANDS:
        if index >= low:
            return band_id, str(label), css
    return BANDS[-1][1], str(BANDS[-1][2]), BANDS[-1][3]


@dataclass(frozen=True, slots=True)
class Filters:
    cycle_id: int | None = None
    framework: str | None = None
    region: str | None = None
    status: str | None = None
    measure: str = "counts"
    provision: str | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    counts: Mapping[str, int]
    index: float | None

    @property
    def compact(self) -> str:
        """The counts of C, LC, PC and NC as ``5·1·0·2``."""
        return "·".join(str(self.counts.get(rating, 0)) for rating in SCALE)

    @property
    def band(self) -> tuple[str, str, str]:
        return band(self.index)


@dataclass(frozen=True, slots=True)
class Row:
    country: CountryData
    cells: tuple[Cell, ...]  # one per cluster, in the columns' order
    total: Cell  # the framework as a whole
    #: The framework's index in the previous cycle the country was rated in, and its name.
    previous: float | None = None
    previous_cycle: str | None = None

    @property
    def change(self) -> str | None:
        """``up``, ``down`` or ``same`` against the previous cycle; None without one."""
        if self.previous is None or self.total.index is None:
            return None
        delta = round(self.total.index) - round(self.previous)
        return "up" if delta > 0 else "down" if delta < 0 else "same"


@dataclass(frozen=True, slots=True)
class GroupAverage:
    region: str
    region_name: str
    countries: int
    #: The mean index per cluster (columns' order) and of the framework; None when not shown.
    cells: tuple[float | None, ...] | None
    total: float | None

    @property
    def shown(self) -> bool:
        return self.countries >= MIN_GROUP


@dataclass(frozen=True, slots=True)
class TrendRow:
    cycle_name: str
    countries: int
    counts: Mapping[str, int]
    current: bool


@dataclass(frozen=True, slots=True)
class ProvisionView:
    ref: str
    label: str
    rows: tuple[tuple[CountryData, str], ...]  # the country and its final rating (NR if none)
    counts: Mapping[str, int]


@dataclass
class Dashboard:
    framework: str
    frameworks: Mapping[str, str]
    clusters: tuple[tuple[str, str], ...]  # (cluster id, label) of the framework
    regions: tuple[tuple[str, str], ...]  # (code, name) present in the cycle
    #: Every country after the region filter: the pipeline's counts per status.
    pipeline_counts: Mapping[str, int]
    #: The countries after every filter, with whether their submission is overdue.
    pipeline: tuple[tuple[CountryData, bool], ...]
    overdue: int
    rows: tuple[Row, ...]
    not_rated: tuple[CountryData, ...]
    averages: tuple[GroupAverage, ...]
    provisions: tuple[tuple[str, str], ...]  # (ref, label) of the framework
    provision: ProvisionView | None
    trends: tuple[TrendRow, ...]
    measure: str
    filters: Filters = field(default_factory=Filters)


#: Reviews finished: their final ratings hold (a review under way has only some of them).
FINISHED = frozenset({"finalised", "published"})


def is_rated(country: CountryData) -> bool:
    """Whether the assessment's review is finished with final ratings (the heatmap, the group
    averages and the trends show only those: a review under way would show partial counts)."""
    return country.status in FINISHED and any(
        rating.final is not None for rating in country.ratings.values()
    )


def is_overdue(country: CountryData, deadline: date, today: date) -> bool:
    """A draft past the cycle's deadline."""
    return country.status == "draft" and today > deadline


def _cell(country: CountryData, framework: str, cluster: str | None) -> Cell:
    for counts in country.counts:
        if counts.framework_id == framework and counts.cluster == cluster:
            return Cell(counts.counts, counts.index)
    return Cell({}, None)


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [value for value in values if value is not None]
    return round(sum(kept) / len(kept), 1) if kept else None


def build(
    data: CycleData,
    filters: Filters,
    *,
    deadline: date,
    today: date,
    earlier: Sequence[CycleData] = (),
) -> Dashboard:
    """Compute the dashboard of ``data`` under ``filters``.

    ``earlier``: the data contexts of earlier finished cycles, oldest first (for the trends and
    each country's change).
    """
    frameworks = dict(data.framework_labels)
    framework = filters.framework if filters.framework in frameworks else None
    if framework is None:
        framework = (
            DEFAULT_FRAMEWORK if DEFAULT_FRAMEWORK in frameworks else next(iter(frameworks), "")
        )
    clusters = tuple(
        (cluster, label) for (fw, cluster), label in data.cluster_labels.items() if fw == framework
    )
    regions = sorted(
        {(c.country.region, c.country.region_name) for c in data.countries if c.country.region},
        key=lambda item: item[1],
    )
    in_region = [
        c for c in data.countries if not filters.region or c.country.region == filters.region
    ]
    chosen = [c for c in in_region if not filters.status or c.status == filters.status]
    pipeline = tuple((c, is_overdue(c, deadline, today)) for c in chosen)

    # The previous index of each country: the latest earlier cycle it was rated in.
    previous: dict[str, tuple[float | None, str]] = {}
    for older in earlier:
        for country in older.countries:
            if is_rated(country):
                index = _cell(country, framework, None).index
                previous[country.country.code] = (index, older.cycle_name)
    rows = []
    for country in chosen:
        if not is_rated(country):
            continue
        before = previous.get(country.country.code)
        rows.append(
            Row(
                country,
                tuple(_cell(country, framework, cluster) for cluster, _ in clusters),
                _cell(country, framework, None),
                before[0] if before else None,
                before[1] if before else None,
            )
        )
    averages = []
    for region, name in regions:
        members = [row for row in rows if row.country.country.region == region]
        if not members:
            continue
        shown = len(members) >= MIN_GROUP
        averages.append(
            GroupAverage(
                region,
                name,
                len(members),
                tuple(_mean([row.cells[i].index for row in members]) for i in range(len(clusters)))
                if shown
                else None,
                _mean([row.total.index for row in members]) if shown else None,
            )
        )
    provisions = tuple((c.ref, c.label) for c in data.columns if c.framework_id == framework)
    view = None
    labels = {c.ref: c.label for c in data.columns}
    if filters.provision in labels:
        shown_rows = tuple(
            (c, c.ratings[filters.provision].shown if filters.provision in c.ratings else "NR")
            for c in chosen
        )
        counted = Counter(rating for _, rating in shown_rows)
        view = ProvisionView(
            filters.provision,
            labels[filters.provision],
            shown_rows,
            {rating: counted.get(rating, 0) for rating in ALL_RATINGS},
        )
    trends = [_trend(older, framework, filters.region, current=False) for older in earlier] + [
        _trend(data, framework, filters.region, current=True)
    ]
    return Dashboard(
        framework=framework,
        frameworks=frameworks,
        clusters=clusters,
        regions=tuple(regions),
        pipeline_counts=Counter(c.status for c in in_region),
        pipeline=pipeline,
        overdue=sum(1 for _, late in pipeline if late),
        rows=tuple(rows),
        not_rated=tuple(c for c in chosen if not is_rated(c)),
        averages=tuple(averages),
        provisions=provisions,
        provision=view,
        trends=tuple(trends),
        measure=filters.measure if filters.measure in MEASURES else "counts",
        filters=filters,
    )


def _trend(data: CycleData, framework: str, region: str | None, *, current: bool) -> TrendRow:
    """The counts of the final ratings of ``framework`` across the rated countries of a cycle."""
    total: Counter[str] = Counter()
    countries = 0
    for country in data.countries:
        if region and country.country.region != region:
            continue
        if not is_rated(country):
            continue
        countries += 1
        total.update(_cell(country, framework, None).counts)
    return TrendRow(data.cycle_name, countries, {r: total.get(r, 0) for r in ALL_RATINGS}, current)
