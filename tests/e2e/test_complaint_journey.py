"""A complaint from filing to reply, as each person sees it: a resident files it online and
reads their timeline; the complaints office qualifies it and refers it to the non-medical
mediator; the mediator records the meeting and the report; the CDU president forwards the report,
puts it on the agenda of the session under way, records a member's recusal (their suppléant
invited) and records the CDU's opinion; the office sends
the reply; the resident sees their complaint closed, the reply in the timeline. axe on every page
visited; the mediator's internal note never reaches the resident."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.complaints.models import Complaint, Referral
from civicsante.extensions import db
from tests.e2e.conftest import log_in
from tests.support.complaints import category_id, make_cdu
from tests.support.factories import PASSWORD, make_user, make_world
from tests.support.mandates import make_meeting

FACTS = "Attente de six heures aux urgences sans aucune information pour la famille."


def _as(site, user) -> None:
    site.page.context.clear_cookies()
    log_in(site, user.email, PASSWORD)


def _submit(site, prefix: str) -> None:
    site.navigate(lambda: site.page.locator(f"#submit-{prefix}").click())
    expect(site.page.locator(".error-summary")).to_have_count(0)


def test_a_complaint_from_filing_to_the_reply(site, live_app, tmp_path):
    live_app.config["ATTACHMENTS_DIR"] = str(tmp_path)
    world = make_world(live_app)
    cdu = make_cdu(live_app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    resident = make_user(live_app, home_territory_id=world.commune.id)
    now = datetime.now(UTC).replace(microsecond=0)
    session = make_meeting(live_app, instance_id=cdu.instance_id, title="Séance de la CDU",
                           starts_at=now - timedelta(minutes=30), hours=3)
    page = site.page

    # The resident files the complaint.
    log_in(site, resident.email, PASSWORD)
    site.goto("/reclamations/nouvelle")
    page.locator("#establishment_id").select_option(str(world.hospital.id))
    page.locator("#facts").fill(FACTS)
    page.locator("#occurred_on").fill((now - timedelta(days=3)).date().isoformat())
    site.navigate(lambda: page.locator("main form button[type=submit]").last.click())
    with live_app.app_context():
        complaint = db.session.execute(select(Complaint)).scalar_one()
        complaint_id, reference = complaint.id, complaint.reference
    expect(page.locator("main")).to_contain_text(reference)
    file_url = f"/reclamations/{complaint_id}"

    # The office qualifies it and refers it to the non-medical mediator.
    _as(site, cdu.officer)
    site.goto("/reclamations/suivi")
    site.navigate(lambda: page.locator(f"#complaint-{complaint_id} a").click())
    expect(page.locator("#complaint-text")).to_have_text(FACTS)
    page.locator("#qualify-nature").select_option("non_medicale")
    page.locator("#qualify-category_id").select_option(str(category_id(live_app, "delais")))
    _submit(site, "qualify")
    page.locator("#refer_to_mediator-non_medical_mediator").select_option(str(cdu.other_mediator.id))
    _submit(site, "refer_to_mediator")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "referred")
    with live_app.app_context():  # referred an hour ago: the meeting, typed to the minute, comes after
        referral = db.session.execute(select(Referral)).scalar_one()
        referral.referred_at = now - timedelta(hours=1)
        db.session.commit()
        referral_id = referral.id

    # The mediator records the meeting and the report.
    _as(site, cdu.other_mediator)
    site.goto(file_url)
    prefix = f"record_meeting-{referral_id}"
    page.locator(f"#{prefix}-outcome").select_option("met")
    page.locator(f"#{prefix}-held_at").fill((datetime.now(ZoneInfo("Europe/Paris")) - timedelta(minutes=5))
                                            .strftime("%Y-%m-%dT%H:%M"))
    page.locator(f"#{prefix}-note").fill("Rencontre apaisée.")
    _submit(site, prefix)
    page.locator(f"#submit_report-{referral_id}-text").fill("La famille attend des excuses et un affichage des délais.")
    _submit(site, f"submit_report-{referral_id}")
    expect(page.locator(f"#referral-{referral_id}")).to_have_attribute("data-reported", "yes")

    # The CDU president forwards the report, puts it on the session's agenda, records the opinion.
    _as(site, cdu.president)
    site.goto(file_url)
    _submit(site, "forward_report")
    page.locator("#put_on_agenda-meeting").select_option(str(session.id))
    _submit(site, "put_on_agenda")
    # A member concerned by the complaint does not sit on it: their suppléant is invited (R1112-87).
    site.goto(f"/reclamations/etablissements/{world.hospital.id}/seances")
    site.navigate(lambda: page.locator(f"#session-{session.id} a").click())
    page.locator("#item_id").select_option(index=1)
    page.locator("#mandate_id").select_option(str(cdu.mandate_ids["ru"]))
    site.navigate(lambda: page.locator("#recusal-form button[type=submit]").click())
    expect(page.locator(f'.recusal[data-mandate="{cdu.mandate_ids["ru"]}"]')).to_have_attribute(
        "data-substitute", str(cdu.mandate_ids["suppleant"]))
    site.goto(file_url)
    page.locator("#record_opinion-kind").select_option("recommandations")
    page.locator("#record_opinion-text").fill("La CDU recommande d'informer les familles toutes les heures.")
    page.locator("#record_opinion-recommendations").fill("Informer les familles toutes les heures")
    _submit(site, "record_opinion")
    expect(page.locator("#opinion")).to_have_attribute("data-kind", "recommandations")

    # The office sends the reply.
    _as(site, cdu.officer)
    site.goto(file_url)
    page.locator("#send_reply-text").fill("Nous vous présentons nos excuses ; l'affichage des délais est prévu.")
    _submit(site, "send_reply")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "closed")
    site.goto(f"/reclamations/etablissements/{world.hospital.id}/tableau-de-bord")
    expect(page.locator('#status-counts tr[data-status="closed"]')).to_have_attribute("data-count", "1")

    # The resident reads the timeline: closed, the reply sent.
    _as(site, resident)
    site.goto(f"/reclamations/mes-reclamations/{complaint_id}")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "closed")
    steps = page.locator("#complaint-timeline li")
    assert steps.count() >= 8
    expect(page.locator("main")).not_to_contain_text("Rencontre apaisée.")  # the mediator's internal note
