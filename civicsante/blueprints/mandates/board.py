"""(being written: issue 5) The public vacant-seat board."""
from flask import abort

from civicsante.blueprints.mandates import bp


@bp.get("/sieges-vacants")
def board():
    abort(404)
