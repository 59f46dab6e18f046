from flask import Blueprint

bp = Blueprint("notifications", __name__)

from civicsante.blueprints.notifications import routes  # noqa: F401
