"""Route x role declarations of the complaints area, staff part: the staff list, the complaint
file and its lifecycle forms, CDU sessions, the deadlines dashboard (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

One acknowledged complaint on ``world.hospital`` (the walk's complaints officer is scoped to it),
referred to a mediator who is none of the walkers (so the walk's mediator is "a mediator not
referred"), and the CDU of ``world.hospital`` with one coming session (no walker holds a mandate
in it: the walk's user representative has the role only). So only the office opens the file, the
dashboard and the sessions; everyone else gets 403. The office's empty POSTs reach the forms'
validation or the lifecycle's refusal (422: the complaint is not at that stage); the mediator's
forms answer 403 to all, the referral being someone else's.
"""
from __future__ import annotations

LOGIN = 302
OFFICE_PAGE = {"anonymous": LOGIN, "complaints_officer": 200, "*": 403}
OFFICE_FORM = {"anonymous": LOGIN, "complaints_officer": 422, "*": 403}

EXPECTED: dict = {
    ("complaints.staff_index", "GET"): {"anonymous": LOGIN, "*": 200},  # each sees their own list
    ("complaints.complaint_file", "GET"): OFFICE_PAGE,
    ("complaints.file_acknowledge", "POST"): OFFICE_FORM,  # already acknowledged: the lifecycle refuses
    ("complaints.file_qualify", "POST"): OFFICE_FORM,
    ("complaints.file_answer_directly", "POST"): OFFICE_FORM,
    ("complaints.file_close_after_answer", "POST"): OFFICE_FORM,  # not answered: the lifecycle refuses
    ("complaints.file_refer_to_mediator", "POST"): OFFICE_FORM,  # not qualified: the lifecycle refuses
    # The referred mediator, or the office on their behalf (the walk's mediator is not referred).
    ("complaints.file_schedule_mediation", "POST"): OFFICE_FORM,
    ("complaints.file_record_meeting", "POST"): OFFICE_FORM,
    ("complaints.file_submit_report", "POST"): OFFICE_FORM,
    ("complaints.file_forward_report", "POST"): OFFICE_FORM,  # no report: the lifecycle refuses
    ("complaints.file_put_on_agenda", "POST"): OFFICE_FORM,
    ("complaints.file_record_opinion", "POST"): OFFICE_FORM,
    ("complaints.file_send_reply", "POST"): OFFICE_FORM,
    ("complaints.file_mark_out_of_scope", "POST"): OFFICE_FORM,
    ("complaints.file_delegate_to_cdsp", "POST"): OFFICE_FORM,
    ("complaints.dashboard", "GET"): OFFICE_PAGE,
    ("complaints.cdu_sessions", "GET"): OFFICE_PAGE,
    ("complaints.cdu_sessions", "POST"): OFFICE_FORM,
    ("complaints.cdu_session", "GET"): OFFICE_PAGE,
    ("complaints.cdu_session_add", "POST"): OFFICE_FORM,
    ("complaints.cdu_session_recusal", "POST"): OFFICE_FORM,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    from tests.support.complaints import make_complaint, make_referral
    from tests.support.factories import make_user
    from tests.support.mandates import make_instance, make_meeting

    complaint = make_complaint(app, establishment_id=world.hospital.id)
    mediator = make_user(app, pseudonym="Médiatrice saisie", role="mediator", establishment_id=world.hospital.id)
    referral = make_referral(app, complaint_id=complaint.id, mediator_id=mediator.id)
    cdu = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id,
                        name="CDU du CH de Belrive (suivi)")
    session = make_meeting(app, instance_id=cdu.id, title="Séance de la CDU (suivi)")
    return {"staff_complaint_id": complaint.id, "staff_referral_id": referral.id,
            "staff_establishment_id": world.hospital.id, "staff_session_id": session.id}


_REFERRAL = {"complaints.file_schedule_mediation", "complaints.file_record_meeting", "complaints.file_submit_report"}
_ESTABLISHMENT = {"complaints.dashboard", "complaints.cdu_sessions"}
_SESSION = {"complaints.cdu_session", "complaints.cdu_session_add", "complaints.cdu_session_recusal"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _REFERRAL:
        return {"complaint_id": ctx.extra["staff_complaint_id"], "referral_id": ctx.extra["staff_referral_id"]}
    if endpoint == "complaints.complaint_file" or endpoint.startswith("complaints.file_"):
        return {"complaint_id": ctx.extra["staff_complaint_id"]}
    if endpoint in _ESTABLISHMENT:
        return {"establishment_id": ctx.extra["staff_establishment_id"]}
    if endpoint in _SESSION:
        return {"meeting_id": ctx.extra["staff_session_id"]}
    return {}
