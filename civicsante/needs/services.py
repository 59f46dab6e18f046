"""Residents' needs: the use cases. Each runs in the caller's transaction, writes its audit row
where DESIGN.md §7 asks for one (moderation, contributions entered on someone's behalf), and
refuses with a DomainError carrying a translatable message."""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from civicsante import audit
from civicsante.accounts.models import User
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs import policy
from civicsante.needs.models import (
    CHANNELS,
    EN_EXAMEN,
    FUSIONNE,
    INTEGRE,
    NON_RETENU,
    NOUVEAU,
    REALISE,
    RETENU,
    STATUSES,
    AbuseReport,
    Comment,
    Follower,
    Need,
    NeedCategory,
    Notification,
    StatusChange,
    Support,
)
from civicsante.reference.models import Territory
from civicsante.text import normalise_for_search
from civicsante.types import utcnow

TITLE_MAX = 150
DESCRIPTION_MAX = 5000
COMMENT_MAX = 3000
# A status may move only along these arrows. "fusionné" is reached by merge_needs, never directly.
TRANSITIONS: dict[str, frozenset[str]] = {
    NOUVEAU: frozenset({EN_EXAMEN, RETENU, NON_RETENU}),
    EN_EXAMEN: frozenset({RETENU, NON_RETENU}),
    RETENU: frozenset({EN_EXAMEN, INTEGRE, REALISE}),
    NON_RETENU: frozenset({EN_EXAMEN}),
    INTEGRE: frozenset({REALISE}),
    REALISE: frozenset(),
    FUSIONNE: frozenset(),
}
REASON_REQUIRED = frozenset({NON_RETENU})


# Submitting -----------------------------------------------------------------------------------

def _check_text(title: str, description: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    description = (description or "").strip()
    if len(title) < 5:
        raise DomainError(_l("Give your need a title of at least 5 characters."), "title")
    if len(title) > TITLE_MAX:
        raise DomainError(_l("The title must be at most %(n)s characters long.", n=TITLE_MAX), "title")
    if len(description) < 10:
        raise DomainError(_l("Describe the need in a few words (at least 10 characters)."), "description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(_l("The description must be at most %(n)s characters long.", n=DESCRIPTION_MAX),
                          "description")
    return title, description


def _check_refs(category_id: int | None, territory_id: int | None) -> None:
    category = db.session.get(NeedCategory, category_id) if category_id else None
    if category is None or not category.active:
        raise DomainError(_l("Choose a category from the list."), "category_id")
    if not territory_id or db.session.get(Territory, territory_id) is None:
        raise DomainError(_l("Choose a territory from the list."), "territory_id")


def _new_need(*, title, description, category_id, territory_id, public_concerned, consent, **extra) -> Need:
    if not consent:
        raise DomainError(_l("Please confirm that your text does not identify anyone's health."), "consent")
    title, description = _check_text(title, description)
    _check_refs(category_id, territory_id)
    need = Need(
        title=title, description=description, category_id=category_id, territory_id=territory_id,
        public_concerned=(public_concerned or "").strip()[:200] or None,
        search_text=normalise_for_search(title, description), consent_at=utcnow(), **extra,
    )
    db.session.add(need)
    db.session.flush()
    db.session.add(StatusChange(need_id=need.id, from_status=None, to_status=NOUVEAU,
                                by_id=extra.get("entered_by_id") or extra.get("author_id")))
    return need


def submit_need(author: User, *, title: str, description: str, category_id: int | None,
                territory_id: int | None, public_concerned: str | None, consent: bool) -> Need:
    """A resident raises a need. Plain text only (links are made clickable when shown); the
    author confirms that nothing in it identifies a person's health (GDPR art. 9)."""
    if not policy.can_contribute(author):
        raise NotAllowed(_l("Log in to submit a need."))
    need = _new_need(title=title, description=description, category_id=category_id,
                     territory_id=territory_id, public_concerned=public_concerned, consent=consent,
                     author_id=author.id, channel="en_ligne")
    db.session.add(Follower(need_id=need.id, user_id=author.id))
    return need


def submit_need_on_behalf(facilitator: User, *, person: User | None, assisted_name: str | None,
                          assisted_contact: str | None, channel: str, title: str, description: str,
                          category_id: int | None, territory_id: int | None,
                          public_concerned: str | None, consent: bool) -> Need:
    """A facilitator enters a need for someone met in person, by phone or on paper — for an
    existing account or a person without one (name kept private). The channel and the
    facilitator are recorded and the entry is audit-logged; the person's consent is required."""
    territory = db.session.get(Territory, territory_id) if territory_id else None
    if territory is None or not policy.can_moderate_territory(facilitator, territory):
        raise NotAllowed(_l("You can only enter needs for the territories you facilitate."))
    if channel not in CHANNELS or channel == "en_ligne":
        raise DomainError(_l("Say how the need was collected."), "channel")
    if person is None and not (assisted_name or "").strip():
        raise DomainError(_l("Give the person's name (it stays private) or choose their account."),
                          "assisted_name")
    need = _new_need(
        title=title, description=description, category_id=category_id, territory_id=territory_id,
        public_concerned=public_concerned, consent=consent, channel=channel,
        author_id=person.id if person else None, entered_by_id=facilitator.id,
        assisted_name=None if person else assisted_name.strip()[:120],
        assisted_contact=None if person else ((assisted_contact or "").strip()[:200] or None),
    )
    if person is not None:
        db.session.add(Follower(need_id=need.id, user_id=person.id))
    audit.record(facilitator, "need.entered_on_behalf", need, channel=channel,
                 person_id=person.id if person else None)
    return need


# Supports and followers -----------------------------------------------------------------------

def _insert_ignoring_duplicates(model, values: dict, conflict_columns: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True when the row is new. Race-free: two requests
    supporting at once both succeed and exactly one row exists."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
                 .returning(*model.__table__.primary_key.columns))
    # RETURNING rather than rowcount: the driver's rowcount is not reliable for this statement.
    return db.session.execute(statement).first() is not None


def _open_for_contributions(need: Need) -> None:
    if need.hidden or need.status == FUSIONNE:
        raise DomainError(_l("This need no longer takes contributions."))


def support(need: Need, user: User, *, channel: str = "en_ligne", entered_by: User | None = None) -> bool:
    """"Moi aussi": at most one support per person per need (unique constraint). Supporting
    twice is not an error; the count is only raised by a new support. Answers whether it was new."""
    _open_for_contributions(need)
    created = _insert_ignoring_duplicates(
        Support, {"need_id": need.id, "user_id": user.id, "channel": channel,
                  "entered_by_id": entered_by.id if entered_by else None, "created_at": utcnow(),
                  "consent_at": utcnow() if entered_by else None},
        ["need_id", "user_id"])
    if created:
        db.session.execute(update(Need).where(Need.id == need.id)
                           .values(supports_count=Need.supports_count + 1))
        _insert_ignoring_duplicates(Follower, {"need_id": need.id, "user_id": user.id},
                                    ["need_id", "user_id"])
    if entered_by is not None:
        audit.record(entered_by, "need.supported_on_behalf", need, person_id=user.id, channel=channel)
    return created


def support_on_behalf(facilitator: User, need: Need, *, person: User | None, assisted_name: str | None,
                      channel: str, consent: bool) -> None:
    """A facilitator records a support for a person met offline (with their consent)."""
    if not policy.can_moderate(facilitator, need):
        raise NotAllowed(_l("You can only enter supports for the territories you facilitate."))
    if channel not in CHANNELS or channel == "en_ligne":
        raise DomainError(_l("Say how the support was collected."), "channel")
    if not consent:
        raise DomainError(_l("The person must agree to this support being recorded."), "consent")
    if person is not None:
        support(need, person, channel=channel, entered_by=facilitator)
        return
    if not (assisted_name or "").strip():
        raise DomainError(_l("Give the person's name (it stays private) or choose their account."),
                          "assisted_name")
    _open_for_contributions(need)
    db.session.add(Support(need_id=need.id, user_id=None, channel=channel, entered_by_id=facilitator.id,
                           assisted_name=assisted_name.strip()[:120], consent_at=utcnow()))
    db.session.execute(update(Need).where(Need.id == need.id).values(supports_count=Need.supports_count + 1))
    audit.record(facilitator, "need.supported_on_behalf", need, person_id=None, channel=channel)


def withdraw_support(need: Need, user: User) -> bool:
    deleted = db.session.execute(
        delete(Support).where(Support.need_id == need.id, Support.user_id == user.id)).rowcount
    if deleted:
        db.session.execute(update(Need).where(Need.id == need.id)
                           .values(supports_count=Need.supports_count - deleted))
    return bool(deleted)


def has_supported(need: Need, user) -> bool:
    if not policy.can_contribute(user):
        return False
    return db.session.execute(select(Support.id).where(
        Support.need_id == need.id, Support.user_id == user.id)).first() is not None


def follow(need: Need, user: User) -> None:
    _insert_ignoring_duplicates(Follower, {"need_id": need.id, "user_id": user.id}, ["need_id", "user_id"])


def unfollow(need: Need, user: User) -> None:
    db.session.execute(delete(Follower).where(Follower.need_id == need.id, Follower.user_id == user.id))


def is_following(need: Need, user) -> bool:
    if not policy.can_contribute(user):
        return False
    return db.session.get(Follower, (need.id, user.id)) is not None


# Comments -------------------------------------------------------------------------------------

def _check_comment(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError(_l("Write your comment."), "body")
    if len(body) > COMMENT_MAX:
        raise DomainError(_l("A comment must be at most %(n)s characters long.", n=COMMENT_MAX), "body")
    return body


def add_comment(need: Need, author: User, body: str) -> Comment:
    if not policy.can_contribute(author):
        raise NotAllowed(_l("Log in to comment."))
    _open_for_contributions(need)
    comment = Comment(need_id=need.id, author_id=author.id, body=_check_comment(body))
    db.session.add(comment)
    db.session.execute(update(Need).where(Need.id == need.id).values(comments_count=Need.comments_count + 1))
    db.session.flush()
    return comment


def edit_comment(comment: Comment, by: User, body: str) -> None:
    """The author may correct a comment within 15 minutes of posting it."""
    if not policy.can_edit_comment(by, comment):
        raise NotAllowed(_l("A comment can only be changed by its author, within 15 minutes."))
    comment.body = _check_comment(body)
    comment.edited_at = utcnow()


def delete_comment(comment: Comment, by: User) -> None:
    if not policy.can_delete_comment(by, comment):
        raise NotAllowed(_l("Only the author can delete this comment."))
    comment.deleted_at = utcnow()
    comment.body = ""
    db.session.execute(update(Need).where(Need.id == comment.need_id)
                       .values(comments_count=Need.comments_count - 1))


# Reports and moderation -----------------------------------------------------------------------

def report(target: Need | Comment, reporter: User, reason: str, *, auto_hide_after: int) -> None:
    """Report abuse. After ``auto_hide_after`` reports from different people the item is hidden
    until a facilitator reviews it (the setting NEED_AUTO_HIDE_REPORTS, 3 by default)."""
    if not policy.can_contribute(reporter):
        raise NotAllowed(_l("Log in to report."))
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise DomainError(_l("Say briefly what is wrong."), "reason")
    key = {"need_id": target.id, "comment_id": None} if isinstance(target, Need) else \
          {"need_id": None, "comment_id": target.id}
    already = db.session.execute(select(AbuseReport.id).filter_by(reporter_id=reporter.id, **key)).first()
    if already:
        return
    db.session.add(AbuseReport(reporter_id=reporter.id, reason=reason[:500], **key))
    target.report_count += 1
    if target.report_count >= auto_hide_after and not target.hidden:
        # No stored reason: the page says "pending review" in each reader's own language.
        target.hidden, target.pending_review, target.hidden_reason = True, True, None
        audit.record(None, "moderation.auto_hide", target, reports=target.report_count)


def _resolve_reports(target) -> None:
    column = AbuseReport.need_id if isinstance(target, Need) else AbuseReport.comment_id
    db.session.execute(update(AbuseReport).where(column == target.id, AbuseReport.resolved_at.is_(None))
                       .values(resolved_at=utcnow()))


def _need_of(target) -> Need:
    return target if isinstance(target, Need) else db.session.get(Need, target.need_id)


def hide(target: Need | Comment, by: User, reason: str) -> None:
    """Hide a need or a comment; the reason is shown publicly ("masqué par la modération : …")."""
    if not policy.can_moderate(by, _need_of(target)):
        raise NotAllowed(_l("Only a facilitator of this territory can moderate it."))
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise DomainError(_l("Give the reason, it will be shown publicly."), "reason")
    target.hidden, target.hidden_reason, target.pending_review = True, reason[:500], False
    _resolve_reports(target)
    audit.record(by, "moderation.hide", target, reason=reason[:500])


def restore(target: Need | Comment, by: User) -> None:
    if not policy.can_moderate(by, _need_of(target)):
        raise NotAllowed(_l("Only a facilitator of this territory can moderate it."))
    target.hidden, target.hidden_reason, target.pending_review = False, None, False
    _resolve_reports(target)
    audit.record(by, "moderation.restore", target)


def set_status(need: Need, new_status: str, by: User, reason: str | None) -> None:
    """Move a need along its public timeline (TRANSITIONS); "non retenu" needs a reason. Authors,
    supporters and followers are told."""
    if not policy.can_moderate(by, need):
        raise NotAllowed(_l("Only a facilitator of this territory can change the status."))
    if new_status not in STATUSES or new_status not in TRANSITIONS[need.status]:
        raise DomainError(_l("This status cannot follow the current one."), "status")
    reason = (reason or "").strip() or None
    if new_status in REASON_REQUIRED and not reason:
        raise DomainError(_l("Explain publicly why the need is not accepted."), "reason")
    db.session.add(StatusChange(need_id=need.id, from_status=need.status, to_status=new_status,
                                reason=reason, by_id=by.id))
    old = need.status
    need.status, need.status_reason = new_status, reason
    audit.record(by, "need.status", need, from_status=old, to_status=new_status)
    notify_followers(need, "status", {"status": new_status, "reason": reason})


# A consultation's priority can be built from needs not yet decided on, as well as accepted ones.
INTEGRABLE = frozenset({NOUVEAU, EN_EXAMEN, RETENU})


def integrate_into_priority(need: Need, by: User, *, priority_title: str, consultation_title: str) -> None:
    """A need becomes part of a consultation's candidate priority: its status moves to
    "intégré à une priorité" with a public explanation naming the priority, and its authors,
    supporters and followers are told. A need already integrated (in another priority) stays so."""
    if not policy.can_moderate(by, need):
        raise NotAllowed(_l("Only a facilitator of this territory can change the status."))
    if need.status == INTEGRE:
        return
    if need.status not in INTEGRABLE:
        raise DomainError(_l("Only new, under review or accepted needs can join a priority."), "need_ids")
    reason = str(_l("Part of the priority “%(priority)s” of the consultation “%(consultation)s”.",
                    priority=priority_title, consultation=consultation_title))
    db.session.add(StatusChange(need_id=need.id, from_status=need.status, to_status=INTEGRE,
                                reason=reason, by_id=by.id))
    old = need.status
    need.status, need.status_reason = INTEGRE, reason
    audit.record(by, "need.status", need, from_status=old, to_status=INTEGRE)
    notify_followers(need, "status", {"status": INTEGRE, "reason": reason})


def merge_needs(source: Need, target: Need, by: User, reason: str | None = None) -> None:
    """Merge a duplicate into the need kept. Supports and followers move to the kept need — a
    person who supported both counts once — and the merged need redirects to it. Everyone who
    followed either is told."""
    if source.id == target.id:
        raise DomainError(_l("Choose another need to merge into."), "target_id")
    if not (policy.can_moderate(by, source) and policy.can_moderate(by, target)):
        raise NotAllowed(_l("Only a facilitator of both territories can merge these needs."))
    if source.status == FUSIONNE or target.status == FUSIONNE:
        raise DomainError(_l("A merged need cannot be merged again."), "target_id")
    # Tell the merged need's people before they move (the kept need's people are not concerned).
    notify_followers(source, "merged", {"target_id": target.id, "target_title": target.title})
    already = select(Support.user_id).where(Support.need_id == target.id, Support.user_id.is_not(None))
    db.session.execute(update(Support).where(
        Support.need_id == source.id, (Support.user_id.is_(None)) | (Support.user_id.not_in(already)))
        .values(need_id=target.id))
    db.session.execute(delete(Support).where(Support.need_id == source.id))
    following = select(Follower.user_id).where(Follower.need_id == target.id)
    db.session.execute(update(Follower).where(Follower.need_id == source.id, Follower.user_id.not_in(following))
                       .values(need_id=target.id))
    db.session.execute(delete(Follower).where(Follower.need_id == source.id))
    target.supports_count = db.session.execute(
        select(func.count()).select_from(Support).where(Support.need_id == target.id)).scalar_one()
    db.session.add(StatusChange(need_id=source.id, from_status=source.status, to_status=FUSIONNE,
                                reason=(reason or "").strip() or None, by_id=by.id))
    source.status, source.merged_into_id, source.supports_count = FUSIONNE, target.id, 0
    source.status_reason = (reason or "").strip() or None
    audit.record(by, "need.merge", source, into=target.id)


# Notifications --------------------------------------------------------------------------------

def _people_following(need: Need) -> list[int]:
    """Author, supporters and followers of ``need`` (each once)."""
    ids = set(db.session.execute(select(Follower.user_id).where(Follower.need_id == need.id)).scalars())
    ids.update(db.session.execute(select(Support.user_id).where(
        Support.need_id == need.id, Support.user_id.is_not(None))).scalars())
    if need.author_id:
        ids.add(need.author_id)
    return sorted(ids)


def notify_followers(need: Need, kind: str, detail: dict) -> list[Notification]:
    """An in-app notification for each person following the need; e-mail is sent by the
    notifications module according to each person's choice (immediately or weekly)."""
    payload = json.dumps({"title": need.title, **detail}, ensure_ascii=False, default=str)
    notifications = [Notification(user_id=uid, need_id=need.id, kind=kind, detail=payload)
                     for uid in _people_following(need)]
    db.session.add_all(notifications)
    return notifications


# GDPR -----------------------------------------------------------------------------------------

def _export_personal_data(user: User) -> dict:
    """What the needs area holds about a person (GDPR art. 15/20). On erasure nothing is
    deleted here: the needs and comments stay public, signed "compte supprimé"."""
    needs = db.session.execute(select(Need).where(Need.author_id == user.id).order_by(Need.id)).scalars()
    supported = db.session.execute(select(Support.need_id, Support.created_at)
                                   .where(Support.user_id == user.id).order_by(Support.id)).all()
    comments = db.session.execute(select(Comment).where(Comment.author_id == user.id,
                                                        Comment.deleted_at.is_(None))
                                  .order_by(Comment.id)).scalars()
    followed = db.session.execute(select(Follower.need_id).where(Follower.user_id == user.id)).scalars()
    return {
        "needs": [{"id": n.id, "title": n.title, "description": n.description, "status": n.status,
                   "created_at": n.created_at.isoformat()} for n in needs],
        "supports": [{"need_id": need_id, "created_at": at.isoformat()} for need_id, at in supported],
        "comments": [{"need_id": c.need_id, "body": c.body, "created_at": c.created_at.isoformat()}
                     for c in comments],
        "following": list(followed),
    }


def _register_personal_data() -> None:
    from civicsante.accounts.services import register_personal_data

    register_personal_data("needs", _export_personal_data)


_register_personal_data()
