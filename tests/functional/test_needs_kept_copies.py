"""The needs list's pages, its select boxes and the similar needs are kept per worker and served
again (civicsante/cache.py) — but never once a need, a category or a territory has changed,
whoever changed it: the app, another worker, or SQL typed by hand. Runs on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from civicsante.accounts.models import User
from civicsante.blueprints.needs import routes as need_views
from civicsante.cache import GENERATION_TABLES, NEEDS, KeptCopies, generation
from civicsante.extensions import db
from civicsante.needs.models import Need
from tests.conftest import log_in
from tests.support.factories import make_need, make_territory, make_user
from tests.support.generations import update_elsewhere_and_check_the_generation_moves_at_commit
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}


def _html(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _elsewhere(app, sql: str, **params) -> None:
    """A write committed on a connection of its own, as another worker or a script would."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _need_reads(app, client, path: str, headers=None) -> list[str]:
    with count_queries(app) as statements:
        _html(client.get(path, headers=headers))
    return [s for s in statements if "FROM need " in s or "FROM need\n" in s]


def test_a_page_of_the_list_is_read_once_and_served_again_until_a_need_changes(app, client, world):
    need = make_need(app, territory_id=world.commune.id, title="Pas de pédiatre à Belrive")
    path = f"/besoins?territory_id={world.departement.id}"
    assert _need_reads(app, client, path)  # read, then kept
    assert _need_reads(app, client, path) == []  # served from the kept copy
    assert "0 soutien" in _html(client.get(path))

    supporter = make_user(app, home_territory_id=world.commune.id)
    log_in(client, supporter.email)
    assert client.post(f"/besoins/{need.id}/soutenir", data={}).status_code in (302, 303)
    page = _html(client.get(path))
    assert "1 soutien" in page
    assert "Vous le soutenez" in page  # whether this visitor supports it is never kept


def test_what_another_connection_writes_is_shown_at_once(app, client, world):
    need = make_need(app, territory_id=world.quartier.id, title="Cabinet dentaire fermé")
    path = f"/besoins?territory_id={world.commune.id}"
    similar = f"/besoins/similaires?title=cabinet+dentaire&territory_id={world.quartier.id}"
    assert "Cabinet dentaire fermé" in _html(client.get(path))
    assert "Les Tilleuls" in _html(client.get(similar, headers=HTMX))

    _elsewhere(app, "UPDATE need SET title = :t, supports_count = 7 WHERE id = :id",
               t="Cabinet dentaire fermé depuis mars", id=need.id)
    _elsewhere(app, "UPDATE territory SET name = 'Les Tilleuls-Nord' WHERE id = :id", id=world.quartier.id)
    _elsewhere(app, "UPDATE need_category SET label_fr = 'Soins de proximité' WHERE code = 'premier_recours'")
    page = _html(client.get(path))
    assert "Cabinet dentaire fermé depuis mars" in page and "7 soutiens" in page
    assert "Les Tilleuls-Nord" in page  # on the card and in the territory select box
    assert page.count("Soins de proximité") >= 2  # on the card and in the category select box
    suggestions = _html(client.get(similar, headers=HTMX))
    assert "Cabinet dentaire fermé depuis mars" in suggestions and "Les Tilleuls-Nord" in suggestions

    _elsewhere(app, "UPDATE need SET hidden = :yes WHERE id = :id", yes=True, id=need.id)
    assert "Cabinet dentaire" not in _html(client.get(path))
    assert "Cabinet dentaire" not in _html(client.get(similar, headers=HTMX))


def test_a_new_need_and_a_new_territory_appear_at_once(app, client, world):
    make_need(app, territory_id=world.commune.id, title="Pas de kinésithérapeute")
    path = f"/besoins?territory_id={world.departement.id}"
    assert "1 besoin" in _html(client.get(path))
    make_need(app, territory_id=world.other_commune.id, title="Pas de kinésithérapeute non plus")
    page = _html(client.get(path))
    assert "2 besoins" in page and "Pas de kinésithérapeute non plus" in page

    make_territory(app, name="Valrose", parent_id=world.departement.id)
    assert "Valrose (Commune)" in _html(client.get(path))  # in the territory select box


def test_each_page_and_each_filter_is_kept_apart(app, client, world):
    for i in range(27):  # 25 a page
        make_need(app, territory_id=world.commune.id, title=f"Besoin numéro {i:02d} de Belrive")
    first, second = (_html(client.get(f"/besoins?page={n}")) for n in (1, 2))
    assert "Besoin numéro 26" in first and "Besoin numéro 26" not in second
    assert "Besoin numéro 00" in second and "Besoin numéro 00" not in first
    assert "Besoin numéro" not in _html(client.get(f"/besoins?territory_id={world.other_commune.id}"))
    assert "Page 2 sur 2" in second
    # Another language is kept apart: its labels, plurals and dates are its own.
    assert client.post("/langue", data={"lang": "en"}).status_code in (302, 303)
    english = _html(client.get("/besoins?page=2"))
    assert "Page 2 of 2" in english and "0 supports" in english and "0 soutien" not in english


def test_a_transaction_that_rolls_back_leaves_no_copy_of_what_it_wrote(app, client, world):
    need = make_need(app, territory_id=world.commune.id, title="Horaires du centre de santé")
    assert "Horaires du centre de santé" in _html(client.get("/besoins"))
    with app.test_request_context("/besoins"):
        row = db.session.get(Need, need.id)
        row.title = "Titre jamais enregistré"
        db.session.flush()
        # This transaction sees its own change on the list it renders...
        assert "Titre jamais enregistré" in need_views.index()
        db.session.rollback()
    # ...and nobody sees it afterwards.
    page = _html(client.get("/besoins"))
    assert "Titre jamais enregistré" not in page and "Horaires du centre de santé" in page


@pytest.mark.parametrize("table", GENERATION_TABLES[NEEDS])
def test_every_write_to_the_covered_tables_moves_the_generation_when_it_commits(app, world, table):
    make_need(app, territory_id=world.commune.id)
    column = {"need": "title", "need_category": "label_en", "territory": "name"}[table]
    before = update_elsewhere_and_check_the_generation_moves_at_commit(app, NEEDS, table, column)
    with app.app_context():
        after_update = generation(NEEDS)
        db.session.rollback()
        if table == "need":  # and a deletion
            with db.engine.begin() as writer:
                for dependant in ("need_status_change", "need_follower"):
                    writer.execute(text(f"DELETE FROM {dependant}"))
                writer.execute(text("DELETE FROM need"))
            assert generation(NEEDS) not in (before, after_update)


def test_the_kept_copies_are_bounded_and_drop_the_least_recently_used():
    store = KeptCopies(2)
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1  # "a" is now the most recently used
    store.put("c", 3)
    assert store.get("b") is None and store.get("a") == 1 and store.get("c") == 3
    assert len(store) == 2


def test_users_table_is_not_covered(app, world):
    """Accounts are not shown on the list: changing one does not throw the kept pages away."""
    make_need(app, territory_id=world.commune.id)
    with app.app_context():
        before = generation(NEEDS)
        user = db.session.execute(select(User)).scalars().first()
        user.pseudonym = "Quelqu'un d'autre"
        db.session.commit()
        assert generation(NEEDS) == before
