"""iCalendar for meetings (RFC 5545, built with the ``icalendar`` library): one event per meeting,
a private feed per representative (their instances' meetings, the last 6 months and the future)
reached by a long random address, and a file per meeting.

The feed's address is the only key to it: ``secrets.token_urlsafe`` makes it unguessable, and
regenerating it retires the old one (say, after sharing it by mistake)."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, url_for
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civicsante import audit
from civicsante.extensions import db
from civicsante.mandates.desk import held_instance_ids
from civicsante.mandates.models import CalendarFeed, Meeting
from civicsante.types import utcnow

FEED_PAST_DAYS = 183  # about 6 months
FEED_MAX_EVENTS = 500
PRODID = "-//CivicSanté//Réunions des représentants des usagers//FR"


def _domain() -> str:
    return current_app.config.get("SERVER_NAME") or current_app.config.get("ICAL_UID_DOMAIN") or "civicsante.fr"


def meeting_uid(meeting: Meeting) -> str:
    """Stable, so that calendars update the event in place when the meeting changes."""
    return f"meeting-{meeting.id}@{_domain()}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", _utc(meeting.created_at or utcnow()))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(meeting.ends_at))
    event.add("summary", f"{meeting.title} — {meeting.instance.name}")
    if meeting.place:
        event.add("location", meeting.place)
    lines = []
    if meeting.visio_url:
        lines.append(f"Visioconférence : {meeting.visio_url}")
    if meeting.agenda:
        lines.append(f"Ordre du jour :\n{meeting.agenda}")
    if has_request_context():
        page = url_for("mandates.meeting", meeting_id=meeting.id, _external=True)
        lines.append(page)
        event.add("url", page)
    if lines:
        event.add("description", "\n\n".join(lines))
    return event


def calendar_for(meetings, name: str) -> bytes:
    """An iCalendar document with one VEVENT per meeting (times in UTC)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for meeting in meetings:
        cal.add_component(_event(meeting))
    return cal.to_ical()


def feed_meetings(user, now: datetime | None = None) -> list[Meeting]:
    """The meetings of the instances where ``user`` holds a mandate, from 6 months ago on (one
    query)."""
    since = (now or utcnow()) - timedelta(days=FEED_PAST_DAYS)
    return list(db.session.execute(
        select(Meeting).where(Meeting.instance_id.in_(held_instance_ids(user)), Meeting.starts_at >= since)
        .options(joinedload(Meeting.instance)).order_by(Meeting.starts_at).limit(FEED_MAX_EVENTS)).scalars())


def feed_for_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(select(CalendarFeed).where(CalendarFeed.token == token)).scalar()


def ensure_feed(user) -> CalendarFeed:
    """The user's feed, created at their first visit of the desk."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
        db.session.flush()
    return feed


def regenerate_feed(user, by) -> CalendarFeed:
    """A new address for the feed; the old one answers 404 from now on."""
    feed = ensure_feed(user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utcnow()
    audit.record(by, "calendar_feed.regenerated", ("calendar_feed", user.id))
    return feed
