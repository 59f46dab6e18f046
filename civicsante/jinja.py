"""Template filters and globals: French dates in Europe/Paris, pagination links."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime


def datetime_filter(value: datetime | None) -> str:
    # Flask-Babel converts to BABEL_DEFAULT_TIMEZONE (Europe/Paris) before formatting.
    return format_datetime(value, "d MMMM y, HH:mm") if value else ""


def date_filter(value: date | datetime | None) -> str:
    return format_date(value, "d MMMM y") if value else ""


def url_with_page(page: int) -> str:
    """The current URL with ``page`` replaced, keeping filters (shareable, back button works)."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_jinja(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.globals["url_with_page"] = url_with_page
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
