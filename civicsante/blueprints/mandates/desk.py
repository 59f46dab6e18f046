"""(being written: issue 5) The representative's desk."""
from flask import abort

from civicsante.blueprints.mandates import bp


@bp.get("/mon-bureau")
def desk():
    abort(404)
