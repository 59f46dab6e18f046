"""(being written: issue 6) Filing a complaint online and the complainant's own timeline."""
from flask import abort

from civicsante.blueprints.complaints import bp


@bp.get("/reclamations")
def index():
    abort(404)
