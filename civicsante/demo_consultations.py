"""Demo consultations for the fictional Val d'Exemple (loaded by ``flask demo``; idempotent).

Three consultations, dated from the time the demo is loaded:

- "Priorités santé 2026 du Val Fleuri", closed and in its follow-up: 5 priorities built from
  demo needs, majority judgment, about 60 ballots (online, assisted and one paper batch) from
  demo residents spread over the communes and age bands, and follow-up steps on 2 priorities;
- "La santé des enfants à Belrive", vote open: 4 priorities, a few ballots; the demo resident
  (habitante@demo.civicsante.fr) has not voted, so a visitor can try;
- "Accès aux soins à Montclair", collecting needs.

Everything goes through the consultation services; the dates are moved on the model where a
service needs a phase (priorities before the vote, ballots during it, follow-up after it).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from civicsante import audit
from civicsante.accounts.models import AGE_BANDS, User
from civicsante.accounts.passwords import hash_password
from civicsante.accounts.services import _pseudonym_key
from civicsante.consultations import results, services
from civicsante.consultations.models import PHASE_STARTS, Consultation
from civicsante.extensions import db
from civicsante.needs.models import Need
from civicsante.reference.models import Territory
from civicsante.types import utcnow

DAY = timedelta(days=1)
VOTERS = 60
# Home territory codes of the demo voters, in turn: Belrive and its quartiers, Saint-Aubin, Montclair.
HOMES = ["99001", "QN099001", "99002", "99003", "QN099002", "99002", "QN099003", "99003"]

# (territory code, title, description, secrecy, results visibility)
CLOSED = ("EPCI99001", "Priorités santé 2026 du Val Fleuri",
          "Quelles priorités de santé la communauté de communes doit-elle porter dans le contrat local "
          "de santé 2026-2028 ? Les priorités ont été construites avec les besoins que vous avez déposés.")
OPEN = ("99001", "La santé des enfants à Belrive",
        "La commune prépare son plan pour la petite enfance. Dites-nous ce qui compte le plus pour vous.")
COLLECTING = ("99003", "Accès aux soins à Montclair",
              "Déposez vos besoins de santé à Montclair : ils seront regroupés en priorités soumises au vote.")

# (title, description, titles of the demo needs it answers, typical grade 0..6)
CLOSED_PRIORITIES = [
    ("Attirer des médecins généralistes",
     "Un cabinet rénové, un logement pour les internes et un contrat d'engagement avec la faculté.",
     ["Plus de médecin traitant à Belrive depuis 2023", "Pas de médecin généraliste aux Tilleuls"], 5.2),
    ("Un transport solidaire vers les soins",
     "Un transport à la demande vers l'hôpital, le CMP et la pharmacie de garde, y compris le week-end.",
     ["Transport à la demande pour les rendez-vous médicaux", "Bus vers l'hôpital le samedi",
      "Pas de transport vers le CMP", "Pharmacie de garde trop loin le dimanche"], 4.4),
    ("La santé mentale des jeunes et des familles",
     "Un lieu d'écoute pour les 12-25 ans et des consultations plus rapides au CMP enfants.",
     ["Un lieu d'écoute pour les jeunes", "Attente de 8 mois au CMP enfants"], 4.0),
    ("Bien vieillir à domicile",
     "Le portage de repas, l'aide aux démarches en ligne et la prévention des chutes.",
     ["Portage de repas pour les personnes âgées", "Aide pour les démarches en ligne",
      "Prévention des chutes à domicile"], 3.6),
    ("La prévention dans les écoles et les quartiers",
     "Des ateliers nutrition avec les parents et l'information sur les dépistages gratuits.",
     ["Ateliers nutrition à l'école", "Informations sur le dépistage du cancer du sein"], 2.8),
]
OPEN_PRIORITIES = [
    ("Une consultation pédiatrique à Belrive",
     "Un pédiatre présent deux jours par semaine au centre de santé.", ["Pas de pédiatre sur le territoire"], 5.0),
    ("Des logements sans humidité",
     "Un diagnostic des logements sociaux et des travaux contre les moisissures.",
     ["Moisissures dans les logements sociaux"], 4.2),
    ("De l'ombre dans les aires de jeux",
     "Des arbres et des voiles d'ombrage dans les aires de jeux avant l'été.",
     ["Pas d'ombre dans l'aire de jeux l'été"], 3.5),
    ("Du répit pour les parents d'enfants handicapés",
     "Des journées d'accueil pour que les parents puissent souffler.",
     ["Répit pour les parents d'enfants handicapés"], 3.9),
]
# Follow-up of the closed consultation: (priority index, days ago, text, status, progress).
MILESTONES = [
    (0, 18, "Réunion avec l'ARS et la faculté de médecine : deux internes pourraient s'installer "
            "à Belrive à l'automne.", "a_l_etude", 10),
    (0, 5, "La communauté de communes a voté le budget de rénovation du cabinet médical des Tilleuls.",
     "engage", 30),
    (1, 9, "Le transport à la demande vers l'hôpital fonctionne le mardi et le samedi, sur réservation "
           "la veille.", "en_cours", 50),
]


def _territory(code: str) -> Territory:
    return db.session.execute(select(Territory).where(Territory.code == code)).scalar_one()


def demo_voters(count: int = VOTERS) -> list[User]:
    """Plain resident accounts "Habitant·e démo N", living in turn in the communes and quartiers
    of the Val Fleuri, of every age band (the password is the demo one, hashed once)."""
    from civicsante.demo import DEMO_PASSWORD

    homes = {code: _territory(code) for code in set(HOMES)}
    password_hash = None
    people = []
    for n in range(1, count + 1):
        email = f"habitant.demo{n}@demo.civicsante.fr"
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            pseudonym = f"Habitant·e démo {n}"
            user = User(email=email, pseudonym=pseudonym, pseudonym_key=_pseudonym_key(pseudonym),
                        password_hash=password_hash, language="fr", home_territory=homes[HOMES[n % len(HOMES)]],
                        age_band=AGE_BANDS[n % len(AGE_BANDS)])
            db.session.add(user)
            db.session.flush()
            audit.record(user, "account.sign_up", user, via="demo")
        people.append(user)
    return people


def _set_dates(consultation: Consultation, offsets: tuple[float, ...], now: datetime) -> None:
    """The five phase starts at ``now`` + offsets (in days)."""
    for column, offset in zip(PHASE_STARTS.values(), offsets, strict=True):
        setattr(consultation, column, now + offset * DAY)


def _consultation(facilitator: User, spec: tuple, now: datetime, priorities: list) -> Consultation:
    """Created while collecting needs, with its priorities built from the demo needs."""
    code, title, description = spec
    consultation = services.create_consultation(
        facilitator, territory_id=_territory(code).id, title=title, description=description,
        method="majority_judgment", secrecy="secret", results_visibility="apres_cloture",
        **{column: now + offset * DAY for column, offset in zip(PHASE_STARTS.values(), (-1, 10, 20, 30, 40),
                                                                  strict=True)})
    db.session.flush()
    for p_title, p_description, need_titles, _grade in priorities:
        needs = db.session.execute(select(Need.id).where(
            Need.title.in_(need_titles), Need.hidden.is_(False), Need.merged_into_id.is_(None))).scalars().all()
        services.add_priority(consultation, facilitator, title=p_title, description=p_description,
                              need_ids=sorted(needs))
    return consultation


def _ballot(consultation: Consultation, priorities: list, rng: random.Random) -> dict:
    return {p.candidate_id: max(0, min(6, round(rng.gauss(spec[3], 1.4))))
            for p, spec in zip(consultation.priorities, priorities, strict=True)}


def load_demo_consultations(facilitator: User, visitor: User) -> int:
    """The three demo consultations; nothing when consultations already exist. ``visitor``
    (the demo resident) is left free to vote in the open one."""
    if db.session.execute(select(Consultation.id).limit(1)).first():
        return 0
    rng = random.Random(2026)  # the same demo every time
    now = utcnow().replace(microsecond=0)
    voters = demo_voters()

    # (a) Closed: built, voted (online, assisted, paper), then moved to its follow-up.
    closed = _consultation(facilitator, CLOSED, now, CLOSED_PRIORITIES)
    _set_dates(closed, (-2, -1, -0.5, 30, 40), now)
    for i, voter in enumerate(voters):
        services.cast_ballot(closed, voter, _ballot(closed, CLOSED_PRIORITIES, rng),
                             entered_by=facilitator if i % 30 == 29 else None)  # 2 assisted ballots
    batch = services.open_paper_batch(closed, facilitator, place="Marché de Saint-Aubin-sur-Ciel",
                                      collected_on=now.date(), declared_count=12)
    db.session.flush()
    for _ in range(4):
        services.add_paper_ballot(batch, facilitator, _ballot(closed, CLOSED_PRIORITIES, rng), copies=2)
    for _ in range(4):
        services.add_paper_ballot(batch, facilitator, _ballot(closed, CLOSED_PRIORITIES, rng))
    services.validate_paper_batch(batch, facilitator)
    _set_dates(closed, (-90, -60, -45, -30, -20), now)
    batch.collected_on = (now - 33 * DAY).date()
    for index, days_ago, text, status, progress in MILESTONES:
        services.post_milestone(closed.priorities[index], facilitator, happened_on=(now - days_ago * DAY).date(),
                                text=text, status=status, progress=progress)
    results.results_for(closed, now)

    # (b) Open: the vote runs for two more weeks; a few neighbours of Belrive have voted.
    open_vote = _consultation(facilitator, OPEN, now, OPEN_PRIORITIES)
    _set_dates(open_vote, (-30, -14, -4, 14, 21), now)
    belrive = _territory("99001").path
    neighbours = [v for v in voters if v.home_territory.path.startswith(belrive) and v.id != visitor.id]
    for voter in neighbours[:8]:
        services.cast_ballot(open_vote, voter, _ballot(open_vote, OPEN_PRIORITIES, rng))

    # (c) Collecting needs for three more weeks.
    collecting = _consultation(facilitator, COLLECTING, now, [])
    _set_dates(collecting, (-5, 21, 35, 49, 63), now)
    return 3
