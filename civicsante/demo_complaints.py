"""Demo complaints for the CDU of the Centre hospitalier de Belrive (loaded by ``flask demo``
after the demo mandates; idempotent: nothing is done once the hospital has a complaint).

About thirty complaints received over the past twelve months, in every state of the state
machine (DESIGN.md §5) — closed after a CDU session (mediation held, refused or impossible; every
kind of opinion; replies within and past the 8 days), waiting for a reply, on the next session's
agenda, report forwarded or due, meeting due, referred, answered directly, acknowledged,
received, out of scope (both kinds), delegated to the CDSP — some of them overdue. The demo
resident (habitante@demo.civicsante.fr) filed one and reads its timeline.

Each step goes through the lifecycle services with ``now`` set in the past, so every timeline
step, referral and opinion carries its own date; the CDU sessions are the demo mandates' past
and coming CDU meetings. Every person named here is invented. No e-mail leaves: the demo drops
the queued complainant e-mails (they would go to invented addresses).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from civicsante import audit
from civicsante.accounts.models import MEDIATOR, RoleAssignment, User
from civicsante.complaints import lifecycle
from civicsante.complaints.models import (
    BOTH,
    MEDICAL,
    NON_MEDICAL,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Recommendation,
)
from civicsante.demo_mandates import CDU_NAME, PARIS
from civicsante.extensions import db
from civicsante.mandates.models import Instance, Meeting
from civicsante.reference.models import Establishment

HOSPITAL_FINESS = "990000011"
RESIDENT_EMAIL = "habitante@demo.civicsante.fr"
OFFICER_EMAIL = "plaintes@demo.civicsante.fr"
MEDICAL_MEDIATOR_EMAIL = "mediateur@demo.civicsante.fr"
OTHER_MEDIATOR_EMAIL = "mediation.usagers@demo.civicsante.fr"
PRESIDENT_EMAIL = "direction@demo.civicsante.fr"

# The road, step by step; a complaint stops at its ``until`` status. Kinds of mediation outcome:
# met / refused / impossible. ``session``: days ago of the CDU session examining it (the demo
# mandates hold CDU sessions 120 and 35 days ago, and one in 12 days).
# (days ago received, until, channel, category, service, nature, options)
SCENARIOS = [
    (160, "closed", "courrier", "accueil", "Urgences", NON_MEDICAL,
     {"session": 120, "reply": 5, "opinion": "recommandations", "rec_status": "realisee"}),
    (158, "closed", "courriel", "soins_medicaux", "Cardiologie", MEDICAL,
     {"session": 120, "reply": 12, "opinion": "voies_de_recours"}),
    (155, "closed", "telephone", "information", "Urgences", NON_MEDICAL,
     {"session": 120, "reply": 4, "outcome": "refused", "opinion": "classement_motive"}),
    (152, "closed", "courriel", "hotellerie", "Médecine interne", NON_MEDICAL,
     {"session": 120, "reply": 6, "outcome": "impossible", "opinion": "classement_motive"}),
    (150, "closed", "en_personne", "soins_medicaux", "Chirurgie orthopédique", MEDICAL,
     {"session": 120, "reply": 3, "meeting_after": 10, "opinion": "recommandations", "rec_status": "en_cours"}),
    (148, "closed", "courrier", "delais", "Consultations externes", NON_MEDICAL,
     {"session": 120, "reply": 7, "report_after": 18, "opinion": "classement_motive"}),
    (75, "closed", "courrier", "droits", "Maternité", BOTH,
     {"session": 35, "reply": 5, "opinion": "recommandations"}),
    (72, "closed", "telephone", "accueil", "Urgences", NON_MEDICAL,
     {"session": 35, "reply": 9, "outcome": "refused", "opinion": "voies_de_recours"}),
    (68, "closed", "courriel", "soins_paramedicaux", "Gériatrie", NON_MEDICAL,
     {"session": 35, "reply": 2, "opinion": "classement_motive"}),
    (66, "reply_due", "courrier", "soins_medicaux", "Cardiologie", MEDICAL,
     {"session": 35, "opinion": "recommandations"}),
    (64, "reply_due", "en_personne", "facturation", "Admissions", NON_MEDICAL,
     {"session": 35, "outcome": "impossible", "opinion": "classement_motive"}),
    (40, "awaiting_cdu", "courriel", "information", "Pédiatrie", NON_MEDICAL, {}),
    (34, "awaiting_cdu", "telephone", "accueil", "Urgences", NON_MEDICAL, {"outcome": "refused"}),
    (25, "report_forwarded", "courrier", "biens", "Médecine interne", NON_MEDICAL, {}),
    (18, "report_due", "courrier", "soins_medicaux", "Urgences", MEDICAL, {}),  # report overdue
    (9, "report_due", "courriel", "accueil", "Maternité", NON_MEDICAL, {"meeting_after": 4}),
    (8, "report_due", "telephone", "delais", "Consultations externes", NON_MEDICAL,
     {"outcome": "refused", "meeting_after": 5}),
    (6, "meeting_due", "en_ligne", "information", "Urgences", NON_MEDICAL,
     {"resident": True, "meeting_in": 2}),
    (16, "meeting_due", "courrier", "soins_paramedicaux", "Gériatrie", NON_MEDICAL,
     {"meeting_in": 1}),  # overdue
    (4, "referred", "courriel", "hotellerie", "Pédiatrie", NON_MEDICAL, {}),
    (21, "referred", "en_personne", "soins_medicaux", "Chirurgie orthopédique", MEDICAL, {}),  # overdue
    (10, "answered", "courriel", "facturation", "Admissions", None, {}),
    (200, "closed_after_answer", "courrier", "accueil", "Consultations externes", None, {}),
    (95, "closed_after_answer", "telephone", "delais", "Radiologie", None, {}),
    (340, "closed_after_answer", "courrier", "hotellerie", "Médecine interne", None, {}),
    (3, "acknowledged", "courriel", "accueil", "Urgences", None, {}),
    (26, "acknowledged", "courrier", "dossier_medical", "Archives médicales", None, {}),  # overdue
    (0, "received", "courrier", "autre", "", None, {}),
    (100, "out_of_scope", "courrier", "facturation", "Admissions", None, {"kind": "recours_gracieux"}),
    (230, "out_of_scope", "courrier", "soins_medicaux", "Chirurgie orthopédique", None,
     {"kind": "recours_juridictionnel"}),
    (180, "delegated_cdsp", "telephone", "droits", "Psychiatrie", None, {}),
]
# Invented complainants of the complaints the office registered.
NAMES = ["Mme Odile Ferrand", "M. Alain Courtois", "Mme Rose Delmas", "M. Karim Haddad", "Mme Louise Texier",
         "M. Paul Verdier", "Mme Inès Barbier", "M. Henri Morvan", "Mme Chantal Leroux", "M. Yves Pottier"]
ORDER = ["acknowledged", "answered", "referred", "meeting_due", "report_due", "report_forwarded",
         "awaiting_cdu", "reply_due", "closed"]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def _one(model, **where):
    return db.session.execute(select(model).filter_by(**where)).scalar_one_or_none()


def _mediator(email: str, hospital: Establishment) -> User:
    """The CDU's mediators hold the mediator role for the hospital (a referral goes only to one)."""
    user = _one(User, email=email)
    if not user.has_role(MEDIATOR, establishment_id=hospital.id):
        db.session.add(RoleAssignment(user=user, role=MEDIATOR, establishment=hospital))
        db.session.flush()
        audit.record(None, "role.grant", user, role=MEDIATOR, via="demo")
    return user


def _sessions(hospital: Establishment, today: date) -> dict[int, Meeting]:
    """The CDU's meetings by days from today (-120, -35, 12, 75 in the demo mandates)."""
    instance = db.session.execute(select(Instance).where(Instance.establishment_id == hospital.id,
                                                         Instance.name == CDU_NAME)).scalar_one_or_none()
    if instance is None:
        return {}
    meetings = db.session.execute(select(Meeting).where(Meeting.instance_id == instance.id)).scalars()
    return {(m.starts_at.astimezone(PARIS).date() - today).days: m for m in meetings}


def _fitted(days_ago: int, until: str, opts: dict, sessions: dict[int, Meeting]) -> tuple[int, str, dict]:
    """The scenario moved onto the CDU's real sessions: the demo mandates may have been loaded on
    an earlier day (their meetings are then further in the past than the scenarios say), so a
    complaint examined "120 days ago" is dated from the past session nearest to that, and one
    awaiting the CDU goes on the next session. Without such a session it stops before."""
    past = [offset for offset in sessions if offset < 0]
    coming = [offset for offset in sessions if offset > 0]
    if "session" in opts and _reached(until, "reply_due"):
        if not past:
            return days_ago, "report_forwarded", opts
        actual = min(past, key=lambda offset: abs(offset + opts["session"]))
        return days_ago - opts["session"] - actual, until, {**opts, "session": -actual}
    if until == "awaiting_cdu":
        if not coming:
            return days_ago, "report_forwarded", opts
        return days_ago, until, {**opts, "next_session": min(coming)}
    return days_ago, until, opts


def _reached(until: str, status: str) -> bool:
    return until in ORDER and ORDER.index(until) >= ORDER.index(status)


def load_demo_complaints(today: date | None = None) -> int:
    """The demo complaints (see the module docstring); 0 when the hospital already has some."""
    hospital = _one(Establishment, finess=HOSPITAL_FINESS)
    if hospital is None or db.session.execute(
            select(Complaint.id).where(Complaint.establishment_id == hospital.id).limit(1)).first():
        return 0
    today = today or datetime.now(PARIS).date()
    officer, president = _one(User, email=OFFICER_EMAIL), _one(User, email=PRESIDENT_EMAIL)
    resident = _one(User, email=RESIDENT_EMAIL)
    medical, other = _mediator(MEDICAL_MEDIATOR_EMAIL, hospital), _mediator(OTHER_MEDIATOR_EMAIL, hospital)
    sessions = _sessions(hospital, today)
    categories = dict(db.session.execute(select(ComplaintCategory.code, ComplaintCategory.id)).all())
    for n, (days_ago, until, channel, category, service, nature, opts) in enumerate(SCENARIOS):
        days_ago, until, opts = _fitted(days_ago, until, opts, sessions)
        day = today - timedelta(days=days_ago)
        received = _at(day, 9 + n % 6, 10 * (n % 6)) if days_ago else _at(today, 8) - timedelta(minutes=1)
        mine = bool(opts.get("resident"))
        complaint = Complaint(
            establishment=hospital, channel=channel, complainant_id=resident.id if mine else None,
            complainant_name=resident.pseudonym if mine else NAMES[n % len(NAMES)],
            complainant_contact=resident.email if mine else f"{NAMES[n % len(NAMES)].split()[-1].lower()}@exemple.fr",
            registered_by_id=None if mine else officer.id, relation="patient" if n % 3 else "proche",
            facts=f"Réclamation de démonstration n° {n + 1} : attente, information ou soins jugés insuffisants.",
            occurred_on=day - timedelta(days=3), service_concerned=service,
            expectations="Des explications et des excuses.", category_id=categories.get(category),
            status="received", received_at=received, created_at=received)
        db.session.add(complaint)
        db.session.flush()
        complaint.reference = f"R{received.astimezone(PARIS).year}-{complaint.id:05d}"
        db.session.add(ComplaintEvent(complaint_id=complaint.id, to_status="received",
                                      action="file_online" if mine else "register", at=received,
                                      by_id=resident.id if mine else officer.id))
        audit.record(resident if mine else officer, "complaint.file_online" if mine else "complaint.register",
                     complaint, channel=channel, via="demo")
        _drive(complaint, until, opts, nature=nature, received=received, today=today, sessions=sessions,
               people=(officer, president, medical, other))
    db.session.flush()
    db.session.info.pop("civicsante.complaints.mail", None)  # no e-mail to invented people
    return len(SCENARIOS)


def _drive(c: Complaint, until: str, opts: dict, *, nature, received: datetime, today: date, sessions,
           people) -> None:
    officer, president, medical, other = people
    hours = timedelta(hours=1)
    if until == "received":
        return
    if until == "delegated_cdsp":
        lifecycle.delegate_to_cdsp(c, note="Soins sans consentement.", by=officer, now=received + 3 * hours)
        return
    lifecycle.acknowledge(c, by=officer, now=received + hours)
    if until == "out_of_scope":
        lifecycle.mark_out_of_scope(c, kind=opts["kind"], note="Demande d'indemnisation.", by=officer,
                                    now=received + timedelta(days=2))
        return
    if until in ("answered", "closed_after_answer"):
        lifecycle.answer_directly(c, text="Réponse de la direction.", by=officer, now=received + timedelta(days=2))
        if until == "closed_after_answer":
            lifecycle.close_after_answer(c, by=officer, now=received + timedelta(days=20))
        return
    if not _reached(until, "referred"):
        return
    day = timedelta(days=1)
    lifecycle.qualify(c, nature=nature, category_id=c.category_id, by=officer)
    referrals = lifecycle.refer_to_mediator(
        c, medical_mediator=medical if nature in (MEDICAL, BOTH) else None,
        non_medical_mediator=other if nature in (NON_MEDICAL, BOTH) else None, by=officer, now=received + day)
    if until == "referred":
        return
    if until == "meeting_due":
        meeting_at = _at(today + timedelta(days=opts["meeting_in"]), 10)
        for r in referrals:
            lifecycle.schedule_mediation(r, meeting_at=meeting_at, place="Bureau des usagers, hall A",
                                         by=r.mediator, now=received + 2 * day)
        return
    held = received + day * opts.get("meeting_after", 5)
    for r in referrals:
        lifecycle.record_meeting(r, outcome=opts.get("outcome", "met"), held_at=held, by=r.mediator,
                                 now=held + 2 * hours)
    if until == "report_due":
        return
    reported = held + day * opts.get("report_after", 4)
    for r in referrals:
        lifecycle.submit_report(r, text="Compte rendu de médiation.", by=r.mediator, now=reported)
    lifecycle.forward_report(c, by=president, now=reported + hours)
    if until == "report_forwarded":
        return
    session = sessions[-opts["session"]] if "session" in opts else sessions[opts["next_session"]]
    lifecycle.put_on_agenda(c, meeting=session, by=officer, now=reported + 2 * hours)
    if until == "awaiting_cdu":
        return
    kind = opts["opinion"]
    recommendations = ["Revoir l'information donnée aux proches à l'arrivée."] if kind == "recommandations" else ()
    opinion = lifecycle.record_opinion(c, kind=kind, text="Avis de la commission.", meeting=session,
                                       recommendations=recommendations, by=president,
                                       now=session.starts_at + 2 * hours)
    if opts.get("rec_status"):
        db.session.flush()
        for rec in db.session.execute(select(Recommendation).where(
                Recommendation.complaint_id == c.id)).scalars():
            rec.status, rec.follow_up = opts["rec_status"], "Suivi présenté en séance."
    if until == "reply_due" or opinion is None:
        return
    lifecycle.send_reply(c, text="Réponse de la direction, avis de la CDU joint.", by=officer,
                         now=session.starts_at + day * opts["reply"])
