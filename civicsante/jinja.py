"""Template filters and globals: French dates in Europe/Paris, pagination links, plain text with
clickable links."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

# An http(s) address runs until white space or a character that cannot end a URL in prose.
_URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?\u00bb\u2019"


# A list page shows dozens of dates, mostly the same few days: Babel's formatting (about 0.2 ms a
# call, with Flask-Babel's locale and time-zone lookups) is done once per day and locale, and the
# conversion to Paris time by zoneinfo. Same result as flask_babel.format_datetime(value,
# "d MMMM y, HH:mm") in BABEL_DEFAULT_TIMEZONE, at a tenth of the cost (tests/unit/test_dates.py).
@lru_cache(maxsize=4096)
def _day(day: date, locale: str) -> str:
    return format_date(day, "d MMMM y", locale=locale)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(value: datetime) -> datetime:
    """``value`` (UTC when naive, as stored) in the site's time zone, Europe/Paris."""
    zone = _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)


def datetime_filter(value: datetime | None) -> str:
    if not value:
        return ""
    local = _local(value)
    return f"{_day(local.date(), str(get_locale()))}, {local:%H:%M}"


def date_filter(value: date | datetime | None) -> str:
    if not value:
        return ""
    day = _local(value).date() if isinstance(value, datetime) else value
    return _day(day, str(get_locale()))


def _split_trailing(url: str) -> tuple[str, str]:
    """Punctuation closing a sentence is not part of the address ("voir https://x.fr/a.")."""
    end = len(url)
    while end:
        char = url[end - 1]
        if char in _TRAILING or (char == ")" and url.count("(", 0, end) < url.count(")", 0, end)):
            end -= 1
            continue
        break
    return url[:end], url[end:]


def linkify(text: str | None) -> Markup:
    """Plain text as HTML: everything escaped (no markup is ever accepted from people), then
    http(s) addresses made clickable. ``nofollow`` tells search engines the site does not vouch
    for the link; ``noopener`` keeps the opened page from reaching back into ours."""
    if not text:
        return Markup("")
    parts: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        url, trailing = _split_trailing(match.group(0))
        if "://" not in url or url.endswith("://"):
            continue
        parts.append(str(escape(text[last:match.start()])))
        parts.append(f'<a href="{escape(url)}" rel="nofollow noopener">{escape(url)}</a>')
        parts.append(str(escape(trailing)))
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def url_with_page(page: int) -> str:
    """The current URL with ``page`` replaced, keeping filters (shareable, back button works)."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_jinja(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["linkify"] = linkify
    app.jinja_env.globals["url_with_page"] = url_with_page
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
