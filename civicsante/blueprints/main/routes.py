from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from civicsante.accounts.models import LANGUAGES
from civicsante.blueprints.main import bp
from civicsante.extensions import db, limiter


def safe_next(target: str | None, default: str) -> str:
    """Only redirect to a path on this site (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default


@bp.get("/")
def home():
    return render_template("main/home.html")


@bp.get("/donnees-personnelles")
def privacy():
    return render_template("main/privacy.html")


@bp.get("/accessibilite")
def accessibility():
    return render_template("main/accessibility.html")


@bp.post("/langue")
@limiter.limit(lambda: current_app.config["RATELIMIT_ANONYMOUS_POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.home")), 303)
