"""The legal deadlines of a complaint (DESIGN.md §5), in one place, as named settings.

Each setting is read from the app config, with the legal default:

- ``COMPLAINT_MEETING_DAYS`` = 8: the mediator meets the complainant within 8 days of the
  referral (R1112-93) — and before the patient's discharge when they are still hospitalised;
- ``COMPLAINT_REPORT_DAYS`` = 8: the mediator's report reaches the CDU president within 8 days
  of the meeting (R1112-94);
- ``COMPLAINT_REPLY_DAYS`` = 8: the legal representative replies within 8 days of the CDU
  session that examined the complaint (R1112-94);
- ``COMPLAINT_FIRST_RESPONSE_DAYS`` = 8: the legal representative answers or refers the complaint
  "dans les meilleurs délais" (R1112-92). The law gives no number: this is the house target
  shown on the acknowledgement and the dashboard, not a legal deadline;
- ``CDU_SESSIONS_PER_YEAR`` = 4: the CDU meets at least quarterly (R1112-88);
- ``COMPLAINT_CLEAR_DAYS`` = False: calendar days by default. Whether the code's "huit jours"
  are *jours francs* is not settled (DESIGN.md §5): set it to True to count them so — the day of
  the starting event does not count, and a deadline ending on a Saturday, a Sunday or a French
  public holiday moves to the next working day.

Days are counted on the Europe/Paris date of the starting event: a referral stored at 23:30 UTC
on 31 March is made on 1 April in Paris (summer time, UTC+2), so its meeting is due on 9 April.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

PARIS = ZoneInfo("Europe/Paris")

DEFAULTS = {
    "COMPLAINT_MEETING_DAYS": 8,         # R1112-93
    "COMPLAINT_REPORT_DAYS": 8,          # R1112-94
    "COMPLAINT_REPLY_DAYS": 8,           # R1112-94, after the CDU session
    "COMPLAINT_FIRST_RESPONSE_DAYS": 8,  # R1112-92 "dans les meilleurs délais": a house target
    "CDU_SESSIONS_PER_YEAR": 4,          # R1112-88
    "COMPLAINT_CLEAR_DAYS": False,       # jours francs: unconfirmed, off by default
}

# The steps a complaint can be due for (Complaint.due_step), in the order of the procedure.
FIRST_RESPONSE, MEETING, REPORT, REPLY = "first_response", "meeting", "report", "reply"
STEPS = (FIRST_RESPONSE, MEETING, REPORT, REPLY)
STEP_LABELS = {
    FIRST_RESPONSE: _l("First response by the legal representative"),
    MEETING: _l("Mediation meeting"),
    REPORT: _l("Mediator's report"),
    REPLY: _l("Reply to the complainant"),
}


def setting(name: str):
    """A deadline setting: the app config's value, else the legal default."""
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def step_label(step: str | None) -> str:
    """The step's name for the dashboard and the e-mails (lazy: rendered in the current locale)."""
    return STEP_LABELS.get(step, step or "")


def paris_date(value: datetime | date) -> date:
    """The Europe/Paris calendar date of an instant (a naive datetime is taken as UTC, like the
    database hands it back); a date is returned as is."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS).date()


def _easter(year: int) -> date:
    """Easter Sunday (Gregorian calendar, anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def french_public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France (Code du travail L3133-1)."""
    easter = _easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return frozenset([date(year, m, d) for m, d in fixed]
                     + [easter + timedelta(days=1), easter + timedelta(days=39), easter + timedelta(days=50)])


def _working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in french_public_holidays(day.year)


def add_days(start: date, days: int) -> date:
    """``start`` + ``days`` as the settings count: calendar days, or *jours francs* when
    ``COMPLAINT_CLEAR_DAYS`` is set (the starting day excluded, the end moved past a week-end
    or a public holiday)."""
    if not setting("COMPLAINT_CLEAR_DAYS"):
        return start + timedelta(days=days)
    end = start + timedelta(days=days + 1)
    while not _working_day(end):
        end += timedelta(days=1)
    return end


def meeting_due_on(referred_at: datetime, discharge_expected_on: date | None = None) -> date:
    """The mediation meeting's deadline (R1112-93): ``COMPLAINT_MEETING_DAYS`` after the Paris date
    of the referral; when the patient is hospitalised and expected to leave earlier, the day of
    the expected discharge (the mediator meets them before they leave, on that day at the
    latest). A discharge date already past at the referral is ignored: the patient has left,
    the ordinary delay applies."""
    referred_on = paris_date(referred_at)
    due = add_days(referred_on, setting("COMPLAINT_MEETING_DAYS"))
    if discharge_expected_on is not None and referred_on <= discharge_expected_on < due:
        return discharge_expected_on
    return due


def report_due_on(meeting_held_at: datetime) -> date:
    """The mediator's report to the CDU president: ``COMPLAINT_REPORT_DAYS`` after the Paris date
    of the meeting (or of the day it was found refused or impossible) (R1112-94)."""
    return add_days(paris_date(meeting_held_at), setting("COMPLAINT_REPORT_DAYS"))


def reply_due_on(session_starts_at: datetime) -> date:
    """The legal representative's reply, the CDU's opinion attached: ``COMPLAINT_REPLY_DAYS``
    after the Paris date of the CDU session that examined the complaint (R1112-94)."""
    return add_days(paris_date(session_starts_at), setting("COMPLAINT_REPLY_DAYS"))


def first_response_due_on(received_at: datetime) -> date:
    """The target for the legal representative's first response — a direct answer or a referral
    to a mediator — "dans les meilleurs délais" (R1112-92): ``COMPLAINT_FIRST_RESPONSE_DAYS``
    after the Paris date of receipt (a house target, the law gives no number)."""
    return add_days(paris_date(received_at), setting("COMPLAINT_FIRST_RESPONSE_DAYS"))


def sessions_per_year() -> int:
    """The minimum number of CDU sessions a year (R1112-88: at least quarterly)."""
    return int(setting("CDU_SESSIONS_PER_YEAR"))


def days_overdue(due_on: date | None, today: date) -> int:
    """How many days past ``due_on`` ``today`` is (0 when not overdue or nothing is due)."""
    if due_on is None:
        return 0
    return max(0, (today - due_on).days)
