"""Who may do what with consultations. Every function refuses by default."""
from __future__ import annotations

from civicsante.consultations.models import AFTER_CLOSE, FOLLOW_UP, RESULTS, VOTE, Consultation
from civicsante.needs.policy import can_moderate_territory


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can_create_in(user, territory) -> bool:
    """A facilitator runs consultations on the territory they facilitate or inside it."""
    return _active(user) and territory is not None and can_moderate_territory(user, territory)


def can_manage(user, consultation: Consultation) -> bool:
    """Edit, add priorities, open and close phases, enter paper and assisted ballots, post the
    follow-up: the facilitators of the consultation's territory."""
    return can_create_in(user, consultation.territory)


def is_eligible(user, consultation: Consultation) -> bool:
    """Residents whose home territory is the consultation's territory or inside it."""
    home = getattr(user, "home_territory", None) if _active(user) else None
    return home is not None and home.path.startswith(consultation.territory.path)


def can_vote(user, consultation: Consultation, now=None) -> bool:
    return is_eligible(user, consultation) and consultation.phase(now) == VOTE


def results_public(consultation: Consultation, now=None) -> bool:
    """Live results show during the vote; otherwise nobody — facilitators included — sees a
    figure before the close, so that no partial result can sway the vote."""
    phase = consultation.phase(now)
    if phase in (RESULTS, FOLLOW_UP):
        return True
    return phase == VOTE and consultation.results_visibility != AFTER_CLOSE


def ballots_downloadable(consultation: Consultation, now=None) -> bool:
    """The anonymised ballots are published for anyone to recount, once the vote is closed."""
    return consultation.phase(now) in (RESULTS, FOLLOW_UP)
