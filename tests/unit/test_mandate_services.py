"""The rules of mandates, through their services: terms per instance type, renewal caps, the
approval of the proposing association, overlaps, the CDU's president and vice-president, the
designation granting the desk, and the daily refresh of statuses."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import USER_REPRESENTATIVE, User
from civicsante.audit import AuditEntry
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates import services
from civicsante.mandates.models import InstanceType, Mandate, Seat
from civicsante.reference.models import Association
from tests.support.factories import make_association, make_territory, make_user
from tests.support.mandates import make_instance, make_mandate, seat_ids

CDU_SEATS = ("ru_titulaire", "ru_titulaire", "ru_suppleant", "ru_suppleant",
             "mediateur_medecin", "mediateur_non_medecin", "president")
PAST = date(2024, 1, 15)


def _type(app, code):
    with app.app_context():
        t = db.session.execute(select(InstanceType).where(InstanceType.code == code)).scalar_one()
        return SimpleNamespace(term_months=t.term_months, renewal_cap=t.renewal_cap)


def _admin(app):
    return make_user(app, role="admin")


def _count(model, **where):
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.session.execute(query).scalar_one()


def _propose(app, seat_id, user_id, association_id=None, *, by, **kwargs):
    """propose_mandate on fresh objects; answers the mandate id."""
    with app.app_context():
        mandate = services.propose_mandate(
            seat=db.session.get(Seat, seat_id), user=db.session.get(User, user_id),
            association=db.session.get(Association, association_id) if association_id else None,
            by=db.session.get(User, by.id), **{"starts_on": PAST, **kwargs})
        db.session.commit()
        return mandate.id


# Terms ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "starts_on", "ends_on"), [
    ("cdu", date(2024, 1, 15), date(2027, 1, 14)),                   # 3 years
    ("conseil_surveillance", date(2024, 1, 15), date(2029, 1, 14)),  # 5 years
    ("cts", date(2024, 1, 15), date(2029, 1, 14)),                   # 5 years
    ("cdu", date(2024, 1, 1), date(2026, 12, 31)),                   # across a year end
    ("cdu", date(2024, 8, 31), date(2027, 8, 30)),
    ("cts", date(2024, 2, 29), date(2029, 2, 28)),                   # no 29 February in 2029
])
def test_the_term_ends_the_day_before_its_anniversary(app, code, starts_on, ends_on):
    assert services.compute_end_date(_type(app, code), starts_on) == ends_on


@pytest.mark.parametrize(("months", "starts_on", "ends_on"), [
    (6, date(2024, 8, 31), date(2025, 2, 28)),   # no 31 February: the term runs to the end of the month
    (6, date(2023, 8, 31), date(2024, 2, 29)),   # leap year
    (1, date(2024, 1, 31), date(2024, 2, 29)),
    (1, date(2024, 3, 31), date(2024, 4, 30)),
    (1, date(2024, 3, 1), date(2024, 3, 31)),
    (18, date(2024, 12, 1), date(2026, 5, 31)),
])
def test_month_end_terms(months, starts_on, ends_on):
    assert services.compute_end_date(SimpleNamespace(term_months=months), starts_on) == ends_on


def test_the_proposal_takes_the_types_term_unless_given(app, world):
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    seat = seat_ids(app, instance.id)[0]
    mandate_id = _propose(app, seat, person.id, world.association.id, by=admin)
    with app.app_context():
        mandate = db.session.get(Mandate, mandate_id)
        assert (mandate.status, mandate.ends_on) == ("propose", date(2029, 1, 14))
        assert mandate.designation_authority == "Directeur général de l'ARS"
    with pytest.raises(DomainError) as refused:
        _propose(app, seat_ids(app, instance.id)[1], make_user(app).id, world.association.id, by=admin,
                 ends_on=PAST - timedelta(days=1))
    assert refused.value.field == "ends_on"


# Renewal caps -----------------------------------------------------------------------------------

def _renew(app, mandate_id, admin):
    with app.app_context():
        renewal = services.renew_mandate(db.session.get(Mandate, mandate_id), by=db.session.get(User, admin.id))
        db.session.commit()
        return renewal.id


def test_a_cts_mandate_is_renewable_once(app, world):
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    first = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=person.id,
                         association_id=world.association.id, starts_on=date(2015, 1, 1), ends_on=date(2019, 12, 31))
    second = _renew(app, first.id, admin)
    with app.app_context():
        renewal = db.session.get(Mandate, second)
        assert (renewal.renewal_count, renewal.renews_id, renewal.starts_on) == (1, first.id, date(2020, 1, 1))
        assert renewal.ends_on == date(2024, 12, 31)
    with pytest.raises(DomainError) as refused:
        _renew(app, second, admin)
    assert refused.value.field == "renews_id"


def test_a_cdu_mandate_is_renewable_without_limit(app, world):
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=person.id,
                           association_id=world.association.id, starts_on=date(2010, 1, 1),
                           ends_on=date(2012, 12, 31), renewal_count=5)
    renewal = _renew(app, mandate.id, admin)
    with app.app_context():
        assert db.session.get(Mandate, renewal).renewal_count == 6


def test_a_type_edited_to_cap_0_refuses_the_first_renewal(app, world):
    admin, person = _admin(app), make_user(app)
    with app.app_context():
        cdu = db.session.execute(select(InstanceType).where(InstanceType.code == "cdu")).scalar_one()
        services.edit_instance_type(cdu, name=cdu.name, designating_authority=cdu.designating_authority,
                                    term_months=36, renewal_cap=0, hours_per_month=6, role_description="",
                                    training_offered="", by=db.session.get(User, admin.id))
        db.session.commit()
        assert _count(AuditEntry, action="instance_type.edit") == 1
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=person.id,
                           association_id=world.association.id, starts_on=date(2020, 1, 1), ends_on=date(2022, 12, 31))
    with pytest.raises(DomainError):
        _renew(app, mandate.id, admin)


def test_the_cdu_presidency_is_renewable_twice(app, world):
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id, seats=CDU_SEATS)
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[6], user_id=person.id,
                           starts_on=date(2014, 1, 1), ends_on=date(2016, 12, 31), renewal_count=2)
    with app.app_context():
        db.session.get(Mandate, mandate.id).is_president = True
        db.session.commit()
    with pytest.raises(DomainError) as refused:
        _renew(app, mandate.id, admin)
    assert refused.value.field == "renews_id"


def test_invalid_edits_of_a_type_are_refused(app):
    admin = _admin(app)
    with app.app_context():
        cts = db.session.execute(select(InstanceType).where(InstanceType.code == "cts")).scalar_one()
        for field, value in (("term_months", 0), ("renewal_cap", -1), ("hours_per_month", None), ("name", " ")):
            values = {"name": "CTS", "designating_authority": "ARS", "term_months": 60, "renewal_cap": 1, "hours_per_month": 4,
                          "role_description": "", "training_offered": ""}
            values[field] = value
            with pytest.raises(DomainError) as refused:
                services.edit_instance_type(cts, **values, by=db.session.get(User, admin.id))
            assert refused.value.field == field


# The proposing association ----------------------------------------------------------------------

def test_an_ru_seat_needs_an_association_approved_on_the_start_date(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seats = seat_ids(app, instance.id)
    expired = make_association(app, name="Agrément échu", expires=date(2023, 12, 31))
    with pytest.raises(DomainError) as refused:
        _propose(app, seats[0], make_user(app).id, expired.id, by=admin)
    assert refused.value.field == "association_id"
    with pytest.raises(DomainError) as missing:
        _propose(app, seats[0], make_user(app).id, None, by=admin)
    assert missing.value.field == "association_id"
    # Valid on the start date, even if it expires during the term.
    still_valid = make_association(app, name="Agrément valable", expires=date(2024, 1, 15))
    assert _propose(app, seats[0], make_user(app).id, still_valid.id, by=admin)


def test_a_mediator_seat_needs_no_association(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id, seats=CDU_SEATS)
    assert _propose(app, seat_ids(app, instance.id)[4], make_user(app).id, None, by=admin)


# Overlaps ---------------------------------------------------------------------------------------

def test_a_held_seat_refuses_an_overlapping_mandate(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seats = seat_ids(app, instance.id)
    make_mandate(app, seat_id=seats[0], user_id=make_user(app).id, association_id=world.association.id,
                 starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
    with pytest.raises(DomainError) as refused:
        _propose(app, seats[0], make_user(app).id, world.association.id, by=admin)
    assert refused.value.field == "starts_on"
    # From the day after its end, the seat is free.
    assert _propose(app, seats[0], make_user(app).id, world.association.id, by=admin, starts_on=date(2026, 1, 1))


def test_one_person_holds_one_seat_of_an_instance_at_a_time(app, world):
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seats = seat_ids(app, instance.id)
    make_mandate(app, seat_id=seats[0], user_id=person.id, association_id=world.association.id,
                 starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
    with pytest.raises(DomainError) as refused:  # their own substitute
        _propose(app, seats[2], person.id, world.association.id, by=admin)
    assert refused.value.field == "email"
    other = make_instance(app, territory_id=world.commune.id, establishment_id=world.other_hospital.id)
    assert _propose(app, seat_ids(app, other.id)[0], person.id, world.association.id, by=admin)


def test_two_proposals_for_one_seat_only_one_is_designated(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seat = seat_ids(app, instance.id)[0]
    first = _propose(app, seat, make_user(app).id, world.association.id, by=admin)
    second = _propose(app, seat, make_user(app).id, world.association.id, by=admin)
    with app.app_context():
        by = db.session.get(User, admin.id)
        services.designate(db.session.get(Mandate, first), authority="DG ARS", reference="A-1",
                           designation_date=PAST, by=by)
        db.session.commit()
        with pytest.raises(DomainError):
            services.designate(db.session.get(Mandate, second), authority="DG ARS", reference="A-2",
                               designation_date=PAST, by=by)


# Designation, activation, end -------------------------------------------------------------------

def test_designation_grants_the_representative_role_once(app, world):
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seats = seat_ids(app, instance.id)
    ids = [_propose(app, seats[0], person.id, world.association.id, by=admin),
           _propose(app, seat_ids(app, make_instance(app, territory_id=world.commune.id, type_code="cts").id)[0],
                    person.id, world.association.id, by=admin)]
    with app.app_context():
        by = db.session.get(User, admin.id)
        with pytest.raises(DomainError) as refused:
            services.designate(db.session.get(Mandate, ids[0]), authority="DG ARS", reference="",
                               designation_date=PAST, by=by)
        assert refused.value.field == "reference"
        for mandate_id in ids:
            services.designate(db.session.get(Mandate, mandate_id), authority="DG ARS", reference="ARR-2024-12",
                               designation_date=PAST, by=by)
        db.session.commit()
        assert db.session.get(User, person.id).has_role(USER_REPRESENTATIVE)
        assert _count(AuditEntry, action="role.grant") == 1
        assert _count(AuditEntry, action="mandate.designate") == 2
        assert db.session.get(Mandate, ids[0]).status == "designe"


def test_activation_waits_for_the_start_date(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=make_user(app).id,
                           association_id=world.association.id, status="designe",
                           starts_on=date(2030, 1, 1), ends_on=date(2032, 12, 31))
    with app.app_context():
        m, by = db.session.get(Mandate, mandate.id), db.session.get(User, admin.id)
        with pytest.raises(DomainError):
            services.activate(m, by, today=date(2029, 12, 31))
        services.activate(m, by, today=date(2030, 1, 1))
        assert m.status == "actif"


def test_an_early_end_frees_the_seat_from_the_next_day(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seat = seat_ids(app, instance.id)[0]
    mandate = make_mandate(app, seat_id=seat, user_id=make_user(app).id, association_id=world.association.id,
                           starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
    with app.app_context():
        m, by = db.session.get(Mandate, mandate.id), db.session.get(User, admin.id)
        for reason, ended_on, field in (("echeance", date(2024, 6, 30), "reason"), ("demission", date(2026, 1, 1), "ended_on"),
                                        ("retraite", date(2024, 6, 30), "reason")):
            with pytest.raises(DomainError) as refused:
                services.end_mandate(m, reason=reason, ended_on=ended_on, by=by)
            assert refused.value.field == field
        services.end_mandate(m, reason="demission", ended_on=date(2024, 6, 30), by=by)
        db.session.commit()
        assert (m.status, m.end_reason, m.ended_on, m.ends_on) == ("termine", "demission", date(2024, 6, 30),
                                                                   date(2024, 6, 30))
    assert _propose(app, seat, make_user(app).id, world.association.id, by=admin, starts_on=date(2024, 7, 1))


# CDU offices ------------------------------------------------------------------------------------

def _cdu_with_members(app, world):
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id, seats=CDU_SEATS)
    seats = seat_ids(app, instance.id)
    ids = {}
    for name, index in (("ru", 0), ("ru2", 1), ("mediateur", 4), ("president_seat", 6)):
        ids[name] = make_mandate(app, seat_id=seats[index], user_id=make_user(app).id,
                                 association_id=world.association.id if index < 4 else None).id
    return instance, ids


def _office(app, mandate_id, admin, *, president=False, vice_president=False):
    with app.app_context():
        services.set_office(db.session.get(Mandate, mandate_id), president=president, vice_president=vice_president,
                            by=db.session.get(User, admin.id))
        db.session.commit()


def test_cdu_president_and_vice_president_come_from_two_categories(app, world):
    admin = _admin(app)
    _instance, ids = _cdu_with_members(app, world)
    _office(app, ids["ru"], admin, president=True)
    with pytest.raises(DomainError) as same_category:
        _office(app, ids["ru2"], admin, vice_president=True)
    assert same_category.value.field == "vice_president"
    with pytest.raises(DomainError) as second_president:
        _office(app, ids["mediateur"], admin, president=True)
    assert second_president.value.field == "president"
    _office(app, ids["mediateur"], admin, vice_president=True)
    with pytest.raises(DomainError):
        _office(app, ids["president_seat"], admin, vice_president=True)
    with pytest.raises(DomainError):
        _office(app, ids["president_seat"], admin, president=True, vice_president=True)
    # The president steps down; the legal representative takes the chair.
    _office(app, ids["ru"], admin)
    _office(app, ids["president_seat"], admin, president=True)
    with app.app_context():
        assert _count(AuditEntry, action="mandate.set_office") == 4


def test_only_a_cdu_has_offices(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=make_user(app).id,
                           association_id=world.association.id)
    with pytest.raises(DomainError):
        _office(app, mandate.id, admin, president=True)


# Instances and seats ----------------------------------------------------------------------------

def test_instances_get_their_legal_seats(app, world):
    admin = _admin(app)
    with app.app_context():
        by = db.session.get(User, admin.id)
        types = {t.code: t for t in db.session.execute(select(InstanceType)).scalars()}
        with pytest.raises(DomainError) as cdu_without_establishment:
            services.create_instance(type=types["cdu"], name="CDU", territory=world.commune, by=by)
        assert cdu_without_establishment.value.field == "establishment_id"
        with pytest.raises(DomainError):
            services.create_instance(type=types["cts"], name="CTS", by=by)
        cdu = services.create_instance(type=types["cdu"], name="CDU du CH",
                                       establishment=db.session.get(type(world.hospital), world.hospital.id), by=by)
        assert cdu.territory_id == world.commune.id
        seats = services.create_default_seats(cdu, by=by)
        assert [s.kind for s in seats] == list(CDU_SEATS)
        assert [s.titulaire_seat_id for s in seats[2:4]] == [seats[0].id, seats[1].id]
        with pytest.raises(DomainError):
            services.create_default_seats(cdu, by=by)
        cts = services.create_instance(type=types["cts"], name="CTS", territory=world.departement, by=by)
        assert [s.kind for s in services.create_default_seats(cts, by=by)] == list(CDU_SEATS[:4])
        with pytest.raises(DomainError) as mediator_in_cts:
            services.add_seat(cts, "mediateur_medecin", "", by=by)
        assert mediator_in_cts.value.field == "kind"
        with pytest.raises(DomainError) as foreign_pairing:
            services.add_seat(cts, "ru_suppleant", "", seats[0], by=by)
        assert foreign_pairing.value.field == "titulaire_seat_id"
        with pytest.raises(DomainError):  # the titulaire already has a substitute
            services.add_seat(cdu, "ru_suppleant", "", seats[0], by=by)
        titulaire = services.add_seat(cdu, "ru_titulaire", "Titulaire 3", by=by)
        substitute = services.add_seat(cdu, "ru_suppleant", "Suppléant 3", titulaire, by=by)
        assert (substitute.titulaire_seat_id, substitute.position) == (titulaire.id, 8)
        services.remove_seat(titulaire, by=by)
        db.session.commit()
        assert db.session.get(Seat, substitute.id).titulaire_seat_id is None
        assert _count(AuditEntry, action="seat.remove") == 1


def test_a_seat_with_mandates_is_kept(app, world):
    admin = _admin(app)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    seat = seat_ids(app, instance.id)[0]
    make_mandate(app, seat_id=seat, user_id=make_user(app).id, association_id=world.association.id)
    with app.app_context(), pytest.raises(DomainError):
        services.remove_seat(db.session.get(Seat, seat), by=db.session.get(User, admin.id))


# The daily refresh ------------------------------------------------------------------------------

def test_refresh_statuses_follows_the_calendar(app, world):
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    seats = seat_ids(app, instance.id)
    today = date(2026, 6, 1)
    starting = make_mandate(app, seat_id=seats[0], user_id=make_user(app).id, status="designe",
                            starts_on=today, ends_on=date(2031, 5, 31))
    future = make_mandate(app, seat_id=seats[1], user_id=make_user(app).id, status="designe",
                          starts_on=today + timedelta(days=1), ends_on=date(2031, 6, 1))
    ending = make_mandate(app, seat_id=seats[2], user_id=make_user(app).id, status="actif",
                          starts_on=date(2021, 6, 1), ends_on=today - timedelta(days=1))
    last_day = make_mandate(app, seat_id=seats[3], user_id=make_user(app).id, status="actif",
                            starts_on=date(2021, 6, 2), ends_on=today)
    proposed = make_mandate(app, seat_id=seats[3], user_id=make_user(app).id, status="propose",
                            starts_on=date(2020, 1, 1), ends_on=date(2021, 1, 1))
    with app.app_context():
        assert services.refresh_statuses(today) == 2
        db.session.commit()
        statuses = {m.id: (m.status, m.end_reason, m.ended_on) for m in db.session.execute(select(Mandate)).scalars()}
        assert statuses[starting.id] == ("actif", None, None)
        assert statuses[future.id][0] == "designe"
        assert statuses[ending.id] == ("termine", "echeance", today - timedelta(days=1))
        assert statuses[last_day.id][0] == "actif"
        assert statuses[proposed.id][0] == "propose"
        assert services.refresh_statuses(today) == 0


def test_association_contacts(app, world):
    admin, person = _admin(app), make_user(app)
    with app.app_context():
        by, association = db.session.get(User, admin.id), db.session.get(Association, world.association.id)
        contact = services.add_association_contact(association, db.session.get(User, person.id), by)
        with pytest.raises(DomainError) as twice:
            services.add_association_contact(association, db.session.get(User, person.id), by)
        assert twice.value.field == "email"
        services.remove_association_contact(contact, by)
        db.session.commit()
        assert _count(AuditEntry, action="association.contact_add") == 1
        assert _count(AuditEntry, action="association.contact_remove") == 1


def test_a_new_term_straight_after_the_last_one_is_a_renewal(app, world):
    """The cap cannot be dodged by proposing the same person afresh for the next term."""
    admin, person = _admin(app), make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    seats = seat_ids(app, instance.id)
    first = make_mandate(app, seat_id=seats[0], user_id=person.id, association_id=world.association.id,
                         starts_on=date(2015, 1, 1), ends_on=date(2019, 12, 31), status="termine")
    second = _propose(app, seats[1], person.id, world.association.id, by=admin, starts_on=date(2020, 1, 1))
    with app.app_context():
        mandate = db.session.get(Mandate, second)
        assert (mandate.renews_id, mandate.renewal_count) == (first.id, 1)
        mandate.status = "termine"
        db.session.commit()
    with pytest.raises(DomainError) as refused:
        _propose(app, seats[0], person.id, world.association.id, by=admin, starts_on=date(2025, 1, 1))
    assert refused.value.field == "starts_on"
    # After a gap, a new designation starts a new count.
    assert _propose(app, seats[0], person.id, world.association.id, by=admin, starts_on=date(2025, 6, 1))


def test_a_regional_approval_covers_its_region_only(app, world):
    admin = _admin(app)
    elsewhere = make_territory(app, name="Autre Région", kind="region", code="R02")
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    seats = seat_ids(app, instance.id)
    foreign = make_association(app, name="Association d'une autre région", territory_id=elsewhere.id)
    with pytest.raises(DomainError) as refused:
        _propose(app, seats[0], make_user(app).id, foreign.id, by=admin)
    assert refused.value.field == "association_id"
    national = make_association(app, name="Association nationale")  # no territory: national approval
    assert _propose(app, seats[0], make_user(app).id, national.id, by=admin)
