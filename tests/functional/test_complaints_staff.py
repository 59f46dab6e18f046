"""The complaint file for the staff (issue 6, items 2 and 5): who may open it (a CDU member of
another establishment, a mediator not referred, a resident who is not the complainant: refused,
and each refusal logged; each successful read logged exactly once), the lifecycle forms from the
qualification to the reply, the CDU session page (agenda, recusal), the dashboard, and query
counts that stay constant as rows grow."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from civicsante.audit import AuditEntry
from civicsante.complaints.models import Complaint, Opinion, Recusal, Referral, Reply, SessionItem
from civicsante.extensions import db
from tests.conftest import client_for
from tests.support.complaints import category_id, make_cdu, make_complaint, make_referral
from tests.support.factories import make_user
from tests.support.mandates import make_meeting
from tests.support.queries import count_queries


PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def cdu(app, world):
    return make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)


def _audit(app, action, complaint_id, actor_id=None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == str(complaint_id))
        if actor_id is not None:
            query = query.where(AuditEntry.actor_id == actor_id)
        return db.session.execute(query).scalars().all()


def test_refused_readers_are_logged_and_each_read_is_logged_once(app, world, cdu):
    other = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    complainant = make_user(app)
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=complainant.id,
                               facts="Attente de six heures aux urgences.")
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id)
    url = f"/reclamations/{complaint.id}"
    for person in (other.ru, other.president, cdu.medical_mediator, make_user(app), complainant,
                   make_user(app, role="admin")):
        response = client_for(app, person).get(url)
        assert response.status_code == 403, person.pseudonym
        assert "six heures" not in response.get_data(as_text=True)
        assert len(_audit(app, "complaint.read_refused", complaint.id, person.id)) == 1, person.pseudonym
    for person in (cdu.officer, cdu.other_mediator, cdu.ru, cdu.president, cdu.suppleant):
        response = client_for(app, person).get(url)
        assert response.status_code == 200, person.pseudonym
        assert "six heures" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        reads = _audit(app, "complaint.read", complaint.id, person.id)
        assert len(reads) == 1, person.pseudonym
        assert "six heures" not in reads[0].detail
    assert client_for(app, cdu.officer).get("/reclamations/999999").status_code == 404


def test_the_staff_list_shows_only_what_each_may_open(app, world, cdu):
    other = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    here = make_complaint(app, establishment_id=world.hospital.id, status="meeting_due")
    referred = make_complaint(app, establishment_id=world.hospital.id)
    there = make_complaint(app, establishment_id=world.other_hospital.id)
    make_referral(app, complaint_id=referred.id, mediator_id=cdu.other_mediator.id)

    def listed(person, query=""):
        page = client_for(app, person).get("/reclamations/suivi" + query).get_data(as_text=True)
        return {c.id for c in (here, referred, there) if f'id="complaint-{c.id}"' in page}

    assert listed(cdu.officer) == {here.id, referred.id}
    assert listed(cdu.officer, "?statut=meeting_due") == {here.id}
    assert listed(cdu.other_mediator) == {referred.id}
    assert listed(cdu.medical_mediator) == set()
    assert listed(cdu.ru) == {here.id, referred.id}
    assert listed(other.officer) == {there.id}
    assert listed(make_user(app)) == set()
    links = f'/reclamations/etablissements/{world.hospital.id}/tableau-de-bord'
    assert links in client_for(app, cdu.officer).get("/reclamations/suivi").get_data(as_text=True)
    assert links in client_for(app, cdu.president).get("/reclamations/suivi").get_data(as_text=True)
    assert links not in client_for(app, cdu.ru).get("/reclamations/suivi").get_data(as_text=True)
    from civicsante.complaints.deadlines import paris_date
    from civicsante.types import utcnow

    year = paris_date(utcnow()).year
    page = client_for(app, cdu.officer).get("/reclamations/suivi").get_data(as_text=True)
    for shown in (year - 1, year):  # the report due to the ARS, and this year's being written
        assert f'/reclamations/etablissements/{world.hospital.id}/rapport/{shown}"' in page


def test_the_medical_part_is_read_by_the_office_and_audited_apart(app, world, cdu):
    from civicsante.complaints.models import MedicalPart

    complaint = make_complaint(app, establishment_id=world.hospital.id)
    with app.app_context():
        db.session.add(MedicalPart(complaint_id=complaint.id, details="Fracture du col du fémur."))
        db.session.commit()
    page = client_for(app, cdu.officer).get(f"/reclamations/{complaint.id}").get_data(as_text=True)
    assert "Fracture du col" in page
    medical = [e for e in _audit(app, "complaint.read", complaint.id, cdu.officer.id) if '"medical"' in e.detail]
    assert len(medical) == 1 and "Fracture" not in medical[0].detail
    page = client_for(app, cdu.ru).get(f"/reclamations/{complaint.id}").get_data(as_text=True)
    assert "Fracture du col" not in page and 'id="medical-withheld"' in page
    assert not [e for e in _audit(app, "complaint.read", complaint.id, cdu.ru.id) if '"medical"' in e.detail]


def _post(client, url, data):
    return client.post(url, data=data)


def test_the_whole_lifecycle_through_the_forms(app, world, cdu):
    complainant = make_user(app)
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=complainant.id,
                               received_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=10))
    officer = client_for(app, cdu.officer)
    base = f"/reclamations/{complaint.id}"

    # An error comes back next to its field, with what was typed kept.
    response = _post(officer, f"{base}/qualifier", {"qualify-nature": "mixte", "qualify-category_id": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="qualify-category_id-error"' in page and 'selected value="mixte"' in page
    assert _post(officer, f"{base}/qualifier", {"qualify-nature": "non_medicale",
                                                "qualify-category_id": category_id(app)}).status_code == 303
    refused = _post(officer, f"{base}/saisine-mediateur", {"refer_to_mediator-medical_mediator": cdu.medical_mediator.id})
    assert refused.status_code == 422
    assert _post(officer, f"{base}/saisine-mediateur",
                 {"refer_to_mediator-non_medical_mediator": cdu.other_mediator.id}).status_code == 303
    with app.app_context():
        referral_id = db.session.execute(select(Referral.id).where(Referral.complaint_id == complaint.id)).scalar_one()

    # The referred mediator records the mediation's steps (the office may, on their behalf);
    # the establishment's other mediator, not referred, is refused and the refusal logged.
    mediation = f"{base}/mediations/{referral_id}"
    assert _post(client_for(app, cdu.medical_mediator), f"{mediation}/rencontre", {}).status_code == 403
    assert len(_audit(app, "complaint.read_refused", complaint.id, cdu.medical_mediator.id)) == 1
    assert _post(officer, f"{mediation}/rencontre", {}).status_code == 422  # allowed, but the form is empty
    mediator = client_for(app, cdu.other_mediator)
    with app.app_context():  # referred an hour ago, so that a meeting typed to the minute comes after
        db.session.get(Referral, referral_id).referred_at = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
    held = (datetime.now(PARIS) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    prefix = f"record_meeting-{referral_id}"
    assert _post(mediator, f"{mediation}/rencontre", {f"{prefix}-outcome": "met", f"{prefix}-held_at": held,
                                                      f"{prefix}-note": "Personne très émue."}).status_code == 303
    assert _post(mediator, f"{mediation}/rapport",
                 {f"submit_report-{referral_id}-text": "Rapport de médiation."}).status_code == 303
    president = client_for(app, cdu.president)
    assert _post(president, f"{base}/transmission-rapport", {}).status_code == 303
    now = datetime.now(UTC).replace(microsecond=0)
    session = make_meeting(app, instance_id=cdu.instance_id, starts_at=now - timedelta(hours=1), hours=3)
    assert _post(officer, f"{base}/ordre-du-jour", {"put_on_agenda-meeting": session.id}).status_code == 303
    assert _post(president, f"{base}/avis", {"record_opinion-meeting": session.id, "record_opinion-kind": "recommandations",
                                             "record_opinion-text": "Avis de la CDU.",
                                             "record_opinion-recommendations": "Former l'accueil\nAfficher les délais"}
                 ).status_code == 303
    assert _post(officer, f"{base}/reponse", {"send_reply-text": "Réponse du directeur."}).status_code == 303
    with app.app_context():
        done = db.session.get(Complaint, complaint.id)
        assert done.status == "closed"
        assert db.session.execute(select(func.count()).select_from(Reply)).scalar_one() == 1
        assert db.session.execute(select(Opinion.kind)).scalar_one() == "recommandations"
    page = officer.get(base).get_data(as_text=True)
    assert "Personne très émue." in page  # the internal note, for the staff
    assert 'id="actions-title"' not in page  # closed: nothing left to do
    own = client_for(app, complainant).get(f"/reclamations/mes-reclamations/{complaint.id}").get_data(as_text=True)
    assert "Personne très émue." not in own


def test_out_of_scope_and_cdsp_forms(app, world, cdu):
    first = make_complaint(app, establishment_id=world.hospital.id, status="received")
    second = make_complaint(app, establishment_id=world.hospital.id)
    officer = client_for(app, cdu.officer)
    assert 'id="submit-acknowledge"' in officer.get(f"/reclamations/{first.id}").get_data(as_text=True)
    assert _post(officer, f"/reclamations/{first.id}/accuser-reception", {}).status_code == 303
    with app.app_context():
        assert db.session.get(Complaint, first.id).status == "acknowledged"
    assert _post(officer, f"/reclamations/{first.id}/accuser-reception", {}).status_code == 422  # only once
    assert _post(officer, f"/reclamations/{first.id}/hors-champ",
                 {"mark_out_of_scope-kind": "recours_gracieux", "mark_out_of_scope-note": "Tribunal administratif."}
                 ).status_code == 303
    assert _post(officer, f"/reclamations/{second.id}/cdsp", {"delegate_to_cdsp-note": "Soins sans consentement."}
                 ).status_code == 303
    assert _post(client_for(app, cdu.ru), f"/reclamations/{first.id}/reponse", {}).status_code == 403
    with app.app_context():
        assert db.session.get(Complaint, first.id).status == "out_of_scope"
        assert db.session.get(Complaint, second.id).status == "delegated_cdsp"


def test_the_session_page_adds_a_complaint_and_records_a_recusal(app, world, cdu):
    waiting = make_complaint(app, establishment_id=world.hospital.id, status="report_forwarded")
    session = make_meeting(app, instance_id=cdu.instance_id)
    officer = client_for(app, cdu.officer)
    listing = officer.get(f"/reclamations/etablissements/{world.hospital.id}/seances")
    assert listing.status_code == 200 and f'id="session-{session.id}"' in listing.get_data(as_text=True)
    page = officer.get(f"/reclamations/seances/{session.id}").get_data(as_text=True)
    assert waiting.reference in page
    assert officer.post(f"/reclamations/seances/{session.id}/ordre-du-jour",
                        data={"complaint_id": waiting.id}).status_code == 303
    with app.app_context():
        item_id = db.session.execute(select(SessionItem.id)).scalar_one()
    assert officer.post(f"/reclamations/seances/{session.id}/recusations",
                        data={"item_id": item_id, "mandate_id": ""}).status_code == 422
    assert officer.post(f"/reclamations/seances/{session.id}/recusations",
                        data={"item_id": item_id, "mandate_id": cdu.mandate_ids["ru"], "reason": "Voisin"}
                        ).status_code == 303
    with app.app_context():
        assert db.session.execute(select(Recusal.substitute_mandate_id)).scalar_one() == cdu.mandate_ids["suppleant"]
    page = officer.get(f"/reclamations/seances/{session.id}").get_data(as_text=True)
    assert f'data-substitute="{cdu.mandate_ids["suppleant"]}"' in page
    assert client_for(app, cdu.ru).get(f"/reclamations/seances/{session.id}").status_code == 403
    assert client_for(app, cdu.president).get(f"/reclamations/seances/{session.id}").status_code == 200


def test_scheduling_a_session_from_the_complaints_side(app, world, cdu):
    officer = client_for(app, cdu.officer)
    day = date.today() + timedelta(days=30)
    response = officer.post(f"/reclamations/etablissements/{world.hospital.id}/seances", data={
        "title": "Séance trimestrielle", "starts_at": f"{day.isoformat()}T14:00", "ends_at": f"{day.isoformat()}T16:00",
        "place": "Salle du conseil"})
    assert response.status_code == 303
    assert "Séance trimestrielle" in officer.get(response.headers["Location"]).get_data(as_text=True)


def test_dashboard_lists_by_urgency_for_the_office_and_the_president_only(app, world, cdu):
    from civicsante.mandates.vacancies import paris_today

    today = paris_today()
    late = make_complaint(app, establishment_id=world.hospital.id, status="meeting_due",
                          due_on=today - timedelta(days=4), due_step="meeting")
    soon = make_complaint(app, establishment_id=world.hospital.id, status="report_due",
                          due_on=today + timedelta(days=2), due_step="report")
    url = f"/reclamations/etablissements/{world.hospital.id}/tableau-de-bord"
    page = client_for(app, cdu.officer).get(url).get_data(as_text=True)
    assert page.index(f'id="due-{late.id}"') < page.index(f'id="due-{soon.id}"')
    assert f'id="due-{late.id}" data-days-overdue="4"' in page
    assert client_for(app, cdu.president).get(url).status_code == 200
    for person in (cdu.ru, cdu.other_mediator, make_user(app, role="complaints_officer",
                                                         establishment_id=world.other_hospital.id)):
        assert client_for(app, person).get(url).status_code == 403


def _queries(app, client, url) -> int:
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_query_counts_stay_constant_as_rows_grow(app, world, cdu):
    from civicsante.mandates.vacancies import paris_today

    complaint = make_complaint(app, establishment_id=world.hospital.id, status="meeting_due",
                               due_on=paris_today(), due_step="meeting")
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id)
    from civicsante.complaints.models import ComplaintEvent

    def add_events(number):
        with app.app_context():
            for n in range(number):
                db.session.add(ComplaintEvent(complaint_id=complaint.id, action="factory", public_note=f"Étape {n}",
                                              by_id=make_user(app).id))
            db.session.commit()

    add_events(1)  # an author from the start: their roles are loaded in one query, whatever their number
    officer = client_for(app, cdu.officer)
    file_url = f"/reclamations/{complaint.id}"
    board_url = f"/reclamations/etablissements/{world.hospital.id}/tableau-de-bord"
    before = (_queries(app, officer, file_url), _queries(app, officer, board_url),
              _queries(app, officer, "/reclamations/suivi"))
    add_events(6)
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.medical_mediator.id, kind="medecin")
    for n in range(6):
        make_complaint(app, establishment_id=world.hospital.id, status="meeting_due",
                       due_on=paris_today() + timedelta(days=n % 3), due_step="meeting")
    after = (_queries(app, officer, file_url), _queries(app, officer, board_url),
             _queries(app, officer, "/reclamations/suivi"))
    assert after == before
