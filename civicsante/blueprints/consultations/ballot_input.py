"""Reading a ballot form, for every voting method, into the ballot the services take.

One set of field names, used by the voter's ballot page, the confirmation step (as hidden
fields), the assisted ballot and the paper ballots a facilitator types:

- single: ``choice`` = a priority's candidate id (radio buttons);
- approval: ``approve`` = candidate ids (checkboxes, several values);
- borda / schulze: ``rank-<id>`` = "" (not ranked) or 1..n (a select per priority);
- points: ``points-<id>`` = a non-negative integer (empty = 0);
- majority_judgment: ``grade-<id>`` = 0..G-1 (a row of radio buttons per priority).

``read_ballot`` answers ``(ballot, errors)``: ``errors`` maps a field name (or ``"ballot"``
for the whole) to a French message, shown next to the field; the typed values come back in
``values`` so nothing is lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from civicsante.consultations.models import RANKED_METHODS, Consultation
from civicsante.consultations.services import grade_count


@dataclass
class BallotInput:
    ballot: object = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)  # what was typed, by field name

    @property
    def ok(self) -> bool:
        return not self.errors


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except (AttributeError, ValueError):
        return None


def read_ballot(consultation: Consultation, formdata) -> BallotInput:
    """Parse and check ``formdata`` (a MultiDict) against the consultation's method."""
    method = consultation.method
    ids = [p.candidate_id for p in consultation.priorities]
    read = BallotInput()
    if method == "single":
        choice = (formdata.get("choice") or "").strip()
        read.values["choice"] = choice
        if choice not in ids:
            read.errors["choice"] = _("Choose one priority.")
        read.ballot = choice
    elif method == "approval":
        chosen = [c for c in formdata.getlist("approve") if c in ids]
        read.values["approve"] = chosen
        if consultation.max_approvals and len(chosen) > consultation.max_approvals:
            read.errors["approve"] = ngettext("Choose at most %(num)s priority.",
                                              "Choose at most %(num)s priorities.", consultation.max_approvals)
        read.ballot = sorted(set(chosen), key=ids.index)
    elif method in RANKED_METHODS:
        ranks: dict[str, int] = {}
        for cid in ids:
            text = (formdata.get(f"rank-{cid}") or "").strip()
            read.values[f"rank-{cid}"] = text
            if not text:
                continue
            rank = _int(text)
            if rank is None or not 1 <= rank <= len(ids):
                read.errors[f"rank-{cid}"] = _("Choose a rank from the list.")
            else:
                ranks[cid] = rank
        seen: dict[int, str] = {}
        for cid, rank in ranks.items():
            if rank in seen:
                read.errors[f"rank-{cid}"] = _("Rank %(rank)s is already given to another priority.", rank=rank)
            seen.setdefault(rank, cid)
        if not ranks and not read.errors:
            read.errors["ballot"] = _("Rank at least one priority.")
        read.ballot = [cid for cid, _rank in sorted(ranks.items(), key=lambda kv: (kv[1], ids.index(kv[0])))]
    elif method == "points":
        budget = consultation.points_budget or 0
        points: dict[str, int] = {}
        for cid in ids:
            text = (formdata.get(f"points-{cid}") or "").strip()
            read.values[f"points-{cid}"] = text
            if not text:
                continue
            value = _int(text)
            if value is None or value < 0:
                read.errors[f"points-{cid}"] = _("Give a whole number of points, 0 or more.")
            elif value:
                points[cid] = value
        total = sum(points.values())
        if total > budget:
            read.errors["ballot"] = _("You gave %(total)s points: the budget is %(budget)s.", total=total,
                                      budget=budget)
        elif not points and not read.errors:
            read.errors["ballot"] = _("Give points to at least one priority.")
        read.ballot = points
    else:  # majority judgment: every priority gets a grade (an ungraded one would count as the worst)
        grades = grade_count(consultation)
        graded: dict[str, int] = {}
        for cid in ids:
            text = (formdata.get(f"grade-{cid}") or "").strip()
            read.values[f"grade-{cid}"] = text
            grade = _int(text)
            if grade is None or not 0 <= grade < grades:
                read.errors[f"grade-{cid}"] = _("Choose a grade for this priority.")
            else:
                graded[cid] = grade
        read.ballot = graded
    return read


def values_of(consultation: Consultation, ballot) -> dict[str, object]:
    """The form values that show ``ballot`` (to pre-fill a changed open ballot, or the hidden
    fields of the confirmation step)."""
    method = consultation.method
    if ballot is None:
        return {}
    if method == "single":
        return {"choice": ballot}
    if method == "approval":
        return {"approve": list(ballot)}
    if method in RANKED_METHODS:
        return {f"rank-{cid}": str(rank) for rank, cid in enumerate(ballot, start=1)}
    prefix = "points" if method == "points" else "grade"
    return {f"{prefix}-{cid}": str(value) for cid, value in ballot.items()}


def hidden_fields(values: dict[str, object]) -> list[tuple[str, str]]:
    """(name, value) pairs for the confirmation step's hidden inputs."""
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        for item in (value if isinstance(value, list) else [value]):
            if item not in (None, ""):
                pairs.append((name, str(item)))
    return pairs
