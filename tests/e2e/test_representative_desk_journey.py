"""A user representative logs in, sees on their desk a mandate ending soon, logs the hours of a
meeting they attended, and opens the printable attestation of presence. axe on every page."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import expect

from civicsante.extensions import db
from civicsante.mandates.desk import paris_today
from civicsante.mandates.models import Attendance
from tests.e2e.conftest import fr_or_en, log_in, main_menu
from tests.support.factories import PASSWORD, make_user, make_world
from tests.support.mandates import make_instance, make_mandate, make_meeting, seat_ids


def test_representative_logs_hours_for_a_meeting_and_opens_the_attestation(site, live_app):
    world = make_world(live_app)
    rep = make_user(live_app, pseudonym="Odile Martin", email="odile@example.org")
    cdu = make_instance(live_app, territory_id=world.commune.id, establishment_id=world.hospital.id,
                        name="CDU du CH de Belrive")
    today = paris_today()
    mandate = make_mandate(live_app, seat_id=seat_ids(live_app, cdu.id)[0], user_id=rep.id,
                           starts_on=today - timedelta(days=1050), ends_on=today + timedelta(days=45))
    past = make_meeting(live_app, instance_id=cdu.id, title="Séance de printemps", place="Salle Pasteur",
                        starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=6))
    make_meeting(live_app, instance_id=cdu.id, title="Séance d'été",
                 starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=20))
    with live_app.app_context():
        db.session.add(Attendance(meeting_id=past.id, mandate_id=mandate.id, status="present"))
        db.session.commit()
    page = site.page

    log_in(site, "odile@example.org", PASSWORD)
    site.navigate(lambda: main_menu(page).get_by_role("link", name=fr_or_en(
        "Mon bureau de représentant", "My representative's desk")).click())
    card = page.locator(f"#mandate-{mandate.id}")
    expect(card).to_have_attribute("data-ends-soon", "yes")
    expect(card).to_have_attribute("data-days-remaining", "45")
    expect(card.locator(".ends-soon")).to_be_visible()
    expect(page.locator("#meetings-title + ul")).to_contain_text("Séance d'été")

    site.navigate(lambda: card.locator(f'a[href="/mon-bureau/mandats/{mandate.id}/heures"]').click())
    page.locator("#worked_on").fill(past.starts_at.date().isoformat())
    page.locator("#minutes").fill("150")
    page.locator("#meeting_id").select_option(str(past.id))
    page.locator("#description").fill("Séance et préparation")
    site.navigate(lambda: page.locator("#hours-form button[type=submit]").click())
    row = page.locator("#hours-list tbody tr").first
    expect(row).to_have_attribute("data-minutes", "150")
    expect(row).to_contain_text("Séance de printemps")

    site.navigate(lambda: row.locator(".attestation-link").click())
    expect(page).to_have_url(site.url(f"/reunions/{past.id}/attestation"))
    expect(page.locator("#attestation-name")).to_have_text("Odile Martin")
    expect(page.locator("#attestation-instance")).to_have_text("CDU du CH de Belrive")
    expect(page.locator("#attestation-place")).to_have_text("Salle Pasteur")
    # Printed, only the attestation remains (the page's own print style, no script needed).
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#attestation")).to_be_visible()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")

    # The desk's other pages, as the representative sees them.
    page.emulate_media(media="screen")
    for path in ("/mon-bureau/conges", "/mon-bureau/formations", f"/reunions/{past.id}"):
        site.goto(path)
    expect(page.locator("#leave-form, #training-form, #agenda-title").first).to_be_visible()


def test_complaints_office_schedules_a_cdu_meeting_and_records_attendance(site, live_app):
    world = make_world(live_app)
    officer = make_user(live_app, email="bureau@example.org", role="complaints_officer",
                        establishment_id=world.hospital.id)
    cdu = make_instance(live_app, territory_id=world.commune.id, establishment_id=world.hospital.id,
                        name="CDU du CH de Belrive")
    member = make_user(live_app, pseudonym="Jeanne RU")
    mandate = make_mandate(live_app, seat_id=seat_ids(live_app, cdu.id)[0], user_id=member.id)
    page = site.page
    log_in(site, "bureau@example.org", PASSWORD)
    site.goto(f"/instances/{cdu.id}/reunions")
    day = date.today() + timedelta(days=5)
    page.locator("#title").fill("Séance ordinaire")
    page.locator("#starts_at").fill(f"{day.isoformat()}T14:00")
    page.locator("#ends_at").fill(f"{day.isoformat()}T13:00")
    page.locator("#place").fill("Salle Pasteur")
    site.navigate(lambda: page.locator("#meeting-form button[type=submit]").click())
    expect(page.locator("#ends_at-error")).to_be_visible()
    expect(page.locator("#place")).to_have_value("Salle Pasteur")
    page.locator("#ends_at").fill(f"{day.isoformat()}T16:00")
    site.navigate(lambda: page.locator("#meeting-form button[type=submit]").click())
    # The agenda is not sent and the meeting is in 5 days: a CDU's 8 days can no longer be met.
    expect(page.locator(".flash--warning")).to_be_visible()
    site.navigate(lambda: page.locator("#meetings-list a").first.click())
    expect(page.locator("#agenda-warning")).to_be_visible()
    page.locator("#mandate_id").select_option(str(mandate.id))
    page.locator("#status").select_option("excuse")
    site.navigate(lambda: page.locator("#attendance-form button[type=submit]").click())
    expect(page.locator(f"#member-{mandate.id}")).to_have_attribute("data-status", "excuse")
