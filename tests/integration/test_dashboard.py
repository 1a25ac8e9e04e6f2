"""The coordinators' dashboard (``/dashboard``): the pipeline with overdue drafts, the heatmap of
final ratings (counts or the indicative index) by cluster, the per-provision view, group averages
only for groups of five countries or more, trends over cycles; filters in the URL; coordinators
and admins only."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import insert, select

from app.extensions import db
from app.models import Assessment, Country, Cycle, CycleStatus, ProvisionRating
from app.reports.data import cycle_data
from tests.conftest import make_country, open_cycle, sign_in_session
from tests.integration.test_exports import finals
from tests.integration.test_needs import finalise_with

#: Demoland's final ratings beside C: budapest:16 overrides the derived rating.
XAA_RATINGS = {"budapest:16": "PC", "budapest:17": "NC"}


@pytest.fixture
def rated(app, world, loaded_library):
    """A cycle of three countries: XAA finalised (with an override), XAB published, XAC (in
    Asia) still a draft."""
    with app.app_context():
        make_country("XAC", "Thirdland")
        db.session.scalar(select(Country).where(Country.code == "XAC")).region = "142"
        db.session.commit()
    opened = open_cycle(app, world, countries=("XAA", "XAB", "XAC"))
    finalise_with(app, world, opened.own, XAA_RATINGS)
    finalise_with(app, world, opened.other, {}, publish=True, official=world.other)
    return opened


def page(client, world, url: str = "/dashboard") -> str:
    sign_in_session(client, world.coordinator)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html: str, start: str, end: str | None) -> str:
    part = html.split(f'id="{start}"', 1)[1]
    return part.split(f'id="{end}"', 1)[0] if end else part


def heatmap_row(html: str, country: str) -> list[str]:
    """The cells' visible text of ``country``'s heatmap row."""
    table = section(html, "heatmap", "averages")
    row = re.search(
        rf"<tr>\s*<th scope=\"row\"><a [^>]*>{country}</a>.*?</th>(.*?)</tr>", table, re.S
    )
    assert row, f"{country} is not in the heatmap"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [
        re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>', "", c).strip() for c in cells
    ]


def expected_cells(app, cycle_id: int, assessment_id: int, framework: str) -> list[str]:
    """The counts C·LC·PC·NC per cluster of ``framework`` (and of the whole), computed from the
    final layer read through the review service, not from the dashboard."""
    given = finals(app, assessment_id)
    with app.test_request_context():
        data = cycle_data(db.session.get(Cycle, cycle_id))
    clusters = [c for (fw, c) in data.cluster_labels if fw == framework]
    columns = [c for c in data.columns if c.framework_id == framework]
    cells = []
    for cluster in [*clusters, None]:
        counted = Counter(
            given.get(c.ref, "NR") for c in columns if cluster is None or c.cluster == cluster
        )
        cells.append("·".join(str(counted[r]) for r in ("C", "LC", "PC", "NC")))
    return cells


def test_the_heatmap_shows_the_counts_of_the_final_ratings_per_cluster(app, client, world, rated):
    html = page(client, world)
    cells = heatmap_row(html, "Demoland")
    assert cells[:-1] == expected_cells(app, rated.cycle_id, rated.own, "budapest")
    assert cells[:-1] != expected_cells(app, rated.cycle_id, rated.other, "budapest")
    # The override counts as final: one PC and one NC in Demoland's Budapest ratings.
    total = cells[-2].split("·")
    assert (int(total[2]), int(total[3])) == (1, 1)
    assert "Exampleland" in section(html, "heatmap", "averages")
    # The draft has no final rating: listed as not finished, not as a row.
    assert "Review not finished yet (1)" in html
    with pytest.raises(AssertionError):
        heatmap_row(html, "Thirdland")
    assert f"/assessments/{rated.own}/ratings" in html


def test_the_index_measure_is_labelled_with_its_formula(app, client, world, rated):
    counts = page(client, world)
    index = page(client, world, "/dashboard?measure=index")
    assert "Indicative index per cluster" in index
    assert "C = 100, LC = 67, PC = 33, NC = 0; NA and NR are excluded" in index
    cells = heatmap_row(index, "Exampleland")
    assert cells[-2] == "100"  # every provision C
    assert heatmap_row(counts, "Exampleland")[-2] != "100"
    assert 'data-band="strong"' in index and "75 to 100" in index  # a legend beside the colour


def test_filters_in_the_url_change_what_is_shown(app, client, world, rated):
    html = page(client, world, "/dashboard?region=142")
    pipeline = section(html, "pipeline", "heatmap")
    assert "Thirdland" in pipeline and "Demoland" not in pipeline
    html = page(client, world, "/dashboard?status=published")
    assert "Exampleland" in section(html, "heatmap", "averages")
    assert "Demoland" not in section(html, "pipeline", "averages")
    html = page(client, world, "/dashboard?framework=un-cybercrime")
    assert "Heatmap: " in html
    un = heatmap_row(html, "Demoland")
    assert un[:-1] == expected_cells(app, rated.cycle_id, rated.own, "un-cybercrime")
    assert '<option value="un-cybercrime" selected>' in html


def test_the_per_provision_view_lists_every_country(app, client, world, rated):
    html = page(client, world, "/dashboard?provision=budapest:16")
    view = section(html, "provision", "trends")
    ratings = dict(re.findall(r"<a [^>]*>(\w+)</a></th>.*?data-rating=\"(\w+)\"", view, re.S))
    assert ratings == {"Demoland": "PC", "Exampleland": "C", "Thirdland": "NR"}
    assert "PC: <strong>1</strong>" in view and "NR: <strong>1</strong>" in view


def test_an_overdue_draft_is_flagged(app, client, world, rated):
    html = page(client, world)
    assert "Overdue</span>" not in section(html, "pipeline", "heatmap")
    with app.app_context():
        db.session.get(Cycle, rated.cycle_id).deadline = date(2020, 1, 1)
        db.session.commit()
    pipeline = section(page(client, world), "pipeline", "heatmap")
    assert "1 submission overdue" in pipeline
    row = re.search(r"Thirdland</a></th>.*?</tr>", pipeline, re.S).group(0)
    assert "Overdue" in row
    assert "Overdue" not in re.search(r"Demoland</a></th>.*?</tr>", pipeline, re.S).group(0)


def rate_all(app, cycle_id: int, codes: list[str], rating: str = "C") -> None:
    """Give every Budapest provision of these countries' assessments a final ``rating``, in a
    finalised review."""
    with app.test_request_context():
        data = cycle_data(db.session.get(Cycle, cycle_id))
        refs = [c.ref for c in data.columns if c.framework_id == "budapest"]
        ids = {c.country.code: c.assessment_id for c in data.countries}
        db.session.execute(
            insert(ProvisionRating),
            [
                {"assessment_id": ids[code], "provision": ref, "layer": "final",
                 "rating": rating, "derived": rating, "justification": "Test."}
                for code in codes for ref in refs
            ],
        )  # fmt: skip
        for code in codes:
            db.session.get(Assessment, ids[code]).status = "finalised"
        db.session.commit()


def test_a_review_under_way_is_not_in_the_heatmap(app, client, world, loaded_library):
    """Its final ratings so far are partial: counting them would show a fall that is not one."""
    opened = open_cycle(app, world, countries=("XAA", "XAB"))
    rate_all(app, opened.cycle_id, ["XAA", "XAB"])
    with app.app_context():
        db.session.get(Assessment, opened.other).status = "in_review"
        db.session.commit()
    html = page(client, world)
    assert heatmap_row(html, "Demoland")
    with pytest.raises(AssertionError):
        heatmap_row(html, "Exampleland")
    assert "Review not finished yet (1)" in html


def test_group_averages_only_for_five_countries_or_more(app, client, world, loaded_library):
    with app.app_context():
        for code, name in (("XAC", "Thirdland"), ("XAD", "Fourthland"), ("XAE", "Fifthland")):
            make_country(code, name)  # all in Europe, as XAA and XAB
        db.session.commit()
    codes = ["XAA", "XAB", "XAC", "XAD", "XAE"]
    opened = open_cycle(app, world, countries=tuple(codes))
    rate_all(app, opened.cycle_id, codes[:4])
    averages = section(page(client, world, "/dashboard?measure=index"), "averages", "provision")
    assert "fewer than five countries: not shown" in averages
    rate_all(app, opened.cycle_id, codes[4:])
    averages = section(page(client, world, "/dashboard?measure=index"), "averages", "provision")
    assert "fewer than five countries" not in averages
    row = re.search(r"Europe</th><td>5</td>(.*?)</tr>", averages, re.S)
    assert row and "<td>100</td>" in row.group(1)


def test_trends_and_the_change_since_the_previous_cycle(app, client, world, loaded_library):
    first = open_cycle(app, world, name="2025 round")
    rate_all(app, first.cycle_id, ["XAA", "XAB"], "PC")
    with app.app_context():
        db.session.get(Cycle, first.cycle_id).status = CycleStatus.CLOSED
        for assessment in db.session.scalars(select(Assessment)):
            assessment.status = "finalised"
        db.session.commit()
    second = open_cycle(app, world, name="2027 round")
    rate_all(app, second.cycle_id, ["XAA"], "C")
    html = page(client, world, f"/dashboard?cycle={second.cycle_id}")
    trends = section(html, "trends", None)
    assert "2025 round" in trends and "this cycle" in trends
    row = re.search(r"2025 round</th><td>2</td>(.*?)</tr>", trends, re.S)
    assert row, trends
    cells = heatmap_row(html, "Demoland")
    assert cells[-1].startswith("↑ up from 33 (2025 round)")


@pytest.mark.parametrize("persona", ["own", "reviewer"])
def test_only_coordinators_and_admins_see_the_dashboard(app, client, world, persona):
    assert client.get("/dashboard").headers["Location"].startswith("/auth/login")
    sign_in_session(client, world.persona(persona))
    assert client.get("/dashboard").status_code == 403
    sign_in_session(client, world.admin)
    assert client.get("/dashboard").status_code == 200


def test_the_home_page_links_to_the_dashboard(app, client, world):
    sign_in_session(client, world.coordinator)
    assert 'href="/dashboard"' in client.get("/").get_data(as_text=True)
    sign_in_session(client, world.own)
    assert 'href="/dashboard"' not in client.get("/").get_data(as_text=True)


def test_the_dashboard_follows_a_new_rating_at_once(app, client, world, rated):
    """The dashboard keeps the cycle's data between views, and builds it again as soon as a
    rating, an answer or a status changes."""
    from app.reports import data as cycle_context

    first = heatmap_row(page(client, world), "Exampleland")
    with app.app_context():
        db.session.add(
            ProvisionRating(
                assessment_id=rated.other, provision="budapest:2", layer="final", rating="NC",
                derived="C", justification="A later finding.",
            )
        )  # fmt: skip
        db.session.commit()
    again = heatmap_row(page(client, world), "Exampleland")
    assert again != first
    assert again[:-1] == expected_cells(app, rated.cycle_id, rated.other, "budapest")
    with app.test_request_context():
        cycle = db.session.get(Cycle, rated.cycle_id)
        assert cycle_context.cached_cycle_data(cycle) is cycle_context.cached_cycle_data(cycle)
