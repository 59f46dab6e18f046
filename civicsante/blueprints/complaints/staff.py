"""(being written: issue 6) The complaint file for the office, the mediators and CDU members."""
from flask import abort

from civicsante.blueprints.complaints import bp


@bp.get("/reclamations/suivi")
def staff_index():
    abort(404)
