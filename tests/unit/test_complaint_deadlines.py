"""The legal deadlines of a complaint (DESIGN.md §5, R1112-88 to R1112-94): calendar days counted
on the Europe/Paris date of the starting event, around month ends, leap days and daylight-saving
changes; the hospitalised case; the settings that change them."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from civicsante.complaints import deadlines
from civicsante.complaints.deadlines import meeting_due_on, paris_date, reply_due_on, report_due_on


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def configured():
    """A bare app whose config the deadlines read (no database needed)."""
    app = Flask(__name__)
    with app.app_context():
        yield app.config


@pytest.mark.parametrize(("start", "due"), [
    (utc(2027, 1, 31, 10), date(2027, 2, 8)),    # across a month end
    (utc(2027, 2, 28, 10), date(2027, 3, 8)),    # end of February, common year
    (utc(2028, 2, 21, 10), date(2028, 2, 29)),   # lands on a leap day
    (utc(2028, 2, 28, 10), date(2028, 3, 7)),    # across a leap day
    (utc(2026, 12, 28, 10), date(2027, 1, 5)),   # across a year end
])
def test_eight_calendar_days(start, due):
    assert meeting_due_on(start) == report_due_on(start) == reply_due_on(start) == due


@pytest.mark.parametrize(("instant", "paris"), [
    # Winter time (UTC+1): 23:30 UTC is already the next day in Paris.
    (utc(2027, 1, 31, 23, 30), date(2027, 2, 1)),
    (utc(2027, 1, 31, 22, 59), date(2027, 1, 31)),
    # The night of the change to summer time (28 March 2027, 02:00 → 03:00).
    (utc(2027, 3, 27, 22, 59), date(2027, 3, 27)),
    (utc(2027, 3, 27, 23, 0), date(2027, 3, 28)),
    (utc(2027, 3, 28, 21, 59), date(2027, 3, 28)),
    (utc(2027, 3, 28, 22, 0), date(2027, 3, 29)),   # UTC+2 from now on
    # Summer time: 31 March 23:30 UTC is 1 April in Paris.
    (utc(2027, 3, 31, 23, 30), date(2027, 4, 1)),
    # The night of the change back to winter time (31 October 2027, 03:00 → 02:00).
    (utc(2027, 10, 30, 21, 59), date(2027, 10, 30)),
    (utc(2027, 10, 30, 22, 0), date(2027, 10, 31)),
    (utc(2027, 10, 31, 22, 59), date(2027, 10, 31)),
    (utc(2027, 10, 31, 23, 0), date(2027, 11, 1)),
])
def test_the_day_is_the_paris_day(instant, paris):
    assert paris_date(instant) == paris
    assert meeting_due_on(instant) == date.fromordinal(paris.toordinal() + 8)


def test_a_referral_late_at_night_counts_from_the_paris_day():
    assert meeting_due_on(utc(2027, 3, 31, 23, 30)) == date(2027, 4, 9)
    assert report_due_on(utc(2027, 10, 31, 23, 30)) == date(2027, 11, 9)
    assert reply_due_on(utc(2027, 10, 31, 22, 30)) == date(2027, 11, 8)


def test_naive_instants_are_utc_and_dates_stay_dates():
    assert paris_date(datetime(2027, 3, 31, 23, 30)) == date(2027, 4, 1)
    assert paris_date(date(2027, 3, 31)) == date(2027, 3, 31)


@pytest.mark.parametrize(("discharge", "due"), [
    (date(2027, 3, 12), date(2027, 3, 12)),   # discharged before the 8 days: by the discharge day
    (date(2027, 3, 10), date(2027, 3, 10)),   # discharged on the day of the referral
    (date(2027, 3, 18), date(2027, 3, 18)),   # on the eighth day
    (date(2027, 4, 1), date(2027, 3, 18)),    # discharged later: the 8 days
    (date(2027, 3, 9), date(2027, 3, 18)),    # already discharged: the 8 days
    (None, date(2027, 3, 18)),
])
def test_a_hospitalised_patient_is_met_before_discharge(discharge, due):
    assert meeting_due_on(utc(2027, 3, 10, 9), discharge) == due


def test_the_discharge_is_compared_with_the_paris_day_of_the_referral():
    # 23:30 UTC on 9 March is 10 March in Paris: a discharge on 10 March is still ahead.
    assert meeting_due_on(utc(2027, 3, 9, 23, 30), date(2027, 3, 10)) == date(2027, 3, 10)


def test_the_settings_change_the_deadlines(configured):
    configured.update(COMPLAINT_MEETING_DAYS=10, COMPLAINT_REPORT_DAYS=5, COMPLAINT_REPLY_DAYS=15,
                      COMPLAINT_FIRST_RESPONSE_DAYS=3, CDU_SESSIONS_PER_YEAR=6)
    start = utc(2027, 3, 10, 9)
    assert meeting_due_on(start) == date(2027, 3, 20)
    assert report_due_on(start) == date(2027, 3, 15)
    assert reply_due_on(start) == date(2027, 3, 25)
    assert deadlines.first_response_due_on(start) == date(2027, 3, 13)
    assert deadlines.sessions_per_year() == 6


def test_the_legal_defaults_apply_without_settings(configured):
    assert [deadlines.setting(name) for name in ("COMPLAINT_MEETING_DAYS", "COMPLAINT_REPORT_DAYS",
                                                 "COMPLAINT_REPLY_DAYS")] == [8, 8, 8]
    assert deadlines.sessions_per_year() == 4
    assert deadlines.setting("COMPLAINT_CLEAR_DAYS") is False


@pytest.mark.parametrize(("start", "due"), [
    (utc(2027, 3, 10, 9), date(2027, 3, 19)),    # Wednesday + 8 clear days: Friday 19
    (utc(2027, 3, 12, 9), date(2027, 3, 22)),    # ends Sunday 21: Monday 22
    (utc(2027, 4, 29, 9), date(2027, 5, 10)),    # ends Saturday 8 May (holiday, week-end): Monday 10
    (utc(2027, 12, 16, 9), date(2027, 12, 27)),  # ends Saturday 25 December: Monday 27
    (utc(2028, 4, 8, 9), date(2028, 4, 18)),     # ends Monday 17 April 2028, Easter Monday: Tuesday 18
])
def test_jours_francs_when_configured(configured, start, due):
    configured["COMPLAINT_CLEAR_DAYS"] = True
    assert meeting_due_on(start) == due


def test_french_public_holidays():
    holidays = deadlines.french_public_holidays(2027)
    assert len(holidays) == 11
    assert {date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)} <= holidays  # Easter Monday, Ascension, Whit Monday
    assert deadlines._easter(2028) == date(2028, 4, 16)


def test_days_overdue():
    assert deadlines.days_overdue(date(2027, 3, 1), date(2027, 3, 4)) == 3
    assert deadlines.days_overdue(date(2027, 3, 5), date(2027, 3, 4)) == 0
    assert deadlines.days_overdue(None, date(2027, 3, 4)) == 0


def test_every_step_has_a_label(app):
    with app.test_request_context():
        assert deadlines.STEPS == ("first_response", "meeting", "report", "reply")
        labels = [str(deadlines.step_label(step)) for step in deadlines.STEPS]
        assert all(labels) and len(set(labels)) == 4
        assert deadlines.step_label(None) == ""
