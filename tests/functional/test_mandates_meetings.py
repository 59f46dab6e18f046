"""Meetings through the web: scheduling (errors next to the field, what was typed kept), the CDU
agenda notice warning, attendance, minutes, the .ics file and the attestation of presence."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from civicsante.extensions import db
from civicsante.mandates import meetings as service
from civicsante.mandates.desk import paris_date
from civicsante.mandates.models import Attendance, Meeting
from tests.conftest import client_for
from tests.support.factories import make_user
from tests.support.mandates import make_instance, make_mandate, make_meeting, seat_ids
from tests.support.queries import count_queries


@pytest.fixture
def cdu(app, world):
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id,
                             name="CDU du CH de Belrive")
    seats = seat_ids(app, instance.id)  # titulaire, titulaire, suppléant, suppléant
    titulaire = make_user(app, pseudonym="Titulaire Un")
    suppleant = make_user(app, pseudonym="Suppléant Un")
    m_tit = make_mandate(app, seat_id=seats[0], user_id=titulaire.id)
    m_sup = make_mandate(app, seat_id=seats[2], user_id=suppleant.id)
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    return instance, titulaire, m_tit, suppleant, m_sup, officer


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_complaints_officer_schedules_a_meeting_and_sees_the_late_agenda_warning(app, cdu):
    instance, *_rest, officer = cdu
    client = client_for(app, officer)
    path = f"/instances/{instance.id}/reunions"
    start = datetime.now(UTC) + timedelta(days=20)
    data = {"title": "Séance ordinaire", "starts_at": start.strftime("%Y-%m-%dT10:00"),
            "ends_at": start.strftime("%Y-%m-%dT09:00"), "place": "Salle Pasteur", "agenda": "1. Plaintes",
            "agenda_sent_at": (start - timedelta(days=3)).strftime("%Y-%m-%dT09:00")}
    refused = client.post(path, data={"csrf_token": _csrf(client, path), **data})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="ends_at-error"' in html and 'value="Séance ordinaire"' in html and 'value="Salle Pasteur"' in html
    refused = client.post(path, data={"csrf_token": _csrf(client, path), **data, "place": "",
                                      "ends_at": start.strftime("%Y-%m-%dT12:00")})
    assert refused.status_code == 422 and 'id="place-error"' in refused.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": _csrf(client, path), **data,
                                   "ends_at": start.strftime("%Y-%m-%dT12:00")})
    assert done.status_code == 303
    with app.app_context():
        meeting = db.session.query(Meeting).one()
        meeting_id = meeting.id
    listing = client.get(path).get_data(as_text=True)
    assert f'id="meeting-{meeting_id}"' in listing and "flash--warning" in listing  # agenda sent 3 days before
    page = client.get(f"/reunions/{meeting_id}").get_data(as_text=True)
    assert 'id="agenda-warning"' in page
    partial = client.get(path, headers={"HX-Request": "true"})
    assert partial.get_data(as_text=True).lstrip().startswith('<div id="meetings-list">')
    assert "HX-Request" in partial.headers["Vary"]


def test_agenda_notice_rule_for_cdu_and_urgent_meetings(app, world, cdu):
    instance = cdu[0]
    cts = make_instance(app, territory_id=world.commune.id, type_code="cts")
    day = datetime(2026, 9, 10, 8, 0, tzinfo=UTC)  # 10:00 in Paris

    def warned(instance_id, sent_days_before, urgent=False):
        meeting = make_meeting(app, instance_id=instance_id, starts_at=day, urgent=urgent,
                               agenda_sent_at=day - timedelta(days=sent_days_before))
        with app.app_context():
            return service.agenda_notice_warning(db.session.get(Meeting, meeting.id)) is not None

    assert not warned(instance.id, 8) and warned(instance.id, 7)
    assert not warned(instance.id, 2, urgent=True) and warned(instance.id, 1, urgent=True)  # one clear day
    assert not warned(cts.id, 1)  # the rule is the CDU's (R1112-88)


def test_attendance_minutes_and_who_may_record_them(app, cdu):
    instance, titulaire, m_tit, suppleant, m_sup, officer = cdu
    meeting = make_meeting(app, instance_id=instance.id,
                           starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=2))
    client = client_for(app, officer)
    path = f"/reunions/{meeting.id}"
    page = client.get(path).get_data(as_text=True)
    assert f'id="member-{m_tit.id}"' in page and f'id="member-{m_sup.id}"' in page
    refused = client.post(f"{path}/presences", data={"csrf_token": _csrf(client, path),
                                                    "mandate_id": str(m_sup.id), "status": "remplace"})
    assert refused.status_code == 422 and 'id="status-error"' in refused.get_data(as_text=True)
    for mandate_id, status in ((m_tit.id, "remplace"), (m_sup.id, "present")):
        done = client.post(f"{path}/presences", data={"csrf_token": _csrf(client, path),
                                                     "mandate_id": str(mandate_id), "status": status})
        assert done.status_code == 303
    done = client.post(f"{path}/compte-rendu", data={"csrf_token": _csrf(client, path), "minutes": "Avis rendu."})
    assert done.status_code == 303
    with app.app_context():
        statuses = dict(db.session.query(Attendance.mandate_id, Attendance.status))
        assert statuses == {m_tit.id: "remplace", m_sup.id: "present"}
        assert db.session.get(Meeting, meeting.id).minutes == "Avis rendu."
    # A member reads the meeting but neither records attendance nor the minutes.
    member = client_for(app, titulaire)
    html = member.get(path).get_data(as_text=True)
    assert "Avis rendu." in html and 'id="attendance-form"' not in html
    assert member.post(f"{path}/compte-rendu", data={"minutes": "x"}).status_code == 403
    assert member.get(f"{path}/modifier").status_code == 403


def test_edit_meeting_keeps_typed_values_on_error(app, cdu):
    instance, *_rest, officer = cdu
    meeting = make_meeting(app, instance_id=instance.id, title="Séance à déplacer")
    client = client_for(app, officer)
    path = f"/reunions/{meeting.id}/modifier"
    form = client.get(path).get_data(as_text=True)
    assert 'value="Séance à déplacer"' in form
    refused = client.post(path, data={"csrf_token": _csrf(client, path), "title": "Séance déplacée",
                                      "starts_at": "2026-10-01T10:00", "ends_at": "2026-10-01T12:00",
                                      "place": "", "visio_url": "ftp://visio"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="visio_url-error"' in html and 'value="Séance déplacée"' in html and 'value="ftp://visio"' in html
    done = client.post(path, data={"csrf_token": _csrf(client, path), "title": "Séance déplacée",
                                   "starts_at": "2026-10-01T10:00", "ends_at": "2026-10-01T12:00",
                                   "visio_url": "https://visio.example.org/cdu"})
    assert done.status_code == 303
    with app.app_context():
        moved = db.session.get(Meeting, meeting.id)
        assert moved.starts_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # 10:00 in Paris, summer time
        assert moved.visio_url == "https://visio.example.org/cdu"


def test_ics_download_for_a_member_and_attestation_only_for_the_attendee(app, cdu):
    instance, titulaire, m_tit, suppleant, m_sup, officer = cdu
    meeting = make_meeting(app, instance_id=instance.id, title="Séance passée", place="Salle Pasteur",
                           starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=2))
    with app.app_context():
        db.session.add(Attendance(meeting_id=meeting.id, mandate_id=m_tit.id, status="present"))
        db.session.add(Attendance(meeting_id=meeting.id, mandate_id=m_sup.id, status="excuse"))
        db.session.commit()
    member = client_for(app, titulaire)
    page = member.get(f"/reunions/{meeting.id}").get_data(as_text=True)
    link = f"/mon-bureau/mandats/{m_tit.id}/heures?reunion={meeting.id}"
    assert f'href="{link}"' in page and 'id="log-hours-link"' in page
    form = member.get(link).get_data(as_text=True)
    assert f'<option selected value="{meeting.id}">' in form or f'value="{meeting.id}" selected' in form
    assert f'value="{paris_date(meeting.starts_at).isoformat()}"' in form
    ics = member.get(f"/reunions/{meeting.id}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["location"]) == "Salle Pasteur"
    attestation = member.get(f"/reunions/{meeting.id}/attestation")
    assert attestation.status_code == 200
    html = attestation.get_data(as_text=True)
    assert 'id="attestation-name">Titulaire Un<' in html and 'id="attestation-place">Salle Pasteur<' in html
    # The legal name an employer needs is typed for the print only: shown, never stored.
    named = member.get(f"/reunions/{meeting.id}/attestation?nom=Marie%20%20Dupont").get_data(as_text=True)
    assert 'id="attestation-name">Marie Dupont<' in named and 'value="Marie Dupont"' in named
    assert client_for(app, suppleant).get(f"/reunions/{meeting.id}/attestation").status_code == 403  # excused
    assert client_for(app, officer).get(f"/reunions/{meeting.id}/attestation").status_code == 403
    assert client_for(app, make_user(app)).get(f"/reunions/{meeting.id}.ics").status_code == 403
    css = app.test_client().get("/static/css/app.css").get_data(as_text=True)
    assert "@media print" in css


def test_instance_meetings_list_is_paginated_with_constant_queries(app, cdu):
    instance, *_rest, officer = cdu
    client = client_for(app, officer)
    path = f"/instances/{instance.id}/reunions"

    def measure():
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    make_meeting(app, instance_id=instance.id)
    few = measure()
    for days in range(1, 31):
        make_meeting(app, instance_id=instance.id, starts_at=datetime.now(UTC) + timedelta(days=days))
    many = measure()
    assert many == few + 1  # the same, and the total counted once the page is full
    assert 'rel="next"' in client.get(path).get_data(as_text=True)


def test_meeting_services_refuse_non_managers_and_audit_every_change(app, cdu):
    from civicsante.accounts.models import User
    from civicsante.audit import AuditEntry
    from civicsante.errors import NotAllowed
    from civicsante.mandates.models import Instance, Mandate

    instance, titulaire, m_tit, _suppleant, _m_sup, officer = cdu
    start = datetime(2026, 11, 5, 13, 0, tzinfo=UTC)
    values = dict(title="Séance", starts_at=start, ends_at=start + timedelta(hours=2), place="Salle B",
                  visio_url="", agenda="", agenda_sent_at=start - timedelta(days=10), urgent=False)
    with app.app_context():
        member, manager = db.session.get(User, titulaire.id), db.session.get(User, officer.id)
        with pytest.raises(NotAllowed):
            service.schedule_meeting(db.session.get(Instance, instance.id), by=member, **values)
        meeting = service.schedule_meeting(db.session.get(Instance, instance.id), by=manager, **values)
        db.session.flush()
        assert service.agenda_notice_warning(meeting) is None  # sent 10 days before
        with pytest.raises(NotAllowed):
            service.record_attendance(meeting, db.session.get(Mandate, m_tit.id), "present", by=member)
        with pytest.raises(NotAllowed):
            service.record_minutes(meeting, "x", by=member)
        service.edit_meeting(meeting, by=manager, place="Salle C")
        service.record_attendance(meeting, db.session.get(Mandate, m_tit.id), "present", by=manager)
        service.record_attendance(meeting, db.session.get(Mandate, m_tit.id), "present", by=manager)  # no change
        service.record_minutes(meeting, "Compte rendu", by=manager)
        db.session.commit()
        actions = [a for (a,) in db.session.query(AuditEntry.action).filter(AuditEntry.action.like("meeting.%"))
                   .order_by(AuditEntry.id)]
        assert actions == ["meeting.scheduled", "meeting.edited", "meeting.attendance", "meeting.minutes"]
