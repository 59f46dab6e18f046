"""Error pages in the visitor's language; never a stack trace."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from civicsante.extensions import db

ERROR_CODES = (400, 403, 404, 405, 429, 500)


def init_error_pages(app: Flask) -> None:
    def render(code: int, reason: str | None = None):
        if code >= 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code, reason=reason), code

    for code in ERROR_CODES:
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render(400, "csrf")
