from __future__ import annotations

from flask import (
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civicsante.blueprints.forms import EmptyForm
from civicsante.blueprints.notifications import bp
from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.errors import DomainError
from civicsante.extensions import csrf, db, limiter
from civicsante.notifications import links, services


@bp.app_context_processor
def _unread_notifications():
    # A function, so the count is queried only when the layout shows it (once per page), never
    # for partials or e-mails.
    return {"unread_notification_count": _unread_for_current_user,
            "notification_priority_id": links.priority_id_of,
            "notification_mandate_link": _mandate_link}


def _mandate_link(notification) -> str | None:
    """The page a mandates alert or a complaint step leads to (the desk, the board, the
    association's pages, the complaint's timeline or file)."""
    from civicsante.mandates.alerts import MANDATE_NOTIFICATION_KINDS, alert_link

    if notification.kind == "complaint":
        from civicsante.complaints.notify import link

        return link(notification)
    return alert_link(notification) if notification.kind in MANDATE_NOTIFICATION_KINDS else None


def _unread_for_current_user() -> int:
    if not has_request_context() or not current_user.is_authenticated:
        return 0
    return services.unread_count(current_user)


@bp.get("/notifications")
@login_required
def index():
    page = paginate(services.notifications_of(current_user))
    locale = str(get_locale())
    entries = [(n, services.message_for(n, locale)) for n in page.items]
    return render_page_or_partial("notifications/index.html", "notifications/_list.html",
                                  page=page, entries=entries, form=EmptyForm(),
                                  has_unread=any(n.read_at is None for n in page.items))


@bp.post("/notifications/tout-lu")
@login_required
def mark_all_read():
    if EmptyForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
        flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"), 303)


# No login and no CSRF token: mail clients unsubscribe with a bare POST to the link (RFC 8058
# one-click); the signed token in the URL is the proof.
@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["RATELIMIT_ANONYMOUS_POST"], methods=["POST"])
def unsubscribe(token: str):
    try:
        user = services.user_for_unsubscribe_token(token)
    except DomainError as error:
        return render_template("notifications/unsubscribe_invalid.html", message=error.message), 400
    if request.method == "POST":
        services.unsubscribe(user)
        db.session.commit()
        flash(_("You will no longer receive e-mails about the needs you follow."), "success")
        return redirect(url_for("notifications.unsubscribe", token=token), 303)
    return render_template("notifications/unsubscribe.html", token=token,
                           subscribed=user.email_notifications != services.NO_EMAIL)
