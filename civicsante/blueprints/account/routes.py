from __future__ import annotations

from flask import Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from civicsante.accounts import services
from civicsante.blueprints.account import bp
from civicsante.blueprints.account.forms import DeleteAccountForm, PasswordChangeForm, ProfileForm
from civicsante.blueprints.forms import EmptyForm, form_status, submit
from civicsante.extensions import db
from civicsante.mandates.stats import record_employment_status
from civicsante.reference.services import territory_choices


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint is the signed-in person's own account."""


@bp.route("", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    form.home_territory_id.choices = [("", _("Not specified"))] + territory_choices()

    def save():
        services.update_profile(
            current_user, pseudonym=form.pseudonym.data,
            home_territory_id=form.home_territory_id.data, age_band=form.age_band.data,
            sex=form.sex.data, language=form.language.data,
            email_notifications=form.email_notifications.data,
        )
        record_employment_status(current_user, form.employment_status.data)
        session["lang"] = current_user.language

    return (submit(form, save, done=_("Your profile has been saved."), redirect_to=url_for("account.profile"))
            or (render_template("account/profile.html", form=form), form_status(form)))


@bp.route("/mot-de-passe", methods=["GET", "POST"])
def change_password():
    form = PasswordChangeForm()
    return (submit(form, lambda: services.change_password(current_user, form.current_password.data,
                                                          form.new_password.data),
                   done=_("Your password has been changed. Other devices have been logged out."),
                   redirect_to=url_for("account.profile"))
            or (render_template("account/password.html", form=form), form_status(form)))


@bp.get("/mes-donnees")
def my_data():
    return render_template("account/my_data.html", form=EmptyForm())


@bp.post("/mes-donnees")
def download_my_data():
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("account.my_data"), 303)
    payload = services.export_personal_data(current_user)
    db.session.commit()
    return Response(
        payload,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="civicsante-mes-donnees.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/supprimer", methods=["GET", "POST"])
def delete_account():
    form = DeleteAccountForm()
    response = submit(form, lambda: services.delete_account(current_user, form.password.data),
                      done=None, redirect_to=url_for("main.home"))
    if response is None:
        return render_template("account/delete.html", form=form), form_status(form)
    logout_user()
    session.clear()
    flash(_("Your account has been deleted. Thank you for your contributions."), "success")
    return response
