"""The web of residents' health needs (issue 3): browse and read (routes.py), moderate
(moderation.py), enter contributions on someone's behalf and export (assisted.py)."""
from flask import Blueprint

bp = Blueprint("needs", __name__)

from civicsante.blueprints.needs import assisted, common, moderation, routes  # noqa: F401
