from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/compte")

from civicsante.blueprints.account import routes  # noqa: F401
