"""Voting by majority judgment with the keyboard only: from the list to the consultation, the
ballot grid (Tab from row to row, arrow keys within a row, Space to choose), a missing grade
first, the confirmation, the receipt; then, once the vote is closed, the results. axe checks
every page shown (site.goto / site.navigate)."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select, update

from civicsante.consultations.models import Ballot, BallotMark, Consultation, Participation
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.e2e.conftest import FOCUSED, fr_or_en, log_in, tab, tab_to
from tests.support.consultations import make_consultation, priority_ids
from tests.support.factories import PASSWORD, make_user, make_world

TITLE = "Nos priorités de santé à Belrive"


def test_vote_by_majority_judgment_with_the_keyboard_only(site, live_app):
    world = make_world(live_app)
    resident = make_user(live_app, home_territory_id=world.quartier.id)
    consultation = make_consultation(live_app, territory_id=world.commune.id, method="majority_judgment",
                                     secrecy="secret", title=TITLE)
    cid = consultation.id
    first, second, third = priority_ids(live_app, cid)
    page = site.page
    log_in(site, resident.email, PASSWORD)

    # The list, then the consultation's page, by its title link.
    site.goto("/consultations")
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == TITLE, "the consultation's link")
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(site.url(f"/consultations/{cid}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    # The button to the ballot.
    to_ballot = fr_or_en("Voter", "Cast your vote")
    tab_to(page, lambda f: f["tag"] == "a" and to_ballot.fullmatch(f["text"]) is not None, "the ballot button",
           limit=40)
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(site.url(f"/consultations/{cid}/vote"))

    # Row 1: Tab lands on its first grade; the arrows move along the row and choose (grade 5).
    tab_to(page, lambda f: f["id"] == f"grade-{first}-0", "the first row of the grid", limit=40)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#grade-{first}-5")).to_be_checked()
    assert page.evaluate(FOCUSED)["id"] == f"grade-{first}-5"
    # Row 2: Tab goes to the next row (not to the next grade); Space chooses the focused grade.
    assert tab(page)["id"] == f"grade-{second}-0"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(f"#grade-{second}-1")).to_be_checked()
    # Row 3 forgotten: Tab past it to the button and send the ballot.
    assert tab(page)["id"] == f"grade-{third}-0"
    submit = tab(page)
    assert submit["tag"] == "button", submit
    site.navigate(lambda: page.keyboard.press("Enter"))

    # The error: focus on the summary, its link leads to the row in error; the rest is kept.
    expect(page).to_have_title(fr_or_en("Erreur", "Error"))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_have_attribute("href", f"#grade-{third}-0")
    expect(page.locator(f"#grade-{first}-5")).to_be_checked()
    expect(page.locator(f"#grade-{second}-1")).to_be_checked()
    expect(page.locator(f"#grade-{third}")).to_have_accessible_description(re.compile(r"\w+"))
    assert tab(page)["href"] == f"#grade-{third}-0"
    page.keyboard.press("Enter")
    expect(page.locator(f"#grade-{third}-0")).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#grade-{third}-3")).to_be_checked()
    assert tab(page)["tag"] == "button"
    site.navigate(lambda: page.keyboard.press("Enter"))

    # The confirmation: the ballot in words; nothing stored yet.
    expect(page).to_have_url(site.url(f"/consultations/{cid}/vote"))
    rows = page.locator("table.ballot-summary tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(fr_or_en("Très bien", "Very good"))
    expect(rows.nth(1)).to_contain_text(fr_or_en("Insuffisant", "Insufficient"))
    expect(rows.nth(2)).to_contain_text(fr_or_en("Assez bien", "Fairly good"))
    with live_app.app_context():
        assert db.session.execute(select(Participation)).first() is None
    confirm = fr_or_en("Confirmer mon vote", "Confirm my vote")
    tab_to(page, lambda f: f["tag"] == "button" and confirm.fullmatch(f["text"]) is not None, "the confirm button")
    site.navigate(lambda: page.keyboard.press("Enter"))

    # The receipt: its code, the vote counted once, no link to the voter.
    expect(page).to_have_url(site.url(f"/consultations/{cid}/recu?vote=enregistre"))
    with live_app.app_context():
        participation = db.session.execute(select(Participation)).scalar_one()
        assert participation.user_id == resident.id
        ballot = db.session.execute(select(Ballot)).scalar_one()
        assert ballot.voter_id is None and ballot.updated_at is None
        marks = dict(db.session.execute(select(BallotMark.priority_id, BallotMark.value)).all())
    assert marks == {int(first): 5, int(second): 1, int(third): 3}
    expect(page.locator(".receipt-code")).to_have_text(participation.receipt)
    expect(page.get_by_role("status")).to_contain_text(fr_or_en("Merci, votre vote est enregistré.",
                                                                 "Thank you, your vote is recorded."))

    # The vote closes; the results are open to everyone.
    with live_app.app_context():
        db.session.execute(update(Consultation).where(Consultation.id == cid)
                           .values(vote_ends_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    site.goto(f"/consultations/{cid}")
    results = fr_or_en("Voir les résultats", "See the results")
    tab_to(page, lambda f: f["tag"] == "a" and results.fullmatch(f["text"]) is not None, "the results link",
           limit=40)
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(site.url(f"/consultations/{cid}/resultats"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)


def test_rank_with_the_move_buttons_and_share_points_with_the_keyboard(site, live_app):
    """ballot.js: "Move up" / "Move down" reorder the ranking and set the selects, the new position
    is announced; the points counter follows what is typed. On a 320px screen the grid still passes."""
    world = make_world(live_app)
    resident = make_user(live_app, home_territory_id=world.commune.id)
    ranking = make_consultation(live_app, territory_id=world.commune.id, method="borda", priorities=3)
    points = make_consultation(live_app, territory_id=world.commune.id, method="points", points_budget=10)
    grades = make_consultation(live_app, territory_id=world.commune.id, method="majority_judgment")
    a, b, c = priority_ids(live_app, ranking.id)
    page = site.page
    log_in(site, resident.email, PASSWORD)

    site.goto(f"/consultations/{ranking.id}/vote")
    down = fr_or_en("Descendre", "Move down")
    focused = tab_to(page, lambda f: f["tag"] == "button" and down.match(f["text"]) is not None,
                     "the first Move down button", limit=40)
    assert "Priorité 1" in focused["text"]  # the button names its priority
    page.keyboard.press("Enter")
    page.keyboard.press("Space")  # still focused on the same button, which moved with its item
    items = page.locator(".ranking-item")
    expect(items.nth(2)).to_have_attribute("data-title", "Priorité 1")
    expect(page.locator(f"#rank-{b}")).to_have_value("1")
    expect(page.locator(f"#rank-{c}")).to_have_value("2")
    expect(page.locator(f"#rank-{a}")).to_have_value("3")
    expect(page.locator("[data-ranking-status]")).to_contain_text("3")
    assert page.evaluate(FOCUSED)["tag"] == "button"
    site.check()
    check = page.get_by_role("button", name=fr_or_en("Vérifier mon bulletin", "Check my ballot"))
    site.navigate(lambda: check.press("Enter"))
    expect(page.locator("ol.ballot-summary li")).to_have_text(["Priorité 2", "Priorité 3", "Priorité 1"])
    # Going back shows the ballot as it was, the list in the ranking's order.
    change = fr_or_en("Revenir et modifier mon bulletin", "Go back and change my ballot")
    tab_to(page, lambda f: f["tag"] == "button" and change.fullmatch(f["text"]) is not None, "the change button")
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page.locator(f"#rank-{b}")).to_have_value("1")
    expect(page.locator(f"#rank-{a}")).to_have_value("3")
    expect(page.locator(".ranking-item").first).to_have_attribute("data-title", "Priorité 2")

    site.goto(f"/consultations/{points.id}/vote")
    p1, p2, _p3 = priority_ids(live_app, points.id)
    remaining = page.locator("[data-points-remaining]")
    expect(remaining).to_have_text("10")
    tab_to(page, lambda f: f["id"] == f"points-{p1}", "the first points field", limit=40)
    page.keyboard.type("6")
    expect(remaining).to_have_text("4")
    assert tab(page)["id"] == f"points-{p2}"
    page.keyboard.type("7")
    expect(remaining).to_have_text("-3")
    site.check()

    page.set_viewport_size({"width": 320, "height": 800})
    site.goto(f"/consultations/{grades.id}/vote")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
