"""The CDU's annual report (R1112-80 II): the page, its PDF and CSV, and the form where the CDU
writes its own sections. The report holds no personal data (counts only), but it is still the
CDU's working document: the office and the CDU's members read it (``policy.can_view_annual_report``),
the office and the CDU president write its sections (``policy.can_edit_annual_report``)."""
from __future__ import annotations

from datetime import datetime

from flask import Response, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from civicsante.blueprints.forms import form_status, submit
from civicsante.complaints import policy
from civicsante.complaints import report as service
from civicsante.complaints import report_output as output
from civicsante.complaints.models import REPORT_SECTIONS
from civicsante.extensions import db
from civicsante.reference.models import Establishment

from . import bp

# Years a report may be asked for: the platform holds nothing older, and nothing from the future.
FIRST_YEAR = 2000


def _this_year() -> int:
    return datetime.now(service.PARIS).year


def _establishment(establishment_id: int, year: int, allowed) -> Establishment:
    establishment = db.get_or_404(Establishment, establishment_id)
    if not allowed(current_user, establishment.id):
        abort(403)
    if not FIRST_YEAR <= year <= _this_year():
        abort(404)
    return establishment


def _readable(establishment_id: int, year: int) -> Establishment:
    return _establishment(establishment_id, year, policy.can_view_annual_report)


@bp.get("/reclamations/etablissements/<int:establishment_id>/rapport/<int:year>")
@login_required
def annual_report(establishment_id: int, year: int):
    establishment = _readable(establishment_id, year)
    report = service.annual_report(establishment, year)
    return render_template("complaints/report/page.html", **output.context(report), this_year=_this_year(),
                           can_edit=policy.can_edit_annual_report(current_user, establishment.id))


def _download(body, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/reclamations/etablissements/<int:establishment_id>/rapport/<int:year>.csv")
@login_required
def annual_report_csv(establishment_id: int, year: int):
    report = service.annual_report(_readable(establishment_id, year), year)
    return _download(output.csv_text(report), "text/csv", output.filename(report, "csv"))


@bp.get("/reclamations/etablissements/<int:establishment_id>/rapport/<int:year>.pdf")
@login_required
def annual_report_pdf(establishment_id: int, year: int):
    report = service.annual_report(_readable(establishment_id, year), year)
    return _download(output.pdf_bytes(report), "application/pdf", output.filename(report, "pdf"))


class SectionsForm(FlaskForm):
    """The CDU's four free-text sections, each optional."""

    satisfaction = TextAreaField(service.SECTION_LABELS["satisfaction"],
                                 validators=[Length(max=service.SECTION_MAX_LENGTH)])
    dossier_medical = TextAreaField(service.SECTION_LABELS["dossier_medical"],
                                    validators=[Length(max=service.SECTION_MAX_LENGTH)])
    evenements_indesirables = TextAreaField(service.SECTION_LABELS["evenements_indesirables"],
                                            validators=[Length(max=service.SECTION_MAX_LENGTH)])
    projet_des_usagers = TextAreaField(service.SECTION_LABELS["projet_des_usagers"],
                                       validators=[Length(max=service.SECTION_MAX_LENGTH)])


@bp.route("/reclamations/etablissements/<int:establishment_id>/rapport/<int:year>/sections",
          methods=["GET", "POST"])
@login_required
def annual_report_sections(establishment_id: int, year: int):
    establishment = _establishment(establishment_id, year, policy.can_edit_annual_report)
    form = SectionsForm()
    if not form.is_submitted():
        for key, text in service.annual_report_sections(establishment, year).items():
            form[key].data = text
    done = submit(form, lambda: service.save_sections(
        establishment, year, {key: form[key].data for key in REPORT_SECTIONS}, by=current_user),
        done=_("The report's sections are saved."),
        redirect_to=url_for("complaints.annual_report", establishment_id=establishment.id, year=year))
    if done is not None:
        return done
    return render_template("complaints/report/sections.html", form=form, establishment=establishment,
                           year=year, keys=REPORT_SECTIONS), form_status(form)

