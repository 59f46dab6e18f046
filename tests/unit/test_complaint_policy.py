"""Who reads a complaint (L1112-3): the office, a mediator it was referred to, the CDU members of
that establishment; nobody else — not a CDU member elsewhere, not a mediator not referred, not a
resident who is not the complainant, not an admin. Medical details need the patient's consent."""
from __future__ import annotations

from datetime import date

from civicsante.complaints import policy
from civicsante.complaints.models import Complaint, MedicalPart
from civicsante.extensions import db
from civicsante.accounts.models import User
from tests.support.complaints import make_cdu, make_complaint, make_referral
from tests.support.factories import make_user


def _can(app, user, complaint_id, check=policy.can_view_complaint) -> bool:
    with app.app_context():
        return check(db.session.get(User, user.id), db.session.get(Complaint, complaint_id))


def test_only_the_office_the_referred_mediator_and_cdu_members_read_a_complaint(app, world):
    here = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    there = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    complainant = make_user(app)
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=complainant.id)
    make_referral(app, complaint_id=complaint.id, mediator_id=here.other_mediator.id)

    for allowed in (here.officer, here.other_mediator, here.president, here.ru, here.suppleant):
        assert _can(app, allowed, complaint.id), allowed.pseudonym
    refused = [here.medical_mediator,  # a mediator of the establishment, not referred
               there.officer, there.ru, there.president,  # the CDU of another establishment
               complainant,  # reads their own timeline, not the internal file
               make_user(app), make_user(app, role="admin")]
    for person in refused:
        assert not _can(app, person, complaint.id), person.pseudonym
    assert _can(app, complainant, complaint.id, policy.can_view_own_complaint)
    assert not _can(app, make_user(app), complaint.id, policy.can_view_own_complaint)


def test_medical_details_reach_cdu_members_only_with_the_patients_consent(app, world):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    complaint = make_complaint(app, establishment_id=world.hospital.id)
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.medical_mediator.id, kind="medecin")
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id, kind="non_medecin")
    with app.app_context():
        db.session.add(MedicalPart(complaint_id=complaint.id, details="Détails médicaux."))
        db.session.commit()

    def can(user) -> bool:
        with app.app_context():
            c = db.session.get(Complaint, complaint.id)
            return policy.can_view_medical_part(db.session.get(User, user.id), c,
                                                db.session.get(MedicalPart, complaint.id))

    assert can(cdu.officer) and can(cdu.medical_mediator)
    assert not can(cdu.other_mediator) and not can(cdu.ru) and not can(cdu.president)
    with app.app_context():
        part = db.session.get(MedicalPart, complaint.id)
        part.consent_signed_by, part.consent_signed_on, part.consent_scope = (
            "La patiente", date(2026, 11, 2), "Examen de la réclamation par la CDU")
        db.session.commit()
    assert can(cdu.ru) and can(cdu.president)
    assert not can(make_user(app, role="admin"))


def test_cdu_president_and_office_run_sessions_and_dashboard(app, world):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    with app.app_context():
        for user, expected in ((cdu.officer, True), (cdu.president, True), (cdu.ru, False),
                               (cdu.medical_mediator, False)):
            person = db.session.get(User, user.id)
            assert policy.can_view_dashboard(person, world.hospital.id) is expected
            assert policy.can_manage_sessions(person, world.hospital.id) is expected
            assert not policy.can_view_dashboard(person, world.other_hospital.id)


def test_the_cdu_president_and_office_convene_the_cdu_but_not_its_members(app, world):
    from civicsante.mandates import policy as mandates_policy
    from civicsante.mandates.models import Instance

    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    other = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    with app.app_context():
        instance = db.session.get(Instance, cdu.instance_id)
        for user, expected in ((cdu.president, True), (cdu.officer, True), (cdu.ru, False),
                               (other.president, False), (other.officer, False)):
            assert mandates_policy.can_manage_meetings(db.session.get(User, user.id), instance) is expected
