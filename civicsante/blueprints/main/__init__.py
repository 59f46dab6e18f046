from flask import Blueprint

bp = Blueprint("main", __name__)

from civicsante.blueprints.main import routes  # noqa: F401
