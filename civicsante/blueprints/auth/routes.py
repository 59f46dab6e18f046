from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from civicsante.accounts import services
from civicsante.accounts.models import User
from civicsante.blueprints.auth import bp
from civicsante.blueprints.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignUpForm,
)
from civicsante.blueprints.forms import EmptyForm, attach_error, form_status, submit
from civicsante.blueprints.main.routes import safe_next
from civicsante.errors import DomainError
from civicsante.extensions import db, limiter
from civicsante.mail import send_mail


def _limit(name: str):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


def _start_session(user: User) -> None:
    """A new session at every login (no fixation): the old cookie content is dropped."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    services.log_in(user, current_app.permanent_session_lifetime, request.user_agent.string)
    login_user(user)


@bp.route("/inscription", methods=["GET", "POST"])
@_limit("RATELIMIT_SIGNUP")
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("account.profile"), 303)
    form = SignUpForm()

    def create_and_log_in():
        _start_session(services.sign_up(form.email.data, form.pseudonym.data, form.password.data,
                                        language=session.get("lang", "fr")))

    welcome = _("Welcome, %(name)s! Your account has been created.",
                name=" ".join((form.pseudonym.data or "").split()))
    return (submit(form, create_and_log_in, done=welcome, redirect_to=url_for("account.profile"))
            or (render_template("auth/sign_up.html", form=form), form_status(form)))


@bp.route("/connexion", methods=["GET", "POST"])
@_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"), 303)
    form = LoginForm()
    return (submit(form, lambda: _start_session(services.authenticate(form.email.data, form.password.data)),
                   done=_("You are logged in."),
                   redirect_to=safe_next(request.args.get("next"), url_for("main.home")))
            or (render_template("auth/login.html", form=form), form_status(form)))


@bp.post("/deconnexion")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        services.log_out(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are logged out."), "success")
    return redirect(url_for("main.home"), 303)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@_limit("RATELIMIT_PASSWORD_RESET")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            email = services.normalise_email(form.email.data)
        except DomainError as error:
            attach_error(form, error)
            return render_template("auth/forgot_password.html", form=form), 422
        user = db.session.execute(
            db.select(User).where(User.email == email, User.deleted_at.is_(None))
        ).scalar_one_or_none()
        if user is not None:
            token = services.password_reset_token(user, current_app.config["SECRET_KEY"])
            link = url_for("auth.reset_password", token=token, _external=True)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            send_mail(
                user.email,
                _("Reset your CivicSanté password"),
                render_template("auth/email_reset.txt", user=user, link=link, minutes=minutes),
            )
        # Same answer whether or not an account exists: the form reveals nobody's e-mail.
        flash(_("If an account uses this address, we have sent it a link to choose a new password. "
                "It is valid for %(minutes)s minutes.",
                minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60), "info")
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/forgot_password.html", form=form), form_status(form)


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@_limit("RATELIMIT_PASSWORD_RESET")
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(
            token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except DomainError as error:
        return render_template("auth/reset_invalid.html", message=error.message), 400
    form = ResetPasswordForm()
    return (submit(form, lambda: services.reset_password(user, form.password.data),
                   done=_("Your password has been changed. You can now log in."),
                   redirect_to=url_for("auth.login"))
            or (render_template("auth/reset_password.html", form=form), form_status(form)))
