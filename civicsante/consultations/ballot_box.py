"""What casting a ballot needs to know of a consultation, as plain values kept in each worker.

Every ballot reads its consultation's method, vote dates, territory and candidate priorities.
Loaded as ORM objects (the consultation with its territory, then its priorities), that took two
queries and about a fifth of the vote endpoint's time. A ``BallotBox`` holds the same values,
kept per worker under the consultations' data generation (``civicsante.cache``, migration 0010):
one read of one row tells that it still holds, whoever changed the consultation — a facilitator
closing the vote by hand in another worker, a script, SQL typed by hand.

The box answers the same questions as the model, with the model's own code (``phase``,
``tally_options``): ``services.cast_ballot``, ``policy.is_eligible`` and ``read_ballot`` take
either. Pages that show the consultation still load the model.

A box remembers the generation it was read under. The INSERT of the participation row checks in
SQL, under the write lock, that the vote is open and that the generation still has that value
(``services.cast_ballot``): a ballot is written only if the consultation is still the one it was
checked against, whatever changed between the read of the box and the write. That check is what
lets a ballot be cast against the copy this worker keeps without reading the generation first
(``kept_ballot_box``): when the consultation has changed meanwhile, the INSERT writes nothing,
and the ballot is checked again against a box read afresh.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from civicsante.cache import CONSULTATIONS, generation, kept_copies
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
    generation: int | None = None  # of the consultations, when the box was read

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


def _read(consultation_id: int, generation_value: int | None) -> BallotBox | None:
    row = db.session.execute(_CONSULTATION, {"id": consultation_id}).first()
    if row is None:
        return None
    priorities = db.session.execute(_PRIORITIES, {"id": consultation_id}).scalars()
    values = dict(zip(_FIELDS, row, strict=False))
    return BallotBox(**values, territory=BoxTerritory(*row[len(_FIELDS):]),
                     priorities=tuple(BoxPriority(pid) for pid in priorities), generation=generation_value)


def _store():
    return kept_copies(CONSULTATIONS, KEPT_BOXES)


def kept_ballot_box(consultation_id: int) -> BallotBox | None:
    """The box this worker keeps for the consultation, without any read: it may be out of date,
    which ``services.cast_ballot`` finds out when it writes (None if none is kept)."""
    return _store().get(("box", consultation_id))


def ballot_box(consultation_id: int) -> BallotBox | None:
    """The consultation's ballot box (None if there is no such consultation), up to date: the
    copy this worker keeps if the consultations' generation has not moved since it was read,
    otherwise read afresh (and kept, unless there is no generation to keep it under)."""
    value = generation(CONSULTATIONS)
    store = _store()
    box = store.get(("box", consultation_id))
    if box is not None and value is not None and box.generation == value:
        return box
    box = _read(consultation_id, value)
    if box is not None and value is not None:  # ids that do not exist cannot push real boxes out
        store.put(("box", consultation_id), box)
    return box
