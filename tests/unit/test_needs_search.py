"""Finding needs (civicsante/needs/search.py) through the full-text indexes of migration 0003:
SQLite FTS5 trigram, PostgreSQL pg_trgm. Every test runs on the suite's database kind."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from civicsante.extensions import db
from civicsante.needs import search
from civicsante.needs.models import FUSIONNE, Need
from civicsante.text import normalise_for_search
from tests.support import database
from tests.support.factories import make_need, make_territory
from tests.support.queries import count_queries

DESCRIPTION = "Une description suffisamment longue."


def _need(app, territory_id, title, description=DESCRIPTION, **kwargs):
    return make_need(app, territory_id=territory_id, title=title, description=description, **kwargs)


def _listed(app, **filters) -> list[int]:
    with app.app_context():
        query = search.filter_needs(search.visible_needs(), **filters)
        return [n.id for n in db.session.execute(query).scalars()]


def _similar(app, typed, territory_id=None, limit=5) -> list[int]:
    with app.app_context():
        return [n.id for n in search.similar_needs(typed, territory_id, limit=limit)]


def _fts_is_consistent() -> bool:
    """SQLite: the FTS5 index matches the content of ``need`` exactly (PostgreSQL: nothing to
    check, the GIN index is maintained by the database)."""
    if db.engine.dialect.name != "sqlite":
        return True
    with db.engine.begin() as conn:
        # Raises "database disk image is malformed" when the index and the table differ.
        conn.exec_driver_sql("INSERT INTO need_fts(need_fts, rank) VALUES ('integrity-check', 1)")
    return True


# The required test ---------------------------------------------------------------------

@pytest.mark.parametrize("stored,typed", [
    ("Médecin généraliste", "medecin generaliste"),
    ("medecin generaliste", "Médecin Généraliste"),
    ("MÉDECIN GÉNÉRALISTE", "médecin généraliste"),
])
def test_similar_needs_ignore_accents_and_case(app, world, stored, typed):
    found = _need(app, world.commune.id, f"Plus de {stored} à Belrive")
    _need(app, world.commune.id, "Pas de transport vers le CMP")
    assert _similar(app, typed, world.commune.id) == [found.id]
    assert _listed(app, q=typed) == [found.id]


# Filtering the list ----------------------------------------------------------------------------

def test_filter_requires_every_word(app, world):
    both = _need(app, world.commune.id, "Aucun médecin généraliste", "Le dernier médecin est parti en 2023.")
    one = _need(app, world.commune.id, "Médecin spécialiste trop loin", "Trois mois d'attente au moins.")
    _need(app, world.commune.id, "Transport vers le CMP", "Aucun bus ne dessert le centre.")
    assert _listed(app, q="médecin généraliste") == [both.id]
    assert set(_listed(app, q="MEDECIN")) == {both.id, one.id}
    # Words are looked for anywhere in the title and the description, in any order.
    assert _listed(app, q="parti generaliste") == [both.id]
    assert _listed(app, q="medecin bus") == []


def test_filter_matches_inside_words_and_ignores_short_words(app, world):
    need = _need(app, world.commune.id, "Téléconsultation en pharmacie", "Une borne serait utile ici.")
    assert _listed(app, q="consultation") == [need.id]
    # "de", "la", "en" cannot be looked up in a trigram index: they do not filter.
    assert _listed(app, q="de la pharmacie en") == [need.id]
    assert _listed(app, q="en") == [need.id]


def test_words_that_say_nothing_about_a_need_are_ignored(app, world):
    pharmacy = _need(app, world.commune.id, "Téléconsultation en pharmacie", "Une borne serait utile ici.")
    crossing = _need(app, world.commune.id, "Passage piéton dangereux", "Devant le centre de santé.")
    # "pas" would find "passage" in a substring index: it is not looked for.
    assert _listed(app, q="Pas de pharmacie pour nous") == [pharmacy.id]
    assert _similar(app, "Pas de pharmacie", world.commune.id) == [pharmacy.id]
    assert _listed(app, q="passage") == [crossing.id]


@pytest.mark.parametrize("q", ['"médecin', 'méde"cin', "100%", "a_b c", "l'hôpital AND", "NOT OR *",
                               "médecin)(", "-- ;"])
def test_query_syntax_is_never_interpreted(app, world, q):
    _need(app, world.commune.id, "Médecin absent", "Le cabinet est fermé depuis mars.")
    # No error, and punctuation is searched as text, not as FTS or LIKE syntax.
    _listed(app, q=q)
    _similar(app, q, world.commune.id)


def test_like_wildcards_are_literal(app, world):
    with_percent = _need(app, world.commune.id, "Remboursement à 100% des lunettes", DESCRIPTION)
    _need(app, world.commune.id, "Remboursement à 1000 euros", DESCRIPTION)
    assert _listed(app, q="100%") == [with_percent.id]


def test_search_combines_with_the_other_filters_and_sorts(app, world):
    old = _need(app, world.commune.id, "Médecin de garde le dimanche", supports=2)
    new = _need(app, world.commune.id, "Médecin scolaire absent")
    other_category = _need(app, world.commune.id, "Médecin pour la PMI", category_code="enfance")
    assert _listed(app, q="medecin") == [other_category.id, new.id, old.id]
    assert _listed(app, q="medecin", sort="soutiens")[0] == old.id
    with app.app_context():
        enfance = db.session.execute(text("SELECT id FROM need_category WHERE code = 'enfance'")).scalar_one()
    assert _listed(app, q="medecin", category_id=enfance) == [other_category.id]
    assert _listed(app, q="medecin", status="retenu") == []


# Similar needs ---------------------------------------------------------------------------------

def test_similar_needs_put_the_most_relevant_first(app, world):
    # Shares one word, but has many supports.
    one_word = _need(app, world.commune.id, "Médecin spécialiste trop loin",
                     "Il faut trois mois pour un rendez-vous chez le cardiologue.", supports=3)
    both_words = _need(app, world.commune.id, "Plus aucun médecin généraliste",
                       "Depuis le départ du docteur, le village n'a plus de généraliste.")
    _need(app, world.commune.id, "Transport vers le CMP", "Aucun bus ne dessert le centre.")
    assert _similar(app, "Médecin généraliste", world.commune.id) == [both_words.id, one_word.id]


def test_a_long_description_does_not_bury_the_closest_need(app, world):
    long_text = " ".join(["Le cabinet du bourg a fermé et les habitants font quarante minutes de route."] * 8)
    close = _need(app, world.commune.id, "Médecin généraliste introuvable", long_text)
    short = _need(app, world.commune.id, "Médecin spécialiste", "Trop loin d'ici.")
    assert _similar(app, "médecin généraliste", world.commune.id) == [close.id, short.id]


def test_similar_needs_are_limited(app, world):
    ids = {_need(app, world.commune.id, f"Médecin manquant numéro {i}").id for i in range(7)}
    found = _similar(app, "médecin", world.commune.id, limit=5)
    assert len(found) == 5 and set(found) <= ids
    assert _similar(app, "de la", world.commune.id) == []
    assert _similar(app, "   ", world.commune.id) == []


def test_similar_needs_run_one_query_for_the_needs_and_their_relations(app, world):
    for i in range(5):
        _need(app, world.commune.id, f"Médecin absent {i}")
    with app.app_context(), count_queries(app) as statements:
        found = search.similar_needs("médecin", world.commune.id)
        labels = [(n.category.code, n.territory.name, n.author.pseudonym) for n in found]
    assert len(labels) == 5
    # The territory (to know the scope), the needs with their category, territory and author,
    # and the authors' roles (loaded with every User).
    assert len(statements) <= 3, statements


# Territories -----------------------------------------------------------------------------------

def test_list_filter_includes_sub_territories(app, world):
    in_commune = _need(app, world.commune.id, "Médecin à Belrive")
    in_quartier = _need(app, world.quartier.id, "Médecin aux Tilleuls")
    in_other = _need(app, world.other_commune.id, "Médecin à Montclair")
    elsewhere = make_territory(app, kind="region", name="Ailleurs")
    _need(app, elsewhere.id, "Médecin ailleurs")
    assert set(_listed(app, q="medecin", territory_id=world.commune.id)) == {in_commune.id, in_quartier.id}
    assert _listed(app, q="medecin", territory_id=world.quartier.id) == [in_quartier.id]
    assert set(_listed(app, q="medecin", territory_id=world.departement.id)) == {
        in_commune.id, in_quartier.id, in_other.id}


def test_similar_needs_look_around_the_territory(app, world):
    in_commune = _need(app, world.commune.id, "Médecin à Belrive")
    in_quartier = _need(app, world.quartier.id, "Médecin aux Tilleuls")
    in_other = _need(app, world.other_commune.id, "Médecin à Montclair")
    elsewhere = make_territory(app, kind="region", name="Ailleurs")
    far = _need(app, elsewhere.id, "Médecin ailleurs")
    # From a neighbourhood: its commune's whole subtree.
    assert set(_similar(app, "médecin", world.quartier.id)) == {in_commune.id, in_quartier.id}
    # From a commune: its département's, neighbouring communes included.
    assert set(_similar(app, "médecin", world.commune.id)) == {in_commune.id, in_quartier.id, in_other.id}
    # No territory: everywhere.
    assert set(_similar(app, "médecin", None)) == {in_commune.id, in_quartier.id, in_other.id, far.id}


# Hidden and merged -----------------------------------------------------------------------------

def test_hidden_and_merged_needs_are_not_found(app, world):
    shown = _need(app, world.commune.id, "Médecin généraliste absent")
    hidden = _need(app, world.commune.id, "Médecin généraliste introuvable")
    merged = _need(app, world.commune.id, "Médecin généraliste parti")
    with app.app_context():
        db.session.get(Need, hidden.id).hidden = True
        kept = db.session.get(Need, merged.id)
        kept.status, kept.merged_into_id = FUSIONNE, shown.id
        db.session.commit()
    assert _listed(app, q="medecin generaliste") == [shown.id]
    assert _similar(app, "médecin généraliste", world.commune.id) == [shown.id]


# The index follows the table -------------------------------------------------------------------

def test_index_follows_an_update_of_the_text(app, world):
    need = _need(app, world.commune.id, "Médecin généraliste absent")
    with app.app_context():
        row = db.session.get(Need, need.id)
        row.title = "Orthophoniste introuvable"
        row.search_text = normalise_for_search(row.title, row.description)
        db.session.commit()
        # Other columns change without touching the index.
        row.supports_count = 4
        db.session.commit()
        assert _fts_is_consistent()
    assert _listed(app, q="medecin") == []
    assert _similar(app, "médecin généraliste", world.commune.id) == []
    assert _listed(app, q="orthophoniste") == [need.id]
    assert _similar(app, "Orthophoniste", world.commune.id) == [need.id]


def test_index_follows_a_delete(app, world):
    gone = _need(app, world.commune.id, "Médecin généraliste absent")
    kept = _need(app, world.commune.id, "Médecin généraliste parti")
    with app.app_context():
        db.session.execute(delete(Need).where(Need.id == gone.id))
        db.session.commit()
        assert _fts_is_consistent()
    assert _listed(app, q="generaliste") == [kept.id]
    assert _similar(app, "généraliste", world.commune.id) == [kept.id]


def test_emptying_the_tables_empties_the_index(app, world):
    _need(app, world.commune.id, "Médecin généraliste absent")
    with app.app_context():
        database.empty_all_tables()
        assert _fts_is_consistent()
        assert db.session.execute(select(Need.id)).first() is None
        if db.engine.dialect.name == "sqlite":
            matches = db.session.execute(text(
                "SELECT count(*) FROM need_fts WHERE need_fts MATCH '\"medecin\"'")).scalar_one()
            assert matches == 0


def test_suggestions_while_typing_leave_the_authors_out(app, world):
    """The suggestions name the need, its territory and its supports: without their authors, one
    query (and no roles query) for them; an author read anyway is still found."""
    for i in range(5):
        _need(app, world.commune.id, f"Médecin absent {i}")
    with app.app_context(), count_queries(app) as statements:
        found = search.similar_needs("médecin", world.commune.id, authors=False)
        labels = [(n.category.code, n.territory.name, n.supports_count) for n in found]
    assert len(labels) == 5
    assert len(statements) == 2, statements  # the territory, then the needs
    assert not any("user_account" in s for s in statements)
