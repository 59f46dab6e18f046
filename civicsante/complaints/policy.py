"""Who may read and act on a complaint (L1112-3: professional secrecy; R1112-92 to R1112-94).
Every function refuses by default. Only three kinds of people read a complaint file: the
establishment's complaints office, the mediators it was referred to, and the members of that
establishment's CDU (sitting mandates). The complainant reads their own file as a timeline.
Admins do not read complaints: managing the platform gives no right to health data.
"""
from __future__ import annotations

from sqlalchemy import select

from civicsante.accounts.models import COMPLAINTS_OFFICER, MEDIATOR
from civicsante.complaints.models import MEDICAL_MEDIATOR, TERMINAL_STATUSES, Complaint, Referral
from civicsante.extensions import db
from civicsante.mandates.models import (
    ACTIVE,
    CDU,
    MEDIATEUR_MEDECIN,
    MEDIATEUR_NON_MEDECIN,
    Instance,
    InstanceType,
    Mandate,
    Seat,
)

# The mediators sit in the CDU, but read only the complaints referred to them (issue 6: "a
# mediator not referred is refused"); their seats do not make them readers of every file.
MEDIATOR_SEATS = (MEDIATEUR_MEDECIN, MEDIATEUR_NON_MEDECIN)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def cdu_instance_id(establishment_id: int) -> int | None:
    """The id of the establishment's CDU, if it has one."""
    return db.session.execute(
        select(Instance.id).join(InstanceType, InstanceType.id == Instance.type_id)
        .where(Instance.establishment_id == establishment_id, InstanceType.code == CDU)
        .order_by(Instance.id).limit(1)).scalar()


def cdu_mandates(user, establishment_id: int) -> list[Mandate]:
    """The user's active mandates in the establishment's CDU, mediator seats excepted (one query)."""
    if not _active(user):
        return []
    return list(db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id).join(Instance, Instance.id == Seat.instance_id)
        .join(InstanceType, InstanceType.id == Instance.type_id)
        .where(Mandate.user_id == user.id, Mandate.status == ACTIVE,
               Instance.establishment_id == establishment_id, InstanceType.code == CDU,
               Seat.kind.not_in(MEDIATOR_SEATS))).scalars())


def is_officer(user, establishment_id: int) -> bool:
    return _active(user) and user.has_role(COMPLAINTS_OFFICER, establishment_id=establishment_id)


def is_cdu_member(user, establishment_id: int) -> bool:
    return bool(cdu_mandates(user, establishment_id))


def is_cdu_president(user, establishment_id: int) -> bool:
    return any(m.is_president for m in cdu_mandates(user, establishment_id))


def referral_for(user, complaint: Complaint) -> Referral | None:
    """The referral of ``complaint`` to ``user`` as a mediator of its establishment, if any."""
    if not _active(user) or not user.has_role(MEDIATOR, establishment_id=complaint.establishment_id):
        return None
    return db.session.execute(select(Referral).where(Referral.complaint_id == complaint.id,
                                                     Referral.mediator_id == user.id)).scalar_one_or_none()


def can_view_complaint(user, complaint: Complaint) -> bool:
    """The complaints office, a mediator it was referred to, a CDU member of the establishment."""
    return (is_officer(user, complaint.establishment_id) or referral_for(user, complaint) is not None
            or is_cdu_member(user, complaint.establishment_id))


def can_view_medical_part(user, complaint: Complaint, medical_part) -> bool:
    """The office and the medical mediator it was referred to; CDU members only once the patient's
    prior written consent is recorded (L1112-3)."""
    if is_officer(user, complaint.establishment_id):
        return True
    referral = referral_for(user, complaint)
    if referral is not None and referral.kind == MEDICAL_MEDIATOR:
        return True
    return (medical_part is not None and medical_part.has_consent
            and is_cdu_member(user, complaint.establishment_id))


def can_view_own_complaint(user, complaint: Complaint) -> bool:
    """The resident who filed it reads its timeline (not the internal notes)."""
    return _active(user) and complaint.complainant_id is not None and complaint.complainant_id == user.id


def can_file_complaint(user) -> bool:
    return _active(user)


def can_register_complaint(user, establishment_id: int) -> bool:
    """Complaints received by letter, e-mail, phone or in person: the establishment's office."""
    return is_officer(user, establishment_id)


def can_manage_complaint(user, complaint: Complaint) -> bool:
    """Acknowledge, qualify, refer, answer, reply, mark out of scope: the office (on behalf of the
    legal representative)."""
    return is_officer(user, complaint.establishment_id) and complaint.status not in TERMINAL_STATUSES


def can_act_as_mediator(user, referral: Referral) -> bool:
    """Plan and record the meeting, write the report: the mediator it was referred to; the
    complaints office may record them on the mediator's behalf (DESIGN §2: it "records meetings,
    reports"), e.g. from a report received on paper."""
    if is_officer(user, referral.complaint.establishment_id):
        return True
    return _active(user) and referral.mediator_id == user.id and user.has_role(
        MEDIATOR, establishment_id=referral.complaint.establishment_id)


def can_forward_report(user, complaint: Complaint) -> bool:
    """The CDU president forwards the report (R1112-94); the office may do it on their behalf."""
    return is_cdu_president(user, complaint.establishment_id) or is_officer(user, complaint.establishment_id)


def can_record_opinion(user, complaint: Complaint) -> bool:
    """The CDU's opinion is recorded by its president (or the office, taking the minutes)."""
    return is_cdu_president(user, complaint.establishment_id) or is_officer(user, complaint.establishment_id)


def can_manage_sessions(user, establishment_id: int) -> bool:
    """CDU sessions and their agenda: the office and the CDU president."""
    return is_officer(user, establishment_id) or is_cdu_president(user, establishment_id)


def can_view_dashboard(user, establishment_id: int) -> bool:
    """The deadlines dashboard: the office and the CDU president."""
    return is_officer(user, establishment_id) or is_cdu_president(user, establishment_id)


def can_view_annual_report(user, establishment_id: int) -> bool:
    """The annual report holds no personal data; the office and the CDU's members prepare it."""
    return is_officer(user, establishment_id) or is_cdu_member(user, establishment_id)


def can_edit_annual_report(user, establishment_id: int) -> bool:
    return is_officer(user, establishment_id) or is_cdu_president(user, establishment_id)


# Helper A (issue 6, lifecycle) -----------------------------------------------------------------

def cdu_member_ids(establishment_id: int) -> list[int]:
    """The user ids of the holders of active mandates in the establishment's CDU, mediator seats
    excepted (the same people ``is_cdu_member`` lets read): those the mediator's report is
    forwarded to (R1112-94). One query."""
    return list(db.session.execute(
        select(Mandate.user_id).join(Seat, Seat.id == Mandate.seat_id)
        .join(Instance, Instance.id == Seat.instance_id)
        .join(InstanceType, InstanceType.id == Instance.type_id)
        .where(Mandate.status == ACTIVE, Instance.establishment_id == establishment_id, InstanceType.code == CDU,
               Seat.kind.not_in(MEDIATOR_SEATS))
        .distinct().order_by(Mandate.user_id)).scalars())


def is_ru_mandate_of_cdu(mandate: Mandate | None, establishment_id: int) -> bool:
    """Whether ``mandate`` is an active user-representative (RU) mandate in the establishment's CDU:
    the member who may accompany the complainant to the mediation (R1112-92)."""
    from civicsante.mandates.models import RU_SEAT_KINDS

    if mandate is None or mandate.status != ACTIVE:
        return False
    seat = db.session.get(Seat, mandate.seat_id)
    return (seat is not None and seat.kind in RU_SEAT_KINDS
            and seat.instance_id == cdu_instance_id(establishment_id))


def is_establishment_mediator(user, establishment_id: int) -> bool:
    """Whether ``user`` holds the mediator role for the establishment (a referral goes only to one)."""
    return _active(user) and user.has_role(MEDIATOR, establishment_id=establishment_id)

