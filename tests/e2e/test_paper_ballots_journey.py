"""A facilitator types a batch of paper ballots for a majority-judgment consultation: opens the
batch (3 ballots in the box), types them — two identical ones at once —, the form coming back
empty with the focus on its first field each time, validates the batch, and sees the 3 paper
ballots counted on the desk. Every page is checked with axe."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.consultations.models import Ballot, Milestone, PaperBatch
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.e2e.conftest import log_in
from tests.support.consultations import make_consultation, priority_ids
from tests.support.factories import PASSWORD, make_need, make_user, make_world


def _type_ballot(site, grades: dict[str, int], copies: int = 1) -> None:
    page = site.page
    if copies != 1:
        page.locator("#copies").fill(str(copies))
    for pid, grade in grades.items():
        page.locator(f"#grade-{pid}-{grade}").check()
    site.navigate(lambda: page.locator("#ballot-form button[type=submit]").click())


def test_facilitator_types_validates_and_sees_a_batch_of_paper_ballots(site, live_app):
    world = make_world(live_app)
    facilitator = make_user(live_app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    consultation = make_consultation(live_app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="vote", method="majority_judgment", title="Santé à Belrive")
    a, b, c = priority_ids(live_app, consultation.id)
    page = site.page
    log_in(site, facilitator.email, PASSWORD)

    # From the desk to a new batch.
    site.goto(f"/consultations/{consultation.id}/gestion")
    expect(page.locator("#channel-papier td").last).to_have_text("0")
    site.navigate(lambda: page.locator(
        f'main a[href="/consultations/{consultation.id}/lots-papier/nouveau"]').click())
    page.locator("#place").fill("Permanence du centre social")
    page.locator("#collected_on").fill(utcnow().date().isoformat())
    page.locator("#declared_count").fill("3")
    site.navigate(lambda: page.locator("main form button[type=submit]").click())
    expect(page.locator("#typed-count")).to_contain_text("0 / 3")

    # A pile of two identical ballots, then a third one.
    _type_ballot(site, {a: 6, b: 3, c: 0}, copies=2)
    expect(page.locator("#typed-count")).to_contain_text("2 / 3")
    expect(page.locator("#copies")).to_be_focused()  # ready for the next ballot
    expect(page.locator("#copies")).to_have_value("1")
    expect(page.locator(f"#grade-{a}-6")).not_to_be_checked()
    _type_ballot(site, {a: 2, b: 5, c: 4})
    expect(page.locator("#typed-count")).to_contain_text("3 / 3")
    expect(page.locator("#ballot-form")).to_have_count(0)  # every declared ballot is typed
    with live_app.app_context():
        assert db.session.execute(select(Ballot)).first() is None  # not counted before validation

    # Validation counts them; the desk shows 3 paper ballots.
    with live_app.app_context():
        batch_id = db.session.execute(select(PaperBatch.id)).scalar_one()
    site.navigate(lambda: page.locator(f'form[action="/lots-papier/{batch_id}/valider"] button').click())
    expect(page.locator("#batch-state")).not_to_be_empty()
    expect(page.locator("#ballot-form")).to_have_count(0)
    site.navigate(lambda: page.locator(f'main a[href="/consultations/{consultation.id}/gestion"]').first.click())
    expect(page.locator("#channel-papier td").last).to_have_text("3")
    with live_app.app_context():
        rows = db.session.execute(select(Ballot.channel)).scalars().all()
        assert rows == ["papier"] * 3


def test_the_other_tools_of_the_facilitator_pass_axe(site, live_app):
    """The set-up form (and its errors), the new priority, the assisted ballot, a follow-up step
    and the public page of the priority showing it."""
    world = make_world(live_app)
    facilitator = make_user(live_app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    collecting = make_consultation(live_app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                   phase="collecte", method="approval")
    make_need(live_app, territory_id=world.commune.id, title="Pas de kinésithérapeute", supports=2)
    voting = make_consultation(live_app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                               phase="vote", method="borda")
    following = make_consultation(live_app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                  phase="suivi", method="single")
    pid = priority_ids(live_app, following.id)[0]
    page = site.page
    log_in(site, facilitator.email, PASSWORD)

    site.goto("/consultations/nouvelle")
    site.navigate(lambda: page.locator("main form button[type=submit]").click())  # nothing filled in
    expect(page.locator(".error-summary")).to_be_visible()
    site.goto(f"/consultations/{collecting.id}/modifier")
    site.goto(f"/consultations/{collecting.id}/priorites/nouvelle")
    expect(page.locator(".need-choice-list li")).to_have_count(1)
    site.goto(f"/consultations/{voting.id}/vote-assiste")
    site.navigate(lambda: page.locator("main form.ballot-form button[type=submit]").click())
    expect(page.locator("#person-error")).to_be_visible()

    site.goto(f"/priorites/{pid}/suivi/nouveau")
    page.locator("#text").fill("Le local du centre de santé est trouvé.")
    page.locator("#status-2").check()
    page.locator("#progress").fill("40")
    site.navigate(lambda: page.locator("main form button[type=submit]").click())
    expect(page).to_have_url(site.url(f"/priorites/{pid}"))
    expect(page.locator(".milestone-timeline li")).to_have_count(1)
    expect(page.locator(".milestone-timeline progress")).to_have_attribute("value", "40")
    with live_app.app_context():
        assert db.session.execute(select(Milestone.status)).scalar_one() == "en_cours"
