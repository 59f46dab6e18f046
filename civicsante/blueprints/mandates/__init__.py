"""The web of mandates (issue 5): the admin's instance types, instances, seats and mandates
(admin.py); the representative's desk, hours, leave, trainings and attestations (desk.py);
meetings, attendance and calendars (meetings.py); the public vacant-seat board and the residents'
interest (board.py); the association contact's people (association.py); the representativeness
figures (stats.py)."""
from flask import Blueprint

bp = Blueprint("mandates", __name__)

from civicsante.blueprints.mandates import (  # noqa: E402,F401
    admin,
    association,
    board,
    desk,
    meetings,
    stats,
)
