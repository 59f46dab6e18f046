"""The iCalendar output parses with the ``icalendar`` library and carries the right events; a
representative's feed holds only their instances' meetings."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.mandates import ical
from civicsante.mandates.models import ENDED, Meeting
from tests.support.factories import make_user
from tests.support.mandates import make_instance, make_mandate, make_meeting, seat_ids


def _events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def test_one_event_per_meeting_with_summary_times_in_utc_and_location(app, world):
    instance = make_instance(app, territory_id=world.commune.id, name="CDU du CH de Belrive")
    starts = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)  # 14:30 in Paris
    meeting = make_meeting(app, instance_id=instance.id, starts_at=starts, hours=2, title="Séance trimestrielle",
                           place="Salle Pasteur", agenda="1. Plaintes du trimestre")
    with app.test_request_context():
        body = ical.calendar_for([db.session.get(Meeting, meeting.id)], "Test")
    events = _events(body)
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Séance trimestrielle — CDU du CH de Belrive"
    assert event.decoded("dtstart") == starts and event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") == starts + timedelta(hours=2)
    assert b"DTSTART:20260701T123000Z" in body  # written in UTC, not in a local zone
    assert str(event["location"]) == "Salle Pasteur"
    assert "Plaintes du trimestre" in str(event["description"])
    assert str(event["uid"]).startswith(f"meeting-{meeting.id}@")
    assert f"/reunions/{meeting.id}" in str(event["url"])


def test_feed_has_only_the_representatives_instances_meetings_from_six_months_ago(app, world):
    rep = make_user(app)
    mine = make_instance(app, territory_id=world.commune.id)
    other = make_instance(app, territory_id=world.commune.id)
    ended = make_instance(app, territory_id=world.commune.id)
    make_mandate(app, seat_id=seat_ids(app, mine.id)[0], user_id=rep.id)
    make_mandate(app, seat_id=seat_ids(app, ended.id)[0], user_id=rep.id, starts_on=date(2018, 1, 1),
                 ends_on=date(2020, 12, 31), status=ENDED)
    make_mandate(app, seat_id=seat_ids(app, other.id)[0], user_id=make_user(app).id)
    now = datetime.now(UTC).replace(microsecond=0)
    coming = make_meeting(app, instance_id=mine.id, starts_at=now + timedelta(days=20), title="À venir")
    recent = make_meeting(app, instance_id=mine.id, starts_at=now - timedelta(days=60), title="Récente")
    make_meeting(app, instance_id=mine.id, starts_at=now - timedelta(days=400), title="Ancienne")
    make_meeting(app, instance_id=other.id, starts_at=now + timedelta(days=5), title="Pas la mienne")
    make_meeting(app, instance_id=ended.id, starts_at=now + timedelta(days=5), title="Mandat terminé")
    with app.test_request_context():
        user = db.session.get(User, rep.id)
        body = ical.calendar_for(ical.feed_meetings(user), "Mes réunions")
    uids = {str(e["uid"]) for e in _events(body)}
    assert uids == {f"meeting-{recent.id}@civicsante.fr", f"meeting-{coming.id}@civicsante.fr"}


def test_feed_token_is_long_random_and_regenerating_retires_the_old_one(app):
    user = make_user(app)
    with app.app_context():
        feed = ical.ensure_feed(db.session.get(User, user.id))
        db.session.commit()
        first = feed.token
        assert len(first) >= 40
        assert ical.ensure_feed(db.session.get(User, user.id)).token == first
        ical.regenerate_feed(db.session.get(User, user.id), by=db.session.get(User, user.id))
        db.session.commit()
        assert ical.feed_for_token(first) is None
        assert ical.feed_for_token(ical.ensure_feed(db.session.get(User, user.id)).token).user_id == user.id
