from flask import Blueprint

bp = Blueprint("auth", __name__)

from civicsante.blueprints.auth import routes  # noqa: F401
