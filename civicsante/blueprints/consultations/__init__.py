"""The web of consultations (issue 4): browse, read and vote (public.py), results, charts and
recount files (results.py), the facilitator's tools — set-up, phases, priorities, paper and
assisted ballots, follow-up (manage.py). ``ballot_input.py`` reads a ballot form for every method."""
from flask import Blueprint

bp = Blueprint("consultations", __name__)

from civicsante.blueprints.consultations import manage, public, results  # noqa: E402,F401
