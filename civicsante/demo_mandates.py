"""Demo mandates for the fictional Val d'Exemple (loaded by ``flask demo``; idempotent).

- a second approved association, and a contact for the first one (contact@demo.civicsante.fr);
- the CDU of the Centre hospitalier de Belrive: 2 RU titulaires, 2 RU suppléants (the second one
  vacant), a medical mediator, a non-medical mediator and the president (who stands for the
  legal representative); a CTS on the département 99 with a titulaire and their suppléant;
- five representatives whose mandates end in about 20 days, 50 days, 100 days, a year and two
  and a half years, so that every ending alert (120 / 60 / 30 days) has something to say; the
  demo representative (ru@demo.civicsante.fr) holds the one ending soonest;
- basic trainings done, except for one representative designated long ago (the training alert);
- meetings past (with attendance and hours) and future (one with its agenda sent).

Dates are counted from the day the demo is loaded. Rows are written with the ORM, obeying the
rules the services enforce: an RU mandate is proposed by an association whose approval is valid
on its start date, a term lasts the type's ``term_months``, one holder per seat at a time,
suppléant seats paired with titulaire seats, the CDU vice-president from another category than
the president's.
"""
from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from civicsante import audit
from civicsante.accounts.models import USER_REPRESENTATIVE, RoleAssignment, User
from civicsante.accounts.passwords import hash_password
from civicsante.accounts.services import _pseudonym_key
from civicsante.extensions import db
from civicsante.mandates.models import (
    ACTIVE,
    BASIC_TRAINING,
    CDU,
    CTS,
    ENDED,
    EXCUSED,
    MEDIATEUR_MEDECIN,
    MEDIATEUR_NON_MEDECIN,
    OTHER_TRAINING,
    PRESENT,
    PRESIDENT,
    REPLACED,
    RU_SUPPLEANT,
    RU_TITULAIRE,
    TERM_REACHED,
    AssociationContact,
    Attendance,
    HoursEntry,
    Instance,
    InstanceType,
    Mandate,
    Meeting,
    Seat,
    Training,
)
from civicsante.reference.models import Association, Establishment, Territory

PARIS = ZoneInfo("Europe/Paris")
CONTACT_EMAIL = "contact@demo.civicsante.fr"
REPRESENTATIVE_EMAIL = "ru@demo.civicsante.fr"
MEDIATOR_EMAIL = "mediateur@demo.civicsante.fr"
FIRST_ASSOCIATION = "Association des usagers du Val"
# (name, approval level, number, approval years from today, territory code)
SECOND_ASSOCIATION = ("Ligue des patients du Val d'Exemple", "regional", "ARS-RE-2025-042", 4, "99")
CDU_NAME = "Commission des usagers du Centre hospitalier de Belrive"
CTS_NAME = "Conseil territorial de santé du Val d'Exemple"

# Demo people besides the accounts of demo.ACCOUNTS: (e-mail, pseudonym, age band, sex,
# employment, home territory). Mostly retired and older, like most representatives (DESIGN §6).
PEOPLE = [
    ("bernard.lefevre@demo.civicsante.fr", "Bernard Lefèvre", "75_et_plus", "homme", "retraite", "99001"),
    ("nadia.benali@demo.civicsante.fr", "Nadia Benali", "50_64", "femme", "en_activite", "QN099002"),
    ("gerard.martin@demo.civicsante.fr", "Gérard Martin", "65_74", "homme", "retraite", "99002"),
    ("sylvie.roche@demo.civicsante.fr", "Sylvie Roche", "65_74", "femme", "retraite", "99003"),
    ("direction@demo.civicsante.fr", "Direction du CH de Belrive", None, None, None, "99001"),
    ("mediation.usagers@demo.civicsante.fr", "Martine Aubert", None, None, None, "99001"),
]
# The demo representative's profile (the account exists in demo.ACCOUNTS).
REPRESENTATIVE_PROFILE = ("65_74", "femme", "retraite")

# Mandates: (instance, seat key, e-mail, association (1 or 2, None off RU seats), days from today
# to the end, renewal count, president, vice-president).
MANDATES = [
    ("cdu", "titulaire_1", REPRESENTATIVE_EMAIL, 1, 20, 1, False, False),
    ("cdu", "titulaire_2", "bernard.lefevre@demo.civicsante.fr", 1, 365, 0, False, True),
    ("cdu", "suppleant_1", "nadia.benali@demo.civicsante.fr", 1, 100, 0, False, False),
    ("cdu", "mediateur_medecin", MEDIATOR_EMAIL, None, 365, 0, False, False),
    ("cdu", "mediateur_non_medecin", "mediation.usagers@demo.civicsante.fr", None, 365, 0, False, False),
    ("cdu", "president", "direction@demo.civicsante.fr", None, 365, 0, True, False),
    ("cts", "titulaire_1", "gerard.martin@demo.civicsante.fr", 2, 50, 1, False, False),
    ("cts", "suppleant_1", "sylvie.roche@demo.civicsante.fr", 2, 913, 0, False, False),
]
# (instance, seat key, kind, titulaire seat key, label), in order.
SEATS = [
    ("cdu", "titulaire_1", RU_TITULAIRE, None, "Représentant·e des usagers titulaire 1"),
    ("cdu", "titulaire_2", RU_TITULAIRE, None, "Représentant·e des usagers titulaire 2"),
    ("cdu", "suppleant_1", RU_SUPPLEANT, "titulaire_1", "Représentant·e des usagers suppléant·e 1"),
    ("cdu", "suppleant_2", RU_SUPPLEANT, "titulaire_2", "Représentant·e des usagers suppléant·e 2"),
    ("cdu", "mediateur_medecin", MEDIATEUR_MEDECIN, None, "Médiateur·rice médecin"),
    ("cdu", "mediateur_non_medecin", MEDIATEUR_NON_MEDECIN, None, "Médiateur·rice non médecin"),
    ("cdu", "president", PRESIDENT, None, "Président·e"),
    ("cts", "titulaire_1", RU_TITULAIRE, None, "Représentant·e des usagers titulaire"),
    ("cts", "suppleant_1", RU_SUPPLEANT, "titulaire_1", "Représentant·e des usagers suppléant·e"),
]
# Basic training done (days before today), or None: missing (that person was designated long
# ago, so the "training not done 6 months after designation" alert has someone to warn).
BASIC_TRAINING_DONE = {
    REPRESENTATIVE_EMAIL: 1900,
    "bernard.lefevre@demo.civicsante.fr": 700,
    "nadia.benali@demo.civicsante.fr": None,
    "gerard.martin@demo.civicsante.fr": 1500,
    "sylvie.roche@demo.civicsante.fr": 800,
}
# Meetings: (instance, days from today, Paris hour, hours long, title, place, visio, agenda
# sent days before (None: not yet), {seat key: attendance}, minutes).
MEETINGS = [
    ("cdu", -120, 14, 2, "CDU : séance du trimestre", "Salle du conseil, CH de Belrive", "", 10,
     {"titulaire_1": REPLACED, "suppleant_1": PRESENT, "titulaire_2": PRESENT,
      "mediateur_medecin": PRESENT, "mediateur_non_medecin": EXCUSED, "president": PRESENT},
     "Examen de 14 réclamations ; point sur le délai de réponse aux courriers."),
    ("cdu", -35, 14, 2, "CDU : rapport annuel et plaintes du trimestre",
     "Salle du conseil, CH de Belrive", "", 12,
     {"titulaire_1": PRESENT, "titulaire_2": PRESENT, "mediateur_medecin": PRESENT,
      "mediateur_non_medecin": PRESENT, "president": PRESENT},
     "Rapport annuel adopté. Deux médiations proposées ; l'accueil des urgences sera revu."),
    ("cdu", 12, 14, 2, "CDU : séance ordinaire", "Salle du conseil, CH de Belrive", "", 13, {}, ""),
    ("cdu", 75, 14, 2, "CDU : projet des usagers", "Salle du conseil, CH de Belrive", "", None, {}, ""),
    ("cts", -50, 9, 3, "CTS : diagnostic territorial", "Maison des services publics, Belrive", "", 15,
     {"titulaire_1": PRESENT, "suppleant_1": EXCUSED},
     "Présentation du diagnostic ; les usagers demandent un volet transport."),
    ("cts", 25, 9, 3, "CTS : avis sur le projet régional de santé", "",
     "https://visio.demo.civicsante.fr/cts-val-exemple", 20, {}, ""),
]
AGENDAS = {
    "cdu": "1. Approbation du compte rendu\n2. Réclamations du trimestre\n3. Questions diverses",
    "cts": "1. Diagnostic territorial\n2. Avis sur le projet régional de santé",
}


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(starts_on: date, term_months: int) -> date:
    """Last day of a term (inclusive): the day before the same date ``term_months`` later."""
    return add_months(starts_on, term_months) - timedelta(days=1)


def _paris_today() -> date:
    return datetime.now(PARIS).date()


def _at(day: date, hour: int) -> datetime:
    """A Paris wall-clock hour on ``day``, in UTC (as stored)."""
    return datetime.combine(day, time(hour), tzinfo=PARIS).astimezone(UTC)


def _one(model, **where):
    return db.session.execute(select(model).filter_by(**where)).scalar_one_or_none()


def _people() -> dict[str, User]:
    """The demo people of ``PEOPLE`` (created once, the demo password hashed once)."""
    from civicsante.demo import DEMO_PASSWORD

    password_hash = None
    people = {}
    for email, pseudonym, age_band, sex, employment, home in PEOPLE:
        user = _one(User, email=email)
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(email=email, pseudonym=pseudonym, pseudonym_key=_pseudonym_key(pseudonym),
                        password_hash=password_hash, language="fr", age_band=age_band, sex=sex,
                        employment_status=employment, home_territory=_one(Territory, code=home))
            db.session.add(user)
            db.session.flush()
            audit.record(user, "account.sign_up", user, via="demo")
        people[email] = user
    return people


def _associations(today: date) -> dict[int, Association]:
    first = _one(Association, name=FIRST_ASSOCIATION)
    name, level, number, years, territory_code = SECOND_ASSOCIATION
    second = _one(Association, name=name)
    if second is None:
        second = Association(name=name, approval_level=level, approval_number=number,
                             approval_expires_on=add_months(today, 12 * years),
                             territory=_one(Territory, code=territory_code))
        db.session.add(second)
        db.session.flush()
    return {1: first, 2: second}


def _instances() -> dict[str, Instance]:
    territory = _one(Territory, code="99")
    hospital = _one(Establishment, finess="990000011")
    cdu = Instance(type=_one(InstanceType, code=CDU), name=CDU_NAME, establishment=hospital,
                   territory=hospital.territory)
    cts = Instance(type=_one(InstanceType, code=CTS), name=CTS_NAME, territory=territory)
    db.session.add_all([cdu, cts])
    db.session.flush()
    return {"cdu": cdu, "cts": cts}


def _seats(instances: dict[str, Instance]) -> dict[tuple[str, str], Seat]:
    seats: dict[tuple[str, str], Seat] = {}
    for position, (instance, key, kind, titulaire_key, label) in enumerate(SEATS):
        seat = Seat(instance=instances[instance], kind=kind, label=label, position=position,
                    titulaire_seat=seats[(instance, titulaire_key)] if titulaire_key else None)
        db.session.add(seat)
        seats[(instance, key)] = seat
    db.session.flush()
    return seats


def _grant_representative_role(user: User) -> None:
    """The role comes with the first designation on an RU seat."""
    if not user.has_role(USER_REPRESENTATIVE):
        db.session.add(RoleAssignment(user=user, role=USER_REPRESENTATIVE))
        db.session.flush()
        audit.record(None, "role.grant", user, role=USER_REPRESENTATIVE, via="demo")


def _mandate(seat: Seat, user: User, association: Association | None, starts_on: date, *,
             renewal_count: int = 0, renews: Mandate | None = None, status: str = ACTIVE,
             is_president: bool = False, is_vice_president: bool = False) -> Mandate:
    instance_type = seat.instance.type
    ends_on = term_end(starts_on, instance_type.term_months)
    if seat.is_ru:  # the rule of the services: an approved association, valid on the start date
        assert association is not None and association.approval_valid_on(starts_on), seat
    mandate = Mandate(seat=seat, user=user, association=association if seat.is_ru else None,
                      designation_authority=instance_type.designating_authority,
                      designation_reference=f"ARS-RE-{starts_on.year}-{seat.position + 101:03d}",
                      designation_date=starts_on - timedelta(days=21), starts_on=starts_on,
                      ends_on=ends_on, status=status, renewal_count=renewal_count, renews=renews,
                      is_president=is_president, is_vice_president=is_vice_president)
    if status == ENDED:
        mandate.end_reason, mandate.ended_on = TERM_REACHED, ends_on
    db.session.add(mandate)
    db.session.flush()
    audit.record(None, "mandate.create", mandate, status=status, via="demo")
    if seat.is_ru:
        _grant_representative_role(user)
    return mandate


def _mandates(seats, people: dict[str, User], associations,
              today: date) -> dict[tuple[str, str], Mandate]:
    mandates = {}
    for instance, key, email, association_key, days_left, renewals, president, vice in MANDATES:
        seat = seats[(instance, key)]
        term = seat.instance.type.term_months
        # The start that puts the end of the term ``days_left`` days from today.
        starts_on = add_months(today + timedelta(days=days_left + 1), -term)
        association = associations[association_key] if association_key else None
        if association is not None and not association.approval_valid_on(starts_on):
            association = associations[2]  # the first approval has a fixed date: it may be past
        previous = None
        for n in range(renewals):  # the earlier terms on the same seat, ended at their term
            previous_start = add_months(starts_on, -term * (renewals - n))
            previous = _mandate(seat, people[email], association, previous_start, renewal_count=n,
                                renews=previous, status=ENDED)
        mandates[(instance, key)] = _mandate(seat, people[email], association, starts_on,
                                             renewal_count=renewals, renews=previous,
                                             is_president=president, is_vice_president=vice)
    return mandates


def _trainings(people: dict[str, User], today: date) -> None:
    for email, days_ago in BASIC_TRAINING_DONE.items():
        if days_ago is not None:
            done = today - timedelta(days=days_ago)
            db.session.add(Training(user=people[email], kind=BASIC_TRAINING,
                                    title="Formation de base des représentants des usagers",
                                    organiser="France Assos Santé Région Exemple",
                                    starts_on=done - timedelta(days=1), half_days=4, completed_on=done,
                                    indemnity_paid_on=done + timedelta(days=30)))
    # The demo representative is registered for a module to come.
    db.session.add(Training(user=people[REPRESENTATIVE_EMAIL], kind=OTHER_TRAINING,
                            title="Plaintes et médiation : accompagner les usagers",
                            organiser="Association des usagers du Val",
                            starts_on=today + timedelta(days=40), half_days=2))


def _meetings(instances, mandates, today: date) -> None:
    for (instance, days, hour, hours, title, place, visio, agenda_days, attendance,
         minutes) in MEETINGS:
        starts_at = _at(today + timedelta(days=days), hour)
        meeting = Meeting(instance=instances[instance], title=title, starts_at=starts_at,
                          ends_at=starts_at + timedelta(hours=hours), place=place, visio_url=visio,
                          agenda=AGENDAS[instance] if agenda_days is not None else "",
                          agenda_sent_at=_at(today + timedelta(days=days - agenda_days), 10)
                          if agenda_days is not None else None,
                          minutes=minutes)
        db.session.add(meeting)
        db.session.flush()
        for seat_key, status in attendance.items():
            mandate = mandates[(instance, seat_key)]
            db.session.add(Attendance(meeting=meeting, mandate=mandate, status=status))
            if status == PRESENT and mandate.user.email == REPRESENTATIVE_EMAIL:
                db.session.add_all([
                    HoursEntry(mandate=mandate, meeting=meeting, worked_on=starts_at.date(),
                               minutes=hours * 60, description="Séance"),
                    HoursEntry(mandate=mandate, meeting=meeting,
                               worked_on=starts_at.date() - timedelta(days=2), minutes=90,
                               description="Lecture des réclamations avant la séance"),
                ])


def load_demo_mandates() -> int:
    """The demo instances, mandates, trainings and meetings; nothing when instances exist. The
    association contact and the representatives' profiles are set every time (idempotent)."""
    today = _paris_today()
    people = _people()
    associations = _associations(today)
    contact = _one(User, email=CONTACT_EMAIL)
    if contact is not None and _one(AssociationContact, association_id=associations[1].id,
                                    user_id=contact.id) is None:
        db.session.add(AssociationContact(association=associations[1], user=contact))
    representative = _one(User, email=REPRESENTATIVE_EMAIL)
    if representative.age_band is None:
        (representative.age_band, representative.sex,
         representative.employment_status) = REPRESENTATIVE_PROFILE
    people[REPRESENTATIVE_EMAIL] = representative
    people[MEDIATOR_EMAIL] = _one(User, email=MEDIATOR_EMAIL)
    if db.session.execute(select(Instance.id).limit(1)).first():
        return 0
    instances = _instances()
    seats = _seats(instances)
    mandates = _mandates(seats, people, associations, today)
    _trainings(people, today)
    _meetings(instances, mandates, today)
    db.session.flush()
    return len(mandates)
