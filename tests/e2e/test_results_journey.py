"""Reading the results of a closed consultation in the browser: majority judgment (merit profile)
and Schulze (pairwise matrix). Every page is checked with axe; each chart has an accessible name
and a data table beside it; the ballots download."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from civicsante.consultations import services
from civicsante.consultations.models import Consultation
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.e2e.conftest import fr_or_en
from tests.support.consultations import cast, make_consultation, priority_ids
from tests.support.factories import make_world


def _closed_consultation(app, territory_id: int, method: str, ballots_of, voters_of=None) -> tuple[int, list[str]]:
    c = make_consultation(app, territory_id=territory_id, phase="vote", method=method,
                          title=f"Nos priorités de santé ({method})")
    cands = priority_ids(app, c.id)
    for ballot, territory, age_band in (voters_of(cands) if voters_of else []):
        cast(app, c.id, ballot, territory_id=territory, age_band=age_band)
    with app.app_context():
        consultation = db.session.get(Consultation, c.id)
        for ballot in ballots_of(cands):
            services._store_ballot(consultation, ballot, channel="papier")
        db.session.execute(update(Consultation).where(Consultation.id == c.id)
                           .values(vote_ends_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    return c.id, cands


def _check_chart(page, chart_id: str) -> None:
    chart = page.locator(f"#{chart_id}")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    name = chart.get_attribute("aria-label")
    assert name and len(name) > 20
    assert chart.locator(":scope > title").count() == 1
    # The accessible name the browser computes for it.
    assert page.get_by_role("img", name=name).count() == 1


def test_majority_judgment_results_page(site, live_app):
    world = make_world(live_app)
    grades = ([6, 2, 4], [5, 1, 4], [4, 0, 3], [6, 3, 2])
    cid, p = _closed_consultation(
        live_app, world.commune.id, "majority_judgment",
        lambda p: [dict(zip(p, g, strict=True)) for g in grades],
        voters_of=lambda p: [({p[0]: 5, p[1]: 2, p[2]: 3}, world.quartier.id, "35_49")] * 10)
    page = site.page
    site.goto(f"/consultations/{cid}/resultats")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nos priorités de santé")
    _check_chart(page, "merit-chart")
    table = page.locator("#merit-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("thead th")).to_have_count(1 + 7 + 1)
    # Best ranked first: p1 (majority grade "Très bien" / "Very good").
    expect(table.locator("tbody tr").first.locator("th")).to_have_text("Priorité 1")
    expect(page.locator("#ranking li[data-candidate]").first).to_contain_text("Priorité 1")
    # The 10 voters of Les Tilleuls make a group big enough to be shown.
    expect(page.locator("#breakdown-territory")).to_contain_text("Les Tilleuls")
    expect(page.locator(f'#breakdown-age_band tr[data-group="35_49"] td').first).to_have_text("10")

    # "How to recount" opens; the JSON file downloads, with the site's tally in it.
    page.locator(".recount-help summary").click()
    expect(page.locator(".recount-help pre").first).to_contain_text("python -m civicsante.voting majority_judgment")
    site.check()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^JSON")).click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["method"] == "majority_judgment" and len(data["ballots"]) == 14
    assert data["tally"]["ranking"][0] == [p[0]]

    # On a small screen the page still passes (wide tables scroll inside a focusable region).
    page.set_viewport_size({"width": 320, "height": 800})
    site.goto(f"/consultations/{cid}/resultats")
    _check_chart(page, "merit-chart")


def test_schulze_results_page(site, live_app):
    world = make_world(live_app)
    cid, p = _closed_consultation(
        live_app, world.commune.id, "schulze",
        lambda p: [[p[1], p[0], p[2]], [p[1], p[2], p[0]], [p[0], p[1], p[2]], [p[2]]])
    page = site.page
    site.goto(f"/consultations/{cid}/resultats")
    _check_chart(page, "bars-chart")
    matrix = page.locator("#pairwise-matrix")
    expect(matrix).to_be_visible()
    expect(matrix.locator("tbody tr")).to_have_count(3)
    expect(matrix.locator("tbody tr").first.locator("th")).to_have_text("Priorité 2")
    expect(matrix.locator("td.cell--win").first.locator("strong")).to_be_visible()
    expect(page.locator("#bars-table tbody tr")).to_have_count(3)
    expect(page.locator("#bars-table tbody tr").first).to_contain_text("Priorité 2")
    # Paper ballots are counted and shown as such.
    expect(page.locator('dd[data-channel="papier"]')).to_have_text("4")
    # Back to the consultation's own page.
    site.navigate(lambda: page.get_by_role("link", name=fr_or_en("Retour à la consultation",
                                                                 "Back to the consultation")).click())
    expect(page).to_have_url(re.compile(rf"/consultations/{cid}$"))
