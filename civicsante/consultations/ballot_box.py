"""What casting a ballot needs to know of a consultation, as plain values kept in each worker.

Every ballot reads its consultation's method, vote dates, territory and candidate priorities.
Loaded as ORM objects (the consultation with its territory, then its priorities), that took two
queries and about a fifth of the vote endpoint's time. A ``BallotBox`` holds the same values,
kept per worker under the consultations' data generation (``civicsante.cache``, migration 0010):
one read of one row tells that it still holds, whoever changed the consultation — a facilitator
closing the vote by hand in another worker, a script, SQL typed by hand.

The box answers the same questions as the model, with the model's own code (``phase``,
``tally_options``): ``services.cast_ballot``, ``policy.is_eligible`` and ``read_ballot`` take
either. Pages that show the consultation still load the model. Between the read of the box and
the write, a close is caught by the INSERT of the participation row, which checks the vote's
dates in SQL (``services.cast_ballot``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from civicsante.cache import CONSULTATIONS, generation, kept, kept_copies
from civicsante.consultations.models import Consultation, Priority
from civicsante.extensions import db
from civicsante.reference.models import Territory

# One box per consultation being voted on; a handful run at once even on a large deployment.
KEPT_BOXES = 64


@dataclass(frozen=True)
class BoxTerritory:
    id: int
    path: str


@dataclass(frozen=True)
class BoxPriority:
    id: int

    @property
    def candidate_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True, eq=False)
class BallotBox:
    id: int
    method: str
    secrecy: str
    max_approvals: int | None
    points_budget: int | None
    grade_labels_json: str | None
    collect_starts_at: datetime
    deliberation_starts_at: datetime
    vote_starts_at: datetime
    vote_ends_at: datetime
    followup_starts_at: datetime
    territory: BoxTerritory
    priorities: tuple[BoxPriority, ...]  # in the ballot's order

    # The model's rules, which read only the fields above.
    phase = Consultation.phase
    grade_labels = Consultation.grade_labels
    tally_options = Consultation.tally_options


_FIELDS = ("id", "method", "secrecy", "max_approvals", "points_budget", "grade_labels_json",
           "collect_starts_at", "deliberation_starts_at", "vote_starts_at", "vote_ends_at",
           "followup_starts_at")
_CONSULTATION = (select(*(getattr(Consultation, name) for name in _FIELDS), Territory.id, Territory.path)
                 .join(Territory, Territory.id == Consultation.territory_id)
                 .where(Consultation.id == bindparam("id")))
_PRIORITIES = (select(Priority.id).where(Priority.consultation_id == bindparam("id"))
               .order_by(Priority.position, Priority.id))


def _read(consultation_id: int) -> BallotBox | None:
    row = db.session.execute(_CONSULTATION, {"id": consultation_id}).first()
    if row is None:
        return None
    priorities = db.session.execute(_PRIORITIES, {"id": consultation_id}).scalars()
    values = dict(zip(_FIELDS, row, strict=False))
    return BallotBox(**values, territory=BoxTerritory(*row[len(_FIELDS):]),
                     priorities=tuple(BoxPriority(pid) for pid in priorities))


def ballot_box(consultation_id: int) -> BallotBox | None:
    """The consultation's ballot box (None if there is no such consultation): the copy this
    worker keeps, or read afresh when the consultations' generation has moved."""
    return kept(kept_copies(CONSULTATIONS, KEPT_BOXES), generation(CONSULTATIONS), ("box", consultation_id),
                lambda: _read(consultation_id))
