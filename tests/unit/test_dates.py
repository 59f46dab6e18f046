"""Dates are stored in UTC and shown in French, Europe/Paris time — across daylight-saving changes."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from civicsante.jinja import date_filter, datetime_filter


@pytest.mark.parametrize("utc,shown", [
    (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "15 janvier 2026, 13:00"),     # CET, UTC+1
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "29 mars 2026, 01:30"),        # just before the switch
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "29 mars 2026, 03:30"),        # CEST, UTC+2
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 octobre 2026, 02:30"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 octobre 2026, 02:30"),    # the hour repeats
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "1 janvier 2027, 00:30"),    # next day in Paris
])
def test_datetimes_are_shown_in_paris_time_in_french(app, utc, shown):
    with app.test_request_context():
        assert datetime_filter(utc) == shown


def test_english_visitors_get_english_month_names_in_paris_time(app):
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        assert datetime_filter(datetime(2026, 7, 14, 10, 0, tzinfo=UTC)) == "14 July 2026, 12:00"


def test_dates_and_empty_values(app):
    with app.test_request_context():
        assert date_filter(date(2026, 2, 1)) == "1 février 2026"
        assert date_filter(None) == "" and datetime_filter(None) == ""


class _SQLiteDialect:
    name = "sqlite"


def test_naive_datetimes_are_refused_at_storage():
    from civicsante.types import UTCDateTime

    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 12, 0), _SQLiteDialect())
    stored = UTCDateTime().process_bind_param(
        datetime(2026, 7, 1, 14, 0, tzinfo=UTC).astimezone(), _SQLiteDialect())
    assert stored == datetime(2026, 7, 1, 14, 0)  # naive UTC in SQLite
