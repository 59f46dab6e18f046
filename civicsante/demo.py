"""Fictional demo data (``flask --app civicsante demo``). Idempotent: running it again changes nothing.

Everything here is invented: the "Val d'Exemple" territory, its places, establishments and people.
Codes use the department number 99, which INSEE does not give to any French department.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from civicsante import audit
from civicsante.accounts import services
from civicsante.accounts.models import RoleAssignment, User
from civicsante.extensions import db
from civicsante.reference.models import Association, Establishment, Territory
from civicsante.reference.services import create_territory

DEMO_PASSWORD = "demo-civicsante-2026"

# (code, name, kind, parent code)
TERRITORIES = [
    ("R99", "Région Exemple", "region", None),
    ("99", "Val d'Exemple", "departement", "R99"),
    ("EPCI99001", "Communauté de communes du Val Fleuri", "epci", "99"),
    ("99001", "Belrive", "commune", "EPCI99001"),
    ("99002", "Saint-Aubin-sur-Ciel", "commune", "EPCI99001"),
    ("99003", "Montclair", "commune", "EPCI99001"),
    ("QN099001", "Les Tilleuls", "quartier", "99001"),
    ("QN099002", "Le Haut-Belrive", "quartier", "99001"),
    ("QN099003", "La Gare", "quartier", "99003"),
]
ESTABLISHMENTS = [
    ("990000011", "Centre hospitalier de Belrive", "centre_hospitalier", "99001"),
    ("990000029", "Centre de santé communautaire des Tilleuls", "centre_de_sante_communautaire", "QN099001"),
]
ASSOCIATION = ("Association des usagers du Val", "regional", "ARS-RE-2024-017", date(2029, 6, 30), "R99")
# (label, e-mail, pseudonym, role, scope kind, scope code)
ACCOUNTS = [
    ("habitant·e", "habitante@demo.civicsante.fr", "Camille des Tilleuls", None, None, None),
    ("animateur·rice", "animateur@demo.civicsante.fr", "Animation Val Fleuri", "facilitator", "territory", "EPCI99001"),
    ("représentant·e des usagers", "ru@demo.civicsante.fr", "Jeanne RU", "user_representative", None, None),
    ("chargé·e des réclamations", "plaintes@demo.civicsante.fr", "Relations usagers CH Belrive",
     "complaints_officer", "establishment", "990000011"),
    ("médiateur·rice", "mediateur@demo.civicsante.fr", "Dr Médiation", "mediator", "establishment", "990000011"),
    ("administrateur·rice", "admin@demo.civicsante.fr", "Admin CivicSanté", "admin", None, None),
    # No role: demo_mandates makes this account the contact of the association above.
    ("contact d'association", "contact@demo.civicsante.fr", "Contact Usagers du Val", None, None, None),
]


def _territory(code: str) -> Territory:
    return db.session.execute(select(Territory).where(Territory.code == code)).scalar_one()


def load_demo() -> list[tuple[str, str]]:
    for code, name, kind, parent_code in TERRITORIES:
        if db.session.execute(select(Territory.id).where(Territory.code == code)).first() is None:
            create_territory(code=code, name=name, kind=kind,
                             parent=_territory(parent_code) if parent_code else None, by=None)
    for finess, name, kind, territory_code in ESTABLISHMENTS:
        if db.session.execute(select(Establishment.id).where(Establishment.finess == finess)).first() is None:
            db.session.add(Establishment(finess=finess, name=name, kind=kind,
                                         territory=_territory(territory_code)))
    name, level, number, expires, territory_code = ASSOCIATION
    if db.session.execute(select(Association.id).where(Association.name == name)).first() is None:
        db.session.add(Association(name=name, approval_level=level, approval_number=number,
                                   approval_expires_on=expires, territory=_territory(territory_code)))
    db.session.flush()

    home = _territory("QN099001")
    accounts = []
    for label, email, pseudonym, role, scope_kind, scope_code in ACCOUNTS:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = services.sign_up(email, pseudonym, DEMO_PASSWORD)
            user.home_territory = home
        if role and not user.has_role(role):
            territory = _territory(scope_code) if scope_kind == "territory" else None
            establishment = db.session.execute(
                select(Establishment).where(Establishment.finess == scope_code)
            ).scalar_one() if scope_kind == "establishment" else None
            db.session.add(RoleAssignment(user=user, role=role, territory=territory,
                                          establishment=establishment))
            db.session.flush()
            audit.record(None, "role.grant", user, role=role, via="demo")
        accounts.append((label, email))

    from civicsante.demo_needs import demo_residents, load_demo_needs

    facilitator = db.session.execute(select(User).where(User.email == "animateur@demo.civicsante.fr")).scalar_one()
    residents = demo_residents(home)
    residents.append(db.session.execute(select(User).where(User.email == "habitante@demo.civicsante.fr")).scalar_one())
    load_demo_needs(residents, facilitator)

    from civicsante.demo_consultations import load_demo_consultations

    load_demo_consultations(facilitator, residents[-1])

    from civicsante.demo_mandates import load_demo_mandates

    load_demo_mandates()

    from civicsante.demo_complaints import load_demo_complaints

    load_demo_complaints()  # issue 6: the CDU of the CH de Belrive and its complaints
    return accounts
