"""Route x role declarations of the mandates area, desk and meetings part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

The objects belong to a representative who is none of the walkers (the walk's
"user_representative" holds the role but no mandate): their mandate in the CDU of an
establishment of its own (so that the reference walk may still delete ``world.hospital``; the
walk's complaints officer, scoped to ``world.hospital``, is thus refused this CDU's meetings), a
past meeting they attended with hours logged, and their calendar address. Other people's desk data answers 403 to every
walker; the representative's own pages (desk, leave, trainings) answer 200 to the walker holding
the role, on their own (empty) data.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

LOGIN = 302
REPRESENTATIVE_PAGE = {"anonymous": LOGIN, "user_representative": 200, "*": 403}
REPRESENTATIVE_FORM = {"anonymous": LOGIN, "user_representative": 422, "*": 403}
REPRESENTATIVE_ACTS = {"anonymous": LOGIN, "user_representative": 303, "*": 403}
# The CDU's meetings: admins (and its own establishment's complaints office, none in the walk).
MANAGER_PAGE = {"anonymous": LOGIN, "admin": 200, "*": 403}
MANAGER_FORM = {"anonymous": LOGIN, "admin": 422, "*": 403}
MANAGER_ACTS = {"anonymous": LOGIN, "admin": 303, "*": 403}
NOBODY_ELSE = {"anonymous": LOGIN, "*": 403}

EXPECTED: dict = {
    ("mandates.desk", "GET"): REPRESENTATIVE_PAGE,
    ("mandates.desk_calendar_regenerate", "POST"): REPRESENTATIVE_ACTS,
    # Someone else's mandate: only admins read its hours; only its holder logs them.
    ("mandates.desk_hours", "GET"): {"anonymous": LOGIN, "admin": 200, "*": 403},
    ("mandates.desk_hours", "POST"): NOBODY_ELSE,
    ("mandates.desk_leave", "GET"): REPRESENTATIVE_PAGE,
    ("mandates.desk_leave", "POST"): REPRESENTATIVE_FORM,
    ("mandates.desk_trainings", "GET"): REPRESENTATIVE_PAGE,
    ("mandates.desk_trainings", "POST"): REPRESENTATIVE_FORM,
    ("mandates.desk_indemnity", "POST"): REPRESENTATIVE_FORM,
    ("mandates.calendar_feed", "GET"): 200,  # the token is the key, no session needed
    ("mandates.instance_meetings", "GET"): MANAGER_PAGE,
    ("mandates.instance_meetings", "POST"): MANAGER_FORM,
    ("mandates.meeting", "GET"): MANAGER_PAGE,
    ("mandates.meeting_edit", "GET"): MANAGER_PAGE,
    ("mandates.meeting_edit", "POST"): MANAGER_FORM,
    ("mandates.meeting_attendance", "POST"): MANAGER_FORM,
    ("mandates.meeting_minutes", "POST"): MANAGER_ACTS,  # empty minutes are valid minutes
    ("mandates.meeting_ics", "GET"): MANAGER_PAGE,
    ("mandates.meeting_attestation", "GET"): NOBODY_ELSE,  # only the member who attended
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    from civicsante.accounts.models import User
    from civicsante.extensions import db
    from civicsante.mandates import desk, ical
    from civicsante.mandates.models import Mandate, Meeting
    from tests.support.factories import make_establishment, make_user
    from tests.support.mandates import make_instance, make_mandate, make_meeting, seat_ids

    owner = make_user(app, pseudonym="Représentante suivie")
    hospital = make_establishment(app, territory_id=world.commune.id, name="CH du parcours (bureau)")
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=hospital.id,
                             name="CDU du CH du parcours (bureau)")
    today = date.today()
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=owner.id,
                           starts_on=today - timedelta(days=400), ends_on=today + timedelta(days=300))
    past = make_meeting(app, instance_id=instance.id,
                        starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=7))
    with app.app_context():
        user = db.session.get(User, owner.id)
        desk.log_hours(db.session.get(Mandate, mandate.id), worked_on=today - timedelta(days=7), minutes=120,
                       meeting=db.session.get(Meeting, past.id), description="Séance", by=user)
        token = ical.ensure_feed(user).token
        db.session.commit()
    return {"desk_instance_id": instance.id, "desk_mandate_id": mandate.id, "desk_meeting_id": past.id,
            "desk_feed_token": token}


_MEETING = {"mandates.meeting", "mandates.meeting_edit", "mandates.meeting_attendance", "mandates.meeting_minutes",
            "mandates.meeting_ics", "mandates.meeting_attestation"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint == "mandates.desk_hours":
        return {"mandate_id": ctx.extra["desk_mandate_id"]}
    if endpoint == "mandates.calendar_feed":
        return {"token": ctx.extra["desk_feed_token"]}
    if endpoint == "mandates.instance_meetings":
        return {"instance_id": ctx.extra["desk_instance_id"]}
    if endpoint in _MEETING:
        return {"meeting_id": ctx.extra["desk_meeting_id"]}
    return {}
