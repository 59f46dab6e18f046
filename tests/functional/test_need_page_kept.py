"""A need's page — the need, its status history, its comments — is kept per worker and served
again (civicsante/blueprints/needs/page.py), but never once any of it has changed, whoever changed
it; what depends on the visitor (a hidden text, the edit and moderation links, their support) is
decided on every request. Runs on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from civicsante.accounts.models import User
from civicsante.blueprints.needs import routes as need_views
from civicsante.cache import GENERATION_COLUMNS, GENERATION_TABLES, NEED_PAGES, generation
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import EN_EXAMEN, Need
from tests.conftest import client_for
from tests.support.factories import make_need, make_user
from tests.support.generations import update_elsewhere_and_check_the_generation_moves_at_commit
from tests.support.queries import count_queries


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _elsewhere(app, sql: str, **params) -> None:
    """A write committed on a connection of its own, as another worker or a script would."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _comment(app, need_id: int, author_id: int, body: str, *, hidden_reason: str | None = None) -> int:
    with app.app_context():
        comment = services.add_comment(db.session.get(Need, need_id), db.session.get(User, author_id), body)
        if hidden_reason:
            comment.hidden, comment.hidden_reason = True, hidden_reason
        db.session.commit()
        return comment.id


def _statements(app, client, path: str) -> list[str]:
    with count_queries(app) as statements:
        _html(client.get(path))
    return statements


def test_the_page_is_read_once_then_served_from_the_kept_copy(app, client, world):
    need = make_need(app, territory_id=world.commune.id, title="Aucun orthophoniste à Belrive")
    author = make_user(app, pseudonym="Camille B.")
    _comment(app, need.id, author.id, "Six mois sans rendez-vous à Villefranche.")
    path = f"/besoins/{need.id}"
    first = _statements(app, client, path)
    assert any("FROM need_comment" in s for s in first)
    again = _statements(app, client, path)
    # An anonymous visit served from the kept copy reads the generation, and nothing else.
    assert len(again) == 1 and "data_generation" in again[0]
    page = _html(client.get(path))
    assert "Aucun orthophoniste à Belrive" in page and "Camille B." in page and "Six mois sans rendez-vous" in page


def test_what_the_app_or_another_connection_writes_shows_at_once(app, client, world):
    need = make_need(app, territory_id=world.commune.id, title="Cabinet dentaire fermé")
    author = make_user(app, pseudonym="Dominique R.")
    comment_id = _comment(app, need.id, author.id, "Depuis le départ du Dr Martin.")
    path = f"/besoins/{need.id}"
    assert "Depuis le départ du Dr Martin." in _html(client.get(path))

    # Through the app: a supporter, a new comment, a change of status with its reason.
    supporter = make_user(app, home_territory_id=world.commune.id)
    resident = client_for(app, supporter)
    assert resident.post(f"/besoins/{need.id}/soutenir").status_code == 303
    _comment(app, need.id, supporter.id, "Même constat rue des Lilas.")
    with app.app_context():
        facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
        services.set_status(db.session.get(Need, need.id), EN_EXAMEN, db.session.get(User, facilitator.id),
                            "Étude avec la CPTS du secteur.")
        db.session.commit()
    page = _html(client.get(path))
    assert "<strong>1</strong> personne soutient ce besoin" in page
    assert "Même constat rue des Lilas." in page and "2 commentaires" in page
    assert "Étude avec la CPTS du secteur." in page

    # Elsewhere: the need, a comment, the author's pseudonym, the territory, the category.
    _elsewhere(app, "UPDATE need SET title = 'Cabinet dentaire fermé depuis mars' WHERE id = :id", id=need.id)
    _elsewhere(app, "UPDATE need_comment SET body = 'Depuis le départ du Dr Martin en mars.' WHERE id = :id",
               id=comment_id)
    _elsewhere(app, "UPDATE user_account SET pseudonym = 'Dominique R.-L.' WHERE id = :id", id=author.id)
    _elsewhere(app, "UPDATE territory SET name = 'Belrive-le-Haut' WHERE id = :id", id=world.commune.id)
    _elsewhere(app, "UPDATE need_category SET label_fr = 'Soins de proximité' WHERE code = 'premier_recours'")
    page = _html(client.get(path))
    assert "Cabinet dentaire fermé depuis mars" in page
    assert "Depuis le départ du Dr Martin en mars." in page and "Dominique R.-L." in page
    assert "Belrive-le-Haut" in page and "Soins de proximité" in page

    # A deleted account's comments say so.
    _elsewhere(app, "UPDATE user_account SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id", id=author.id)
    assert "Dominique R.-L." not in _html(client.get(path))


def test_what_the_visitor_may_see_and_do_is_decided_on_every_request(app, world):
    need = make_need(app, territory_id=world.commune.id, title="Pas de transport vers la dialyse")
    writer = make_user(app, pseudonym="Alix P.", home_territory_id=world.commune.id)
    _comment(app, need.id, writer.id, "Un texte que la modération a masqué.", hidden_reason="Hors sujet")
    _comment(app, need.id, writer.id, "Un texte visible de tous.")
    path = f"/besoins/{need.id}"
    anonymous = app.test_client()
    page = _html(anonymous.get(path))  # kept from this visit on
    assert "Un texte visible de tous." in page and "Un texte que la modération a masqué." not in page
    assert "Masqué par la modération" in page and "Hors sujet" in page  # the reason, for everyone

    as_writer = _html(client_for(app, writer).get(path))
    assert "Un texte que la modération a masqué." in as_writer  # their own hidden comment
    assert as_writer.count(">Modifier<") == 2  # within the quarter-hour after writing
    other = _html(client_for(app, make_user(app, home_territory_id=world.commune.id)).get(path))
    assert "Un texte que la modération a masqué." not in other and ">Modifier<" not in other
    assert "Signaler<" in other and "Vous soutenez ce besoin." not in other
    moderator = _html(client_for(app, make_user(app, role="facilitator", territory_id=world.commune.id)).get(path))
    assert "Un texte que la modération a masqué." in moderator and "Afficher à nouveau" in moderator
    assert "Modifier le statut" in moderator and "Modifier le statut" not in other

    # The quarter-hour is measured at each visit, not when the page was kept.
    _elsewhere(app, "UPDATE need_comment SET created_at = :t", t="2020-01-01 10:00:00")
    assert ">Modifier<" not in _html(client_for(app, writer).get(path))


def test_a_hidden_need_stays_hidden_from_those_who_may_not_read_it(app, world):
    author = make_user(app, home_territory_id=world.commune.id)
    need = make_need(app, author_id=author.id, territory_id=world.commune.id, title="Titre qui révèle trop")
    path = f"/besoins/{need.id}"
    _elsewhere(app, "UPDATE need SET hidden = :yes, hidden_reason = 'Données de santé' WHERE id = :id",
               yes=True, id=need.id)
    page = _html(app.test_client().get(path))
    assert "Titre qui révèle trop" not in page and "Besoin masqué" in page
    assert "Titre qui révèle trop" in _html(client_for(app, author).get(path))  # its author reads it


def test_pages_of_comments_and_languages_are_kept_apart(app, client, world):
    need = make_need(app, territory_id=world.commune.id)
    author = make_user(app)
    for i in range(27):  # 25 a page
        _comment(app, need.id, author.id, f"Commentaire numéro {i:02d}")
    first, second = (_html(client.get(f"/besoins/{need.id}?page={n}")) for n in (1, 2))
    assert "Commentaire numéro 00" in first and "Commentaire numéro 00" not in second
    assert "Commentaire numéro 26" in second and "Commentaire numéro 26" not in first
    assert "Page 2 sur 2" in second
    assert client.post("/langue", data={"lang": "en"}).status_code in (302, 303)
    english = _html(client.get(f"/besoins/{need.id}?page=2"))
    assert "Page 2 of 2" in english and "27 comments" in english and "Access to primary care" in english


def test_a_merged_need_still_leads_to_the_need_it_was_merged_into(app, client, world):
    source = make_need(app, territory_id=world.commune.id, title="Pas de pédiatre (doublon)")
    target = make_need(app, territory_id=world.commune.id, title="Pas de pédiatre à Belrive")
    assert "Pas de pédiatre (doublon)" in _html(client.get(f"/besoins/{source.id}"))  # kept
    with app.app_context():
        facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
        services.merge_needs(db.session.get(Need, source.id), db.session.get(Need, target.id),
                             db.session.get(User, facilitator.id))
        db.session.commit()
    answer = client.get(f"/besoins/{source.id}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/besoins/{target.id}")
    assert client.get("/besoins/999999").status_code == 404


def test_a_transaction_that_rolls_back_leaves_no_copy_of_what_it_wrote(app, client, world):
    need = make_need(app, territory_id=world.commune.id, title="Horaires de la maison de santé")
    path = f"/besoins/{need.id}"
    assert "Horaires de la maison de santé" in _html(client.get(path))
    with app.test_request_context(path):
        row = db.session.get(Need, need.id)
        row.title = "Titre jamais enregistré"
        db.session.flush()
        body, _status = need_views.detail(need.id)
        assert "Titre jamais enregistré" in body  # this transaction sees its own change...
        db.session.rollback()
    page = _html(client.get(path))  # ...and nobody sees it afterwards
    assert "Titre jamais enregistré" not in page and "Horaires de la maison de santé" in page


_COLUMNS = {"need": "title", "need_category": "label_en", "territory": "name", "need_comment": "body",
            "need_status_change": "to_status", "user_account": "pseudonym"}


@pytest.mark.parametrize("table", GENERATION_TABLES[NEED_PAGES])
def test_every_write_to_the_covered_tables_moves_the_generation_when_it_commits(app, world, table):
    need = make_need(app, territory_id=world.commune.id)
    _comment(app, need.id, make_user(app).id, "Un commentaire")
    with app.app_context():
        facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
        services.set_status(db.session.get(Need, need.id), EN_EXAMEN, db.session.get(User, facilitator.id), None)
        db.session.commit()
    update_elsewhere_and_check_the_generation_moves_at_commit(app, NEED_PAGES, table, _COLUMNS[table])


def test_the_accounts_move_it_only_where_the_page_shows_them(app, world):
    assert GENERATION_COLUMNS[NEED_PAGES]["user_account"] == ("pseudonym", "deleted_at")
    user = make_user(app)
    with app.app_context():
        before = generation(NEED_PAGES)
        db.session.rollback()
        account = db.session.get(User, user.id)
        account.language, account.email_notifications = "en", "hebdomadaire"
        db.session.commit()
        assert generation(NEED_PAGES) == before  # a preference: the pages hold
        db.session.rollback()
        db.session.execute(text("UPDATE user_account SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id"),
                           {"id": user.id})
        db.session.commit()
        assert generation(NEED_PAGES) != before
