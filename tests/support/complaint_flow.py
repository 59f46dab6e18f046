"""Driving a complaint through its lifecycle with the real services (tests of issue 6): the
"main road" of DESIGN.md §5, dated from ``T0`` (a CDU session is held on T0 + 20 days). Call
inside an app context; ``people`` loads the CDU's officer, mediators and president."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.complaints import lifecycle
from civicsante.complaints.models import NON_MEDICAL, Complaint, ComplaintCategory
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.models import Meeting
from tests.support.complaints import make_complaint
from tests.support.factories import make_user
from tests.support.mandates import make_meeting

T0 = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SESSION_AT = T0 + 20 * DAY


def user(user_id) -> User:
    return db.session.get(User, user_id)


def people(cdu) -> SimpleNamespace:
    return SimpleNamespace(officer=user(cdu.officer.id), mediator=user(cdu.other_mediator.id),
                           medical=user(cdu.medical_mediator.id), president=user(cdu.president.id))


def category() -> int:
    return db.session.execute(select(ComplaintCategory.id).order_by(ComplaintCategory.id).limit(1)).scalar_one()


def refer(c, p, m, now=T0 + DAY):
    lifecycle.qualify(c, nature=NON_MEDICAL, category_id=category(), by=p.officer)
    return lifecycle.refer_to_mediator(c, non_medical_mediator=p.mediator, by=p.officer, now=now)


def meet(outcome):
    def step(c, p, m):
        lifecycle.record_meeting(lifecycle.referrals_of(c)[0], outcome=outcome, held_at=T0 + 4 * DAY,
                                 by=p.mediator, now=T0 + 4 * DAY + timedelta(hours=1))
    return step


def forward(c, p, m):
    lifecycle.submit_report(lifecycle.referrals_of(c)[0], text="Compte rendu.", by=p.mediator,
                            now=T0 + 6 * DAY)
    lifecycle.forward_report(c, by=p.president, now=T0 + 6 * DAY)


def schedule(c, p, m):
    lifecycle.schedule_mediation(lifecycle.referrals_of(c)[0], meeting_at=T0 + 4 * DAY, place="Bureau 2",
                                 by=p.mediator, now=T0 + 2 * DAY)


def opinion(c, p, m):
    lifecycle.record_opinion(c, kind="classement_motive", text="Avis motivé.", meeting=m, by=p.president,
                             now=SESSION_AT + timedelta(hours=2))


def answer(c, p, m):
    lifecycle.answer_directly(c, text="Réponse directe.", by=p.officer, now=T0 + DAY)


def out_of_scope(c, p, m):
    lifecycle.mark_out_of_scope(c, kind="recours_gracieux", note="Indemnisation.", by=p.officer, now=T0 + DAY)


def cdsp(c, p, m):
    lifecycle.delegate_to_cdsp(c, note="SDRE.", by=p.officer, now=T0 + DAY)


# The main road: how each status is left forward.
FORWARD = {
    "received": lambda c, p, m: lifecycle.acknowledge(c, by=p.officer, now=T0),
    "acknowledged": refer,
    "referred": schedule,
    "meeting_due": meet("met"),
    "report_due": forward,
    "report_forwarded": lambda c, p, m: lifecycle.put_on_agenda(c, meeting=m, by=p.officer, now=T0 + 7 * DAY),
    "awaiting_cdu": opinion,
    "reply_due": lambda c, p, m: lifecycle.send_reply(c, text="Réponse.", by=p.officer, now=T0 + 22 * DAY),
}


def bring(c, p, meeting, status) -> None:
    """Drive ``c`` with the services to ``status`` (the direct answer is off the main road)."""
    if status == "answered":
        FORWARD["received"](c, p, meeting)
        answer(c, p, meeting)
    while c.status != status:
        FORWARD[c.status](c, p, meeting)


def make_flow(app, world, cdu) -> SimpleNamespace:
    """A complaint of a resident with an e-mail, at ``received`` on T0, and a session of the CDU."""
    resident = make_user(app, email="resident.flow@example.org")
    made = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id,
                          status="received", received_at=T0, facts="Texte confidentiel de la plainte.")
    session = make_meeting(app, instance_id=cdu.instance_id, starts_at=SESSION_AT)
    return SimpleNamespace(complaint_id=made.id, meeting_id=session.id, resident=resident, cdu=cdu)


def load(flow):
    """(complaint, people, session) of ``make_flow`` in the current session."""
    return (db.session.get(Complaint, flow.complaint_id), people(flow.cdu),
            db.session.get(Meeting, flow.meeting_id))


def field_refused(call) -> str | None:
    """The field a rule (not the state machine) refuses ``call`` on."""
    with pytest.raises(DomainError) as error:
        call()
    assert not isinstance(error.value, lifecycle.InvalidTransition)
    return error.value.field
