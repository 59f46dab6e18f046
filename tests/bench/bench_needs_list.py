"""Benchmark of the needs pages with a realistic volume of data.

Builds a database with 200 territories (région > départements > EPCI > communes > quartiers),
10,000 residents and 50,000 needs written like real ones (from word lists), with their supports,
comments, followers and status timelines — by bulk inserts, through the real migrations (so the
full-text indexes are there and filled by their triggers) — then measures the public pages:

- the list of needs (/besoins): first page; territory + category, page 3; text search; text
  search within a territory sorted by supports; the htmx partial;
- the page of a need (/besoins/<id>), over a rotating sample of needs;
- the similar needs shown while a title is typed (/besoins/similaires);

for an anonymous reader and for a logged-in resident: N requests after a warm-up, printing the
p50 / p95 / p99 times in milliseconds and the number of SQL queries per page.

    make bench                                                  # SQLite in a temporary folder
    .venv/bin/python -m tests.bench.bench_needs_list --server gunicorn    # also over HTTP
    .venv/bin/python -m tests.bench.bench_needs_list \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench --reset  # PostgreSQL too
    .venv/bin/python -m tests.bench.bench_needs_list --analyze \\
        --extra-sql "CREATE INDEX ix_try ON need (hidden, status, category_id, territory_id)"

The requests go through the Flask app in-process (``app.test_client()``): the whole route —
form, queries, templates — without network nor server. ``--server gunicorn`` also starts
gunicorn on the same database and times the anonymous pages over HTTP. When the needs routes do
not exist (yet), the script times the query the list route runs (``filter_needs`` + ``paginate``)
directly.

PostgreSQL: the database given must be empty; ``--reset`` drops and recreates its ``public``
schema first (everything in it is lost).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import math
import os
import random
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import event, func, inspect, select, text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCH_PASSWORD = "banc d'essai des besoins 2026"

# Words --------------------------------------------------------------------------------------------

DEPARTEMENTS = ["Loire-Océane", "Vallée-du-Thouet", "Haut-Bocage", "Marais-Breton"]
EPCI_KINDS = ["Communauté de communes", "Communauté d'agglomération", "Communauté de communes",
              "Communauté de communes"]
SAINTS = ["Aubin", "Martin", "Julien", "Hilaire", "Germain", "Laurent", "Pierre", "Étienne",
          "Georges", "Mesmin", "Florent", "Vincent", "Philbert", "Macaire", "Lumine", "Brévin",
          "Herblain", "Sébastien", "Nazaire", "Gildas", "Père", "Jean", "Léger", "Rémy"]
SAINTES = ["Anne", "Luce", "Reine", "Pazanne", "Marie", "Flaive", "Gemme", "Christine", "Cécile"]
PLACES = ["Montclair", "Belrive", "Clisson", "Vertou", "Bouaye", "Varades", "Ancenis", "Machecoul",
          "Pornic", "Legé", "Vallet", "Blain", "Savenay", "Guérande", "Herbignac", "Nozay",
          "Derval", "Rougé", "Sion", "Oudon", "Mauves", "Thouaré", "Carquefou", "Orvault", "Vigneux",
          "Treillières", "Héric", "Fay", "Bouvron", "Quilly", "Campbon", "Cordemais", "Frossay",
          "Chauvé", "Arthon", "Chéméré", "Rouans", "Brains", "Cheix", "Port-Saint-Père"]
SUFFIXES = ["", "", "", "-sur-Loire", "-en-Retz", "-de-Bretagne", "-le-Vieux", "-des-Bois",
            "-la-Forêt", "-sur-Erdre", "-du-Lac", "-les-Vignes", "-en-Mauges"]
QUARTIERS = ["Centre-ville", "Les Tilleuls", "La Roseraie", "Bellevue", "Les Hauts", "Le Port",
             "La Gare", "Les Acacias", "Le Plateau", "Saint-Jacques", "Les Dervallières", "Malakoff"]

PROFESSIONALS = [
    "médecin généraliste", "médecin traitant", "pédiatre", "gynécologue", "dentiste",
    "orthophoniste", "kinésithérapeute", "psychiatre", "psychologue", "infirmier à domicile",
    "sage-femme", "ophtalmologue", "dermatologue", "cardiologue", "psychomotricien",
    "ergothérapeute", "orthoptiste", "diabétologue", "gériatre", "addictologue",
]
PLACES_OF_CARE = [
    "CMP", "hôpital", "centre de dialyse", "maternité", "service des urgences", "maison de santé",
    "centre de santé", "EHPAD", "centre de dépistage", "CSAPA", "PMI", "laboratoire d'analyses",
    "centre de radiologie", "hôpital de jour", "pharmacie de garde", "centre de rééducation",
]
PUBLICS = [
    "les jeunes", "les personnes âgées isolées", "les aidants", "les familles monoparentales",
    "les personnes en situation de handicap", "les saisonniers", "les étudiants",
    "les personnes sans voiture", "les adolescents", "les femmes enceintes",
    "les personnes sans domicile", "les agriculteurs", "les nouveaux arrivants",
]
SERVICES = [
    "groupe de parole", "atelier de prévention", "permanence d'accès aux soins", "médiateur en santé",
    "consultation sans rendez-vous", "dépistage gratuit", "point d'écoute", "bus santé",
    "accompagnement aux démarches", "interprète médical", "atelier nutrition", "café des aidants",
]
NUISANCES = [
    "Pollution de l'air", "Bruit de la rocade", "Moustiques tigres", "Logements insalubres",
    "Épandages de pesticides", "Eau du robinet de mauvaise qualité", "Ambroisie", "Odeurs de la station d'épuration",
]
SPOTS = ["l'école", "la crèche", "la maison de retraite", "le stade", "la zone d'activités",
         "le lotissement des Peupliers", "la rue de la République", "la place du marché"]

TITLE_TEMPLATES = [
    "Plus de {pro} à {place} depuis {year}",
    "Pas de {pro} qui accepte de nouveaux patients",
    "Délais trop longs pour voir un {pro}",
    "Aucun {pro} à moins de {km} km",
    "Pas de transport vers le {care}",
    "Le {care} de {place} va fermer",
    "Besoin d'un {service} pour {public}",
    "{service_cap} pour {public} à {place}",
    "{nuisance} près de {spot}",
    "Accès impossible en fauteuil roulant au {care}",
    "Horaires du {care} inadaptés pour {public}",
    "Renoncement aux soins chez {public}",
]
SENTENCES = [
    "Depuis le départ à la retraite du docteur {surname}, plus personne ne prend de nouveaux patients.",
    "Les habitants doivent faire {km} km pour consulter un {pro}.",
    "Il faut attendre {months} mois pour obtenir un rendez-vous.",
    "Beaucoup de personnes âgées renoncent à se soigner faute de transport.",
    "La ligne de bus qui desservait le {care} a été supprimée en {year}.",
    "Les urgences de {place} sont saturées le week-end.",
    "Nous proposons qu'un {service} soit organisé une fois par mois.",
    "Les familles ne savent pas à qui s'adresser.",
    "Le {care} le plus proche est à {km} minutes en voiture.",
    "Sans médecin traitant, les remboursements sont plus faibles.",
    "Plusieurs voisins sont dans la même situation.",
    "La téléconsultation ne convient pas à tout le monde.",
    "Les aidants sont épuisés et n'ont aucune solution de répit.",
    "Il n'y a pas de permanence le samedi.",
    "Une réunion publique pourrait être organisée à la mairie de {place}.",
    "Les jeunes n'osent pas en parler à leurs parents.",
    "Les enfants de l'école toussent beaucoup depuis la rentrée.",
    "Les personnes qui ne lisent pas le français sont perdues.",
]
COMMENT_SENTENCES = [
    "Moi aussi, j'attends depuis des mois.", "Même situation dans notre quartier.",
    "La mairie est au courant depuis longtemps.", "Merci d'avoir lancé ce sujet.",
    "Il existe une maison de santé à {place}, mais elle est complète.",
    "Le bus du mardi ne passe plus.", "Une pétition circule à la pharmacie.",
    "Mon médecin part aussi à la retraite l'an prochain.",
    "Est-ce que le conseil territorial de santé peut s'en saisir ?",
    "On pourrait proposer un covoiturage solidaire.",
]
FIRST_NAMES = ["Camille", "Louise", "Jade", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Lucas", "Hugo",
               "Louis", "Nathan", "Gabriel", "Jules", "Arthur", "Paul", "Yasmine", "Mamadou", "Nadia",
               "Thierry", "Sylvie", "Françoise", "Michel", "Nicole", "Patrick", "Monique", "Joël"]
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Bertrand", "Roux"]

# Statuses: share of needs, and the timeline that leads there.
STATUS_MIX = [("nouveau", 45), ("en_examen", 20), ("retenu", 10), ("non_retenu", 8), ("integre", 7),
              ("realise", 5), ("fusionne", 2)]
TIMELINES = {
    "nouveau": [], "en_examen": ["en_examen"], "retenu": ["en_examen", "retenu"],
    "non_retenu": ["en_examen", "non_retenu"], "integre": ["en_examen", "retenu", "integre"],
    "realise": ["en_examen", "retenu", "integre", "realise"], "fusionne": ["fusionne"],
}


@dataclass
class Sizes:
    territories: int = 200
    residents: int = 10_000
    needs: int = 50_000
    # Totals of supports and comments spread over the needs, heavy-tailed (a few needs get most);
    # None: each need draws its own number (Pareto), which gives about 114,000 and 75,000.
    supports: int | None = None
    comments: int | None = None


@dataclass
class Dataset:
    """What the scenarios need to know about the generated data."""

    departement_id: int = 0
    commune_id: int = 0  # a town with neighbourhoods
    category_id: int = 0
    detail_ids: list[int] = field(default_factory=list)
    resident_email: str = ""
    counts: dict[str, int] = field(default_factory=dict)


# Generating -------------------------------------------------------------------------------------

class Words:
    def __init__(self, rng: random.Random, place_names: list[str]):
        self.rng, self.places = rng, place_names

    def fill(self, template: str) -> str:
        r = self.rng
        service = r.choice(SERVICES)
        return template.format(
            pro=r.choice(PROFESSIONALS), place=r.choice(self.places), year=r.randint(2019, 2025),
            km=r.choice([15, 20, 25, 30, 40, 45, 60]), care=r.choice(PLACES_OF_CARE),
            service=service, service_cap=service[0].upper() + service[1:], public=r.choice(PUBLICS),
            nuisance=r.choice(NUISANCES), spot=r.choice(SPOTS), months=r.randint(2, 9),
            surname=r.choice(SURNAMES))

    def title(self) -> str:
        return self.fill(self.rng.choice(TITLE_TEMPLATES))[:150]

    def description(self) -> str:
        return " ".join(self.fill(s) for s in self.rng.sample(SENTENCES, self.rng.randint(2, 5)))

    def comment(self) -> str:
        return " ".join(self.fill(s) for s in self.rng.sample(COMMENT_SENTENCES, self.rng.randint(1, 3)))


def _territories(rng: random.Random, total: int) -> tuple[list[dict], list[int], list[int]]:
    """A tree of ``total`` territories; returns the rows, and the ids of communes and quartiers
    with the weight of each (how many needs and residents it gets)."""
    rows: list[dict] = []
    ids = itertools.count(1)

    def add(name, kind, code, parent):
        tid = next(ids)
        rows.append({"id": tid, "name": name, "kind": kind, "code": code,
                     "parent_id": parent["id"] if parent else None,
                     "path": f"{parent['path'] if parent else '/'}{tid}/"})
        return rows[-1]

    region = add("Pays-de-Loire-Océane", "region", "R52", None)
    epcis = []
    for d, dep in enumerate(DEPARTEMENTS):
        departement = add(dep, "departement", f"D{d + 44}", region)
        for e in range(4):
            epcis.append(add(f"{EPCI_KINDS[e]} {rng.choice(PLACES)} {d * 4 + e + 1}", "epci",
                             f"E{d + 44}{e:02d}", departement))
    remaining = total - len(rows)
    n_quartiers = max(remaining * 15 // 100, 0)
    n_communes = remaining - n_quartiers
    names: set[str] = set()
    while len(names) < n_communes:
        start = rng.random()
        root = (f"Saint-{rng.choice(SAINTS)}" if start < 0.3 else f"Sainte-{rng.choice(SAINTES)}"
                if start < 0.4 else rng.choice(PLACES))
        names.add(root + rng.choice(SUFFIXES))
    communes = [add(name, "commune", f"{44000 + i:05d}", epcis[i % len(epcis)])
                for i, name in enumerate(sorted(names))]
    towns = communes[:6]
    quartiers = [add(f"{QUARTIERS[i % len(QUARTIERS)]} ({towns[i % len(towns)]['name']})", "quartier",
                     f"Q{44000 + i:05d}", towns[i % len(towns)]) for i in range(n_quartiers)]
    places = [t["id"] for t in communes + quartiers]
    weights = [20 if t in towns else 6 if t["kind"] == "quartier" else rng.randint(1, 4)
               for t in communes + quartiers]
    return rows, places, weights


def _statuses(rng: random.Random, n: int) -> list[str]:
    names, weights = zip(*STATUS_MIX)
    return rng.choices(names, weights=weights, k=n)


def _spread(rng: random.Random, total: int, n: int, cap: int, alpha: float) -> list[int]:
    """``n`` counts summing to ``total`` (each at most ``cap``), heavy-tailed like real supports."""
    weights = [rng.paretovariate(alpha) for _ in range(n)]
    scale = total / sum(weights)
    counts = [min(int(w * scale), cap) for w in weights]
    short = total - sum(counts)
    while short > 0:
        i = rng.randrange(n)
        if counts[i] < cap:
            counts[i] += 1
            short -= 1
    return counts


def _insert(conn, table, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        conn.execute(table.insert(), rows[start:start + chunk])


def build_database(app, sizes: Sizes, seed: int) -> Dataset:
    from civicsante.accounts.passwords import hash_password
    from civicsante.extensions import db
    from civicsante.text import normalise_for_search

    rng = random.Random(seed)
    tables = db.metadata.tables
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=3 * 365)
    dataset = Dataset()

    territory_rows, places, weights = _territories(rng, sizes.territories)
    words = Words(rng, [t["name"] for t in territory_rows if t["kind"] == "commune"])

    real_hash = hash_password(BENCH_PASSWORD)
    users = []
    for uid in range(1, sizes.residents + 1):
        pseudonym = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)[0]}. {uid}"
        users.append({"id": uid, "email": f"habitant{uid}@bench.example.org", "pseudonym": pseudonym,
                      "pseudonym_key": pseudonym.casefold(),
                      "password_hash": real_hash if uid == 1 else "!bench-no-login",
                      "home_territory_id": rng.choices(places, weights)[0], "age_band": None,
                      "sex": None, "language": "fr", "email_notifications": "aucun",
                      "created_at": start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400)),
                      "deleted_at": None})
    dataset.resident_email = users[0]["email"]

    with app.app_context():
        categories = db.session.execute(select(tables["need_category"].c.id)).scalars().all()
        db.session.remove()
    statuses = _statuses(rng, sizes.needs)
    created = sorted(start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400)) for _ in range(sizes.needs))
    needs, supports, comments, changes, followers = [], [], [], [], []
    resident_ids = range(1, sizes.residents + 1)
    support_counts = None
    if sizes.supports is not None:  # merged needs keep no supports of their own
        kept = [i for i, status in enumerate(statuses) if status != "fusionne" or i == 0]
        support_counts = [0] * sizes.needs
        for i, count in zip(kept, _spread(rng, sizes.supports, len(kept), 400, 1.3), strict=True):
            support_counts[i] = count
    comment_counts = (_spread(rng, sizes.comments, sizes.needs, 150, 1.5) if sizes.comments is not None
                      else None)
    for i in range(sizes.needs):
        nid, at, status = i + 1, created[i], statuses[i]
        title, description = words.title(), words.description()
        author = rng.randint(1, sizes.residents)
        supporters = rng.sample(resident_ids, support_counts[i] if support_counts is not None
                                else min(int(rng.paretovariate(1.3)) - 1, 400))
        supporters = [u for u in supporters if u != author]
        n_comments = (comment_counts[i] if comment_counts is not None
                      else min(int(rng.paretovariate(1.5)) - 1, 150))
        merged_into = rng.randint(1, nid - 1) if status == "fusionne" and nid > 1 else None
        if status == "fusionne" and merged_into is None:
            status = "nouveau"
        needs.append({
            "id": nid, "title": title, "description": description, "category_id": rng.choice(categories),
            "territory_id": rng.choices(places, weights)[0], "public_concerned": None,
            "author_id": author, "channel": "en_ligne", "entered_by_id": None, "assisted_name": None,
            "assisted_contact": None, "consent_at": at, "status": status,
            "status_reason": "Hors du champ de la santé." if status == "non_retenu" else None,
            "merged_into_id": merged_into, "hidden": rng.random() < 0.01, "hidden_reason": None,
            "pending_review": False, "report_count": 0,
            "supports_count": 0 if status == "fusionne" else len(supporters),
            "comments_count": n_comments, "search_text": normalise_for_search(title, description),
            "created_at": at, "updated_at": at,
        })
        if needs[-1]["hidden"]:
            needs[-1]["hidden_reason"] = "Propos identifiant une personne."
        step = at
        previous = None
        for to_status in ["nouveau", *TIMELINES[status]]:
            changes.append({"need_id": nid, "from_status": previous, "to_status": to_status,
                            "reason": needs[-1]["status_reason"] if to_status == "non_retenu" else None,
                            "by_id": author if previous is None else None, "at": step})
            previous, step = to_status, step + timedelta(days=rng.randint(3, 60))
        if status != "fusionne":
            for user in supporters:
                supports.append({"need_id": nid, "user_id": user, "channel": "en_ligne",
                                 "entered_by_id": None, "assisted_name": None, "consent_at": None,
                                 "created_at": at + timedelta(hours=rng.randint(1, 2000))})
        followers.extend({"need_id": nid, "user_id": u} for u in {author, *supporters})
        for _ in range(n_comments):
            comments.append({"need_id": nid, "author_id": rng.randint(1, sizes.residents),
                             "body": words.comment(), "created_at": at + timedelta(hours=rng.randint(1, 4000)),
                             "edited_at": None, "deleted_at": None, "hidden": False, "hidden_reason": None,
                             "pending_review": False, "report_count": 0})

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            _insert(conn, tables["territory"], territory_rows)
            _insert(conn, tables["user_account"], users)
            _insert(conn, tables["need"], needs)
            _insert(conn, tables["need_status_change"], changes)
            _insert(conn, tables["need_support"], supports)
            _insert(conn, tables["need_follower"], followers)
            _insert(conn, tables["need_comment"], comments)
            if engine.dialect.name == "postgresql":
                for name in ("territory", "user_account", "need"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT max(id) FROM {name}))"))
        if engine.dialect.name == "postgresql":
            # What autovacuum does shortly after a load.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        dataset.counts = {name: len(rows) for name, rows in [
            ("territory", territory_rows), ("user_account", users), ("need", needs),
            ("need_support", supports), ("need_comment", comments), ("need_follower", followers),
            ("need_status_change", changes)]}
        db.engine.dispose()

    dataset.departement_id = next(t["id"] for t in territory_rows if t["kind"] == "departement")
    dataset.commune_id = next(t["id"] for t in territory_rows if t["kind"] == "commune")
    dataset.category_id = categories[0]
    visible = [n for n in needs if not n["hidden"] and n["status"] != "fusionne"]
    sample = rng.sample(visible, 200)
    busiest = sorted(visible, key=lambda n: n["comments_count"])[-5:]
    dataset.detail_ids = [n["id"] for n in sample + busiest]
    return dataset


# Measuring --------------------------------------------------------------------------------------

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Scenario:
    name: str
    paths: Callable[[int], str]  # request number → path
    headers: dict = field(default_factory=dict)
    as_resident: bool = False
    fallback: Callable[[int], None] | None = None  # when the route does not exist yet


@dataclass
class Result:
    name: str
    times_ms: list[float]
    queries: list[int]

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile."""
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def scenarios(dataset: Dataset) -> list[Scenario]:
    def fixed(path, **params):
        url = f"{path}?{urlencode(params)}" if params else path
        return lambda _i: url

    def detail(i):
        return f"/besoins/{dataset.detail_ids[i % len(dataset.detail_ids)]}"

    filtered = {"territory_id": dataset.departement_id, "category_id": dataset.category_id, "page": 3}
    htmx = {"HX-Request": "true"}
    return [
        Scenario("liste, 1re page sans filtre", fixed("/besoins")),
        Scenario("liste, territoire + catégorie, page 3", fixed("/besoins", **filtered)),
        Scenario("liste, recherche « médecin généraliste »", fixed("/besoins", q="médecin généraliste")),
        Scenario("liste, recherche + territoire, tri soutiens",
                 fixed("/besoins", q="orthophoniste", territory_id=dataset.departement_id, sort="soutiens")),
        Scenario("liste htmx, territoire + catégorie + recherche",
                 fixed("/besoins", territory_id=dataset.departement_id, category_id=dataset.category_id,
                       q="transport"), headers=htmx),
        Scenario("fiche d'un besoin", detail),
        Scenario("besoins similaires (frappe du titre)",
                 fixed("/besoins/similaires", title="Pas de medecin generaliste a",
                       territory_id=dataset.commune_id), headers=htmx),
        Scenario("liste, territoire + catégorie, page 3 (connecté)", fixed("/besoins", **filtered),
                 as_resident=True),
        Scenario("fiche d'un besoin (connecté)", detail, as_resident=True),
    ]


def direct_scenarios(app, dataset: Dataset) -> list[Scenario]:
    """The list route's query without the route: filter_needs + paginate (the page of 25 and the
    count), loading the needs with their category, territory and author."""
    from civicsante.extensions import db
    from civicsante.needs.search import filter_needs, similar_needs, visible_needs

    def run_list(query_string: str, **filters):
        def run(_i):
            with app.test_request_context(f"/besoins?{query_string}"):
                page = db.paginate(filter_needs(visible_needs(), **filters),
                                   per_page=app.config["PAGE_SIZE"], error_out=False)
                [(n.category.code, n.territory.name, n.author and n.author.pseudonym) for n in page.items]
                db.session.remove()
        return run

    def run_similar(_i):
        with app.app_context():
            similar_needs("Pas de medecin generaliste a", dataset.commune_id)
            db.session.remove()

    filtered = {"territory_id": dataset.departement_id, "category_id": dataset.category_id}
    return [
        Scenario("requête liste, 1re page sans filtre", None, fallback=run_list("")),
        Scenario("requête liste, territoire + catégorie, page 3", None,
                 fallback=run_list("page=3", **filtered)),
        Scenario("requête liste, recherche « médecin généraliste »", None,
                 fallback=run_list("", q="médecin généraliste")),
        Scenario("requête liste, recherche + territoire, tri soutiens", None,
                 fallback=run_list("", q="orthophoniste", territory_id=dataset.departement_id,
                                   sort="soutiens")),
        Scenario("requête besoins similaires", None, fallback=run_similar),
    ]


def _log_in(client, email: str) -> None:
    response = client.post("/connexion", data={"email": email, "password": BENCH_PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"bench resident could not log in: {response.status_code}")


def measure_in_process(app, dataset: Dataset, requests: int, warmup: int) -> list[Result]:
    from civicsante.extensions import db

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    routes_exist = {"needs.index", "needs.detail"} <= endpoints
    if routes_exist:
        plan = scenarios(dataset)
        if "needs.similar" not in endpoints:
            plan = [s for s in plan if "similaires" not in s.name]
    else:
        print("Les routes needs.index / needs.detail n'existent pas encore : mesure de la requête "
              "de la liste (filter_needs + paginate) sans la route.")
        plan = direct_scenarios(app, dataset)

    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(_CONTROL):
            statements.append(statement)

    anonymous, resident = app.test_client(), app.test_client()
    if routes_exist:
        _log_in(resident, dataset.resident_email)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    results = []
    try:
        for scenario in plan:
            client = resident if scenario.as_resident else anonymous

            def once(i, scenario=scenario, client=client):
                if scenario.fallback is not None:
                    scenario.fallback(i)
                    return
                response = client.get(scenario.paths(i), headers=scenario.headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{scenario.name}: {scenario.paths(i)} answered {response.status_code}")

            for i in range(warmup):
                once(i)
            times, queries = [], []
            for i in range(requests):
                statements.clear()
                began = time.perf_counter()
                once(i)
                times.append((time.perf_counter() - began) * 1000)
                queries.append(len(statements))
            results.append(Result(scenario.name, times, queries))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The secret the bench servers sign their cookies with (a bench may sign sessions for its clients).
SERVER_SECRET_KEY = "bench-not-secret"


@contextmanager
def gunicorn_server(database_url: str, workers: int) -> Iterator[int]:
    """gunicorn serving the app on ``database_url`` in its production configuration
    (``gunicorn.conf.py``, ``workers`` workers), on a free port of 127.0.0.1 (yielded)."""
    from tests.bench.run import gunicorn

    env = {"DATABASE_URL": database_url, "SECRET_KEY": SERVER_SECRET_KEY, "CIVICSANTE_ENV": "production",
           "RATELIMIT_ENABLED": "0", "SESSION_COOKIE_SECURE": "0", "WEB_CONCURRENCY": str(workers)}
    with gunicorn("wsgi:app", env) as (port, _server):
        yield port


def measure_gunicorn(database_url: str, dataset: Dataset, requests: int, warmup: int,
                     workers: int) -> list[Result]:
    """The anonymous pages over HTTP, served by gunicorn (production configuration)."""
    with gunicorn_server(database_url, workers) as port:
        results = []
        for scenario in scenarios(dataset):
            if scenario.as_resident:
                continue

            def once(i, scenario=scenario):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", scenario.paths(i), headers=scenario.headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    raise RuntimeError(f"{scenario.name}: {scenario.paths(i)} answered {response.status}")

            for i in range(warmup):
                once(i)
            times = []
            for i in range(requests):
                began = time.perf_counter()
                once(i)
                times.append((time.perf_counter() - began) * 1000)
            results.append(Result(f"HTTP {scenario.name}", times, []))
        return results


def print_results(title: str, results: list[Result]) -> None:
    print(f"\n{title}")
    width = max(len(r.name) for r in results)
    print(f"{'page':<{width}}  {'n':>4}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  requêtes SQL")
    for r in results:
        if r.queries:
            low, high = min(r.queries), max(r.queries)
            queries = str(low) if low == high else f"{low}–{high}"
        else:
            queries = "—"
        print(f"{r.name:<{width}}  {len(r.times_ms):>4}  {r.percentile(50):>7.1f}  {r.percentile(95):>7.1f}"
              f"  {r.percentile(99):>7.1f}  {max(r.times_ms):>7.1f}  {queries}")


# Running ----------------------------------------------------------------------------------------

def _create_database_if_missing(plain_url: str) -> None:
    """The bench's database is created on a fresh server (from the ``postgres`` database)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(plain_url)
    name = params.get("dbname")
    if not name or name == "postgres":
        return
    with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _prepare_postgres(url: str, reset: bool) -> str:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    _create_database_if_missing(plain)
    with psycopg.connect(plain, autocommit=True) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        if tables and not reset:
            raise SystemExit(f"{plain} is not empty ({tables} tables): pass --reset to wipe its public "
                             "schema, or give an empty database.")
        if reset:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    return plain.replace("postgresql://", "postgresql+psycopg://", 1)


def run(database_url: str, args) -> None:
    from flask_migrate import upgrade

    from civicsante import create_app
    from civicsante.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False,
                      "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        kind = db.engine.dialect.name
        upgrade()
        existing = db.session.execute(select(func.count()).select_from(db.metadata.tables["need"])).scalar()
        db.session.remove()
        db.engine.dispose()
    if existing:
        raise SystemExit("the database already holds needs: give an empty one")
    print(f"\n=== {kind} — {database_url.split('@')[-1]} ===")
    began = time.perf_counter()
    dataset = build_database(app, Sizes(args.territories, args.residents, args.needs), args.seed)
    built = time.perf_counter() - began
    print(f"Données créées en {built:.1f} s : " + ", ".join(f"{v:,} {k}".replace(",", " ")
                                                           for k, v in dataset.counts.items()))
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in args.extra_sql:
                print(f"SQL en plus : {statement}")
                conn.execute(text(statement))
            if kind == "sqlite" and args.analyze:
                print("ANALYZE (statistiques pour le planificateur de SQLite)")
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        print("Index plein texte : " + ("need_fts (FTS5 trigram)" if "need_fts" in names
                                        else "ix_need_search_text_trgm (pg_trgm GIN)"))
    results = measure_in_process(app, dataset, args.requests, args.warmup)
    print_results(f"Dans le processus (app.test_client()), {args.requests} requêtes après "
                  f"{args.warmup} de chauffe, une à la fois :", results)
    with app.app_context():
        db.engine.dispose()
    if args.server == "gunicorn":
        results = measure_gunicorn(database_url, dataset, args.requests, args.warmup, args.workers)
        print_results(f"HTTP via gunicorn ({args.workers} workers), anonyme, une requête à la fois :", results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL database to measure too (must be empty, or --reset)")
    parser.add_argument("--reset", action="store_true", help="wipe the PostgreSQL database's public schema first")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--sqlite-path", help="SQLite file to build (kept); default: a temporary one, removed")
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--territories", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", choices=["none", "gunicorn"], default="none",
                        help="also time the anonymous pages over HTTP through gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE on SQLite after the load (PostgreSQL always is, as autovacuum would)")
    parser.add_argument("--extra-sql", action="append", default=[], metavar="SQL",
                        help="a statement to run after the load, e.g. a candidate index (repeatable)")
    args = parser.parse_args(argv)
    os.environ.setdefault("SECRET_KEY", SERVER_SECRET_KEY)

    if not args.no_sqlite:
        folder = None
        if args.sqlite_path:
            path = Path(args.sqlite_path).resolve()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            folder = tempfile.mkdtemp(prefix="civicsante-bench-")
            path = Path(folder) / "bench.sqlite3"
        try:
            run(f"sqlite:///{path}", args)
        finally:
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    if args.database_url:
        run(_prepare_postgres(args.database_url, args.reset), args)


if __name__ == "__main__":
    main()
