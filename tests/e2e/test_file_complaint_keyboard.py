"""Filing a complaint with the keyboard only: from the complaints page to the form, the selects,
the date and the texts typed, a refusal first (what happened is too short: the focus lands on the
error summary, whose link leads to the field), then the acknowledgement with its reference, and
later the complainant's timeline. axe on every page."""
from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.complaints import intake
from civicsante.complaints.models import Complaint
from civicsante.extensions import db
from tests.e2e.conftest import FOCUSED, fr_or_en, log_in, tab, tab_to
from tests.support.factories import PASSWORD, make_user, make_world

TOO_SHORT = "Attente trop longue"  # 19 characters: refused (20 at least)
FACTS = "Attente de six heures aux urgences sans aucune information pour la famille."
SERVICE = "Urgences"


def _is(field_id):
    return lambda focused: focused["id"] == field_id


def _day_equal_to_month() -> date:
    """A past date whose day and month are the same number (the 11th of November...): typed digit
    by digit, it reads the same whichever order the browser shows the day and the month in."""
    day = intake.paris_today() - timedelta(days=1)
    while day.day != day.month:
        day -= timedelta(days=1)
    return day


DATE_FIELDS = ("occurred_on", "discharge_expected_on")


def _tab_to_send(page) -> None:
    """Tab on to the send button. Inside a date field, the calendar button takes a Tab stop of its
    own whose focus ring the browser draws itself (the page's styles cannot report it): the
    visible-focus check is made on every other stop."""
    for _ in range(25):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["id"] not in DATE_FIELDS:
            assert focused["visible"], f"the focus is not visible on {focused}"
        if focused["tag"] == "button":
            return
    raise AssertionError("the send button not reached in 25 presses of Tab")


def test_file_a_complaint_with_the_keyboard_only(site, live_app, tmp_path):
    live_app.config["ATTACHMENTS_DIR"] = str(tmp_path)
    world = make_world(live_app)
    resident = make_user(live_app, home_territory_id=world.commune.id)
    page = site.page
    log_in(site, resident.email, PASSWORD)

    site.goto("/reclamations")
    file_link = fr_or_en("Déposer une réclamation", "File a complaint")
    tab_to(page, lambda f: f["tag"] == "a" and bool(file_link.fullmatch(f["text"])), "the link to file a complaint")
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(site.url("/reclamations/nouvelle"))

    assert tab(page)["href"] == "#contenu"
    page.keyboard.press("Enter")
    tab_to(page, _is("establishment_id"), "the establishment")
    page.keyboard.press("ArrowDown")  # the first establishment by name: CH de Belrive
    expect(page.locator("#establishment_id")).to_have_value(str(world.hospital.id))
    assert tab(page)["id"] == "relation"
    page.keyboard.press("ArrowDown")  # "a relative"
    expect(page.locator("#relation")).to_have_value("proche")
    assert tab(page)["id"] == "facts"
    page.keyboard.type(TOO_SHORT)
    assert tab(page)["id"] == "occurred_on"
    day = _day_equal_to_month()
    page.keyboard.type(day.strftime("%d%m%Y"))
    expect(page.locator("#occurred_on")).to_have_value(day.isoformat())
    page.keyboard.press("Tab")  # the date field's calendar button (see _tab_to_send)
    assert tab(page)["id"] == "service_concerned"
    page.keyboard.type(SERVICE)
    _tab_to_send(page)
    site.navigate(lambda: page.keyboard.press("Enter"))

    # Refused: the summary has the focus and leads to the field, with everything typed kept.
    expect(page).to_have_title(fr_or_en("Erreur", "Error"))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    assert tab(page)["href"] == "#facts"
    page.keyboard.press("Enter")
    facts = page.locator("#facts")
    expect(facts).to_be_focused()
    expect(facts).to_have_attribute("aria-invalid", "true")
    expect(facts).to_have_value(TOO_SHORT)
    expect(page.locator("#service_concerned")).to_have_value(SERVICE)
    expect(page.locator("#establishment_id")).to_have_value(str(world.hospital.id))
    expect(page.locator("#occurred_on")).to_have_value(day.isoformat())
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(FACTS)
    _tab_to_send(page)
    site.navigate(lambda: page.keyboard.press("Enter"))

    with live_app.app_context():
        complaint = db.session.execute(select(Complaint)).scalar_one()
        assert (complaint.complainant_id, complaint.establishment_id, complaint.facts, complaint.relation,
                complaint.occurred_on, complaint.service_concerned) == (
            resident.id, world.hospital.id, FACTS, "proche", day, SERVICE)
    expect(page).to_have_url(site.url(f"/reclamations/mes-reclamations/{complaint.id}/accuse-reception"))
    expect(page.locator("#complaint-reference")).to_have_text(complaint.reference)
    expect(page.locator("#next-step")).to_have_attribute("data-due-on", complaint.due_on.isoformat())

    # Later: the timeline, from the acknowledgement's link.
    tab_to(page, _is("open-timeline"), "the link to follow the complaint", limit=40)
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(site.url(f"/reclamations/mes-reclamations/{complaint.id}"))
    expect(page.locator("#complaint-timeline li")).to_have_count(1)
    expect(page.locator("#complaint-timeline li").first).to_contain_text(complaint.reference)
