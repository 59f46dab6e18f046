"""Factory functions for test data. Each one runs in its own app context, commits, and returns
the object detached with its columns loaded (use ``.id`` and plain fields, not lazy relations)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from civicsante.accounts.models import RoleAssignment, User
from civicsante.accounts.passwords import hash_password
from civicsante.extensions import db
from civicsante.reference.models import Association, Establishment, Territory
from civicsante.reference.services import create_territory

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_password_hash_cache: dict[str, str] = {}


def _detach(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


def make_territory(app, *, name=None, kind="commune", code=None, parent_id=None) -> Territory:
    n = next(_counter)
    with app.app_context():
        parent = db.session.get(Territory, parent_id) if parent_id else None
        territory = create_territory(code=code or f"T{n:05d}", name=name or f"Commune {n}", kind=kind,
                                     parent=parent, by=None)
        db.session.commit()
        return _detach(territory)


def make_establishment(app, *, territory_id, name=None, finess=None, kind="centre_hospitalier") -> Establishment:
    n = next(_counter)
    with app.app_context():
        establishment = Establishment(finess=finess or f"{990100000 + n}", name=name or f"Hôpital {n}",
                                      kind=kind, territory_id=territory_id)
        db.session.add(establishment)
        db.session.commit()
        return _detach(establishment)


def make_association(app, *, name=None, expires=date(2030, 1, 1), territory_id=None) -> Association:
    n = next(_counter)
    with app.app_context():
        association = Association(name=name or f"Association {n}", approval_level="regional",
                                  approval_number=f"AG-{n}", approval_expires_on=expires,
                                  territory_id=territory_id)
        db.session.add(association)
        db.session.commit()
        return _detach(association)


def make_user(app, *, email=None, pseudonym=None, password=PASSWORD, role=None, territory_id=None,
              establishment_id=None, home_territory_id=None, language="fr", age_band=None) -> User:
    n = next(_counter)
    if password not in _password_hash_cache:  # argon2 is slow on purpose; hash once per password
        _password_hash_cache[password] = hash_password(password)
    with app.app_context():
        pseudonym = pseudonym or f"Personne {n}"
        user = User(email=email or f"personne{n}@example.org", pseudonym=pseudonym,
                    pseudonym_key=pseudonym.casefold(), password_hash=_password_hash_cache[password],
                    home_territory_id=home_territory_id, language=language, age_band=age_band)
        db.session.add(user)
        db.session.flush()
        if role:
            db.session.add(RoleAssignment(user_id=user.id, role=role, territory_id=territory_id,
                                          establishment_id=establishment_id))
        db.session.commit()
        return _detach(user)


def make_need(app, *, author_id=None, territory_id, title=None, description=None, category_code="premier_recours",
              status=None, supports=0):
    """A need submitted online by ``author_id`` (a new resident when None)."""
    from sqlalchemy import select

    from civicsante.needs import services
    from civicsante.needs.models import Need, NeedCategory

    n = next(_counter)
    author_id = author_id or make_user(app, home_territory_id=territory_id).id
    with app.app_context():
        category_id = db.session.execute(
            select(NeedCategory.id).where(NeedCategory.code == category_code)).scalar_one()
        need = services.submit_need(
            db.session.get(User, author_id), title=title or f"Besoin numéro {n}",
            description=description or "Une description suffisamment longue.", category_id=category_id,
            territory_id=territory_id, public_concerned=None, consent=True)
        if status:
            need.status = status
        db.session.commit()
        need_id = need.id
    for _ in range(supports):
        supporter = make_user(app)
        with app.app_context():
            services.support(db.session.get(Need, need_id), db.session.get(User, supporter.id))
            db.session.commit()
    with app.app_context():
        return _detach(db.session.get(Need, need_id))


@dataclass
class World:
    """A small territory tree with two establishments, enough for permission tests."""

    region: Territory
    departement: Territory
    commune: Territory
    other_commune: Territory
    quartier: Territory
    hospital: Establishment
    other_hospital: Establishment
    association: Association


def make_world(app) -> World:
    region = make_territory(app, name="Région Test", kind="region", code="R01")
    departement = make_territory(app, name="Département Test", kind="departement", code="D01",
                                 parent_id=region.id)
    commune = make_territory(app, name="Belrive", kind="commune", code="01001", parent_id=departement.id)
    other = make_territory(app, name="Montclair", kind="commune", code="01002", parent_id=departement.id)
    quartier = make_territory(app, name="Les Tilleuls", kind="quartier", code="Q01001", parent_id=commune.id)
    hospital = make_establishment(app, territory_id=commune.id, name="CH de Belrive", finess="010000011")
    other_hospital = make_establishment(app, territory_id=other.id, name="Clinique de Montclair",
                                        finess="010000029", kind="clinique")
    association = make_association(app, name="Usagers Test", territory_id=region.id)
    return World(region, departement, commune, other, quartier, hospital, other_hospital, association)


def make_comment(app, *, need_id, author_id=None, body=None):
    """A comment on a need by ``author_id`` (a new resident when None)."""
    from civicsante.needs import services
    from civicsante.needs.models import Comment, Need

    author_id = author_id or make_user(app).id
    with app.app_context():
        comment = services.add_comment(db.session.get(Need, need_id), db.session.get(User, author_id),
                                       body or f"Commentaire numéro {next(_counter)}.")
        db.session.commit()
        return _detach(db.session.get(Comment, comment.id))
