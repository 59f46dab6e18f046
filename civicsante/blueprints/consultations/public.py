"""Residents' side of consultations: browse, read, vote, receipt."""
from __future__ import annotations

from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.consultations.services import consultations_query

from . import bp


@bp.get("/consultations")
def index():
    page = paginate(consultations_query())
    return render_page_or_partial("consultations/index.html", "consultations/_list.html", page=page)
