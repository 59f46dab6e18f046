"""Demo needs for the fictional Val d'Exemple (loaded by ``flask demo``; idempotent)."""
from __future__ import annotations

import random

from sqlalchemy import func, select

from civicsante.accounts import services as account_services
from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import Need, NeedCategory
from civicsante.reference.models import Territory

# (category code, territory code, title, description, public concerned)
NEEDS = [
    ("premier_recours", "99001", "Plus de médecin traitant à Belrive depuis 2023",
     ("Depuis le départ à la retraite du Dr Laurent, aucun médecin ne prend de nouveaux patients. "
      "Il faut aller à 25 km pour une consultation."), "Tous les habitants"),
    ("premier_recours", "QN099001", "Pas de médecin généraliste aux Tilleuls",
     "Le cabinet du quartier a fermé. Les personnes âgées n'arrivent plus à se soigner.", None),
    ("premier_recours", "99002", "Délais de 6 mois pour un ophtalmologiste",
     "Pour renouveler des lunettes il faut attendre six mois ou aller en ville.", None),
    ("premier_recours", "99003", "Pharmacie de garde trop loin le dimanche",
     "La pharmacie de garde est souvent à Belrive, sans bus le dimanche.", "Familles sans voiture"),
    ("premier_recours", "QN099003", "Un cabinet infirmier près de la gare",
     "Les soins à domicile sont difficiles à obtenir dans le quartier de la gare.", None),
    ("sante_mentale", "99001", "Pas de transport vers le CMP",
     "Le centre médico-psychologique est à Montclair et aucun bus ne s'y arrête.", "Personnes suivies en psychiatrie"),
    ("sante_mentale", "QN099001", "Un lieu d'écoute pour les jeunes",
     "Les adolescents du quartier n'ont personne à qui parler de leur mal-être.", "Jeunes de 12 à 25 ans"),
    ("sante_mentale", "99002", "Attente de 8 mois au CMP enfants",
     "Les familles attendent très longtemps un premier rendez-vous pour leur enfant.", "Enfants et familles"),
    ("sante_mentale", "99003", "Groupe d'entraide pour les aidants",
     "Les proches de personnes malades s'épuisent et se sentent seuls.", "Aidants familiaux"),
    ("prevention", "99001", "Dépistage du diabète sur le marché",
     "Un stand de dépistage une fois par mois sur le marché toucherait beaucoup de monde.", None),
    ("prevention", "QN099002", "Vaccination à domicile pour les personnes isolées",
     "Certaines personnes ne peuvent pas se déplacer pour se faire vacciner.", "Personnes isolées"),
    ("prevention", "99002", "Ateliers nutrition à l'école",
     "Beaucoup d'enfants mangent mal ; des ateliers avec les parents aideraient.", "Enfants et parents"),
    ("prevention", "99003", "Informations sur le dépistage du cancer du sein",
     "Les femmes du quartier ne connaissent pas le dépistage organisé gratuit.", "Femmes de 50 à 74 ans"),
    ("sante_environnementale", "QN099003", "Bruit des camions la nuit près de la gare",
     "Le passage des camions empêche de dormir, les riverains sont épuisés.", "Riverains"),
    ("sante_environnementale", "99001", "Moisissures dans les logements sociaux",
     "Plusieurs appartements ont de l'humidité, les enfants toussent tout l'hiver.", "Locataires"),
    ("sante_environnementale", "99002", "Qualité de l'eau du puits communal",
     "Personne ne sait si l'eau du puits est analysée ; des familles la boivent.", None),
    ("sante_environnementale", "QN099001", "Pas d'ombre dans l'aire de jeux l'été",
     "Pendant les canicules l'aire de jeux est brûlante ; il faudrait des arbres.", "Enfants"),
    ("mobilite", "99002", "Transport à la demande pour les rendez-vous médicaux",
     "Sans voiture, aller à l'hôpital de Belrive prend une demi-journée.", "Personnes sans voiture"),
    ("mobilite", "99001", "Trottoirs impraticables en fauteuil",
     "Les trottoirs autour du centre de santé sont trop étroits pour un fauteuil roulant.", "Personnes handicapées"),
    ("mobilite", "99003", "Bus vers l'hôpital le samedi",
     "Aucun bus ne dessert l'hôpital le samedi, jour des visites pour beaucoup.", None),
    ("mobilite", "QN099002", "Rampe d'accès à la maison de santé",
     "L'entrée a trois marches et pas de rampe.", "Personnes à mobilité réduite"),
    ("personnes_agees", "99002", "Portage de repas pour les personnes âgées",
     "Le service de portage s'est arrêté, certaines personnes ne mangent plus correctement.", "Personnes âgées"),
    ("personnes_agees", "99003", "Aide pour les démarches en ligne",
     "Prendre un rendez-vous médical en ligne est impossible pour beaucoup d'anciens.", "Personnes âgées"),
    ("personnes_agees", "99001", "Places en accueil de jour Alzheimer",
     "Il n'y a que 6 places pour tout le territoire ; les familles sont épuisées.", "Malades et aidants"),
    ("personnes_agees", "QN099001", "Prévention des chutes à domicile",
     "Des visites pour adapter les logements éviteraient des hospitalisations.", "Personnes âgées"),
    ("enfance", "99001", "Pas de pédiatre sur le territoire",
     "Les bébés sont suivis aux urgences faute de pédiatre.", "Jeunes parents"),
    ("enfance", "QN099003", "Consultations PMI trop rares",
     "La PMI ne vient qu'une fois par mois, les créneaux sont pleins.", "Jeunes parents"),
    ("enfance", "99002", "Orthophoniste : 18 mois d'attente",
     "Les enfants avec des troubles du langage attendent plus d'un an.", "Enfants"),
    ("enfance", "99003", "Préparation à l'accouchement près de chez soi",
     "Les séances ont lieu à 40 km ; les futures mères renoncent.", "Futures mères"),
    ("addictions", "99001", "Point d'accueil pour les addictions",
     "Aucun lieu pour parler de l'alcool ou du cannabis sans être jugé.", None),
    ("addictions", "QN099002", "Distribution de matériel de réduction des risques",
     "Des seringues usagées sont retrouvées près du parc.", None),
    ("addictions", "99003", "Aide à l'arrêt du tabac",
     "Un accompagnement gratuit près de chez soi aiderait beaucoup de fumeurs.", "Fumeurs"),
    ("handicap", "99002", "Dentiste équipé pour les personnes handicapées",
     "Aucun cabinet n'accueille les patients en fauteuil ou avec des troubles du comportement.", "Personnes handicapées"),
    ("handicap", "99001", "Interprète en langue des signes à l'hôpital",
     "Les personnes sourdes ne comprennent pas ce que disent les médecins.", "Personnes sourdes"),
    ("handicap", "QN099001", "Répit pour les parents d'enfants handicapés",
     "Les parents n'ont jamais une journée pour souffler.", "Familles"),
    ("acces_droits", "99001", "Aide pour la complémentaire santé solidaire",
     "Beaucoup de personnes y ont droit sans le savoir ou sans réussir à la demander.", None),
    ("acces_droits", "QN099003", "Permanence de la CPAM dans le quartier",
     "La permanence a fermé ; il faut aller en ville pour la moindre question.", None),
    ("acces_droits", "99002", "Traduction pour les consultations",
     "Des familles ne parlent pas français et ne comprennent pas leurs traitements.", "Personnes allophones"),
    ("acces_droits", "99003", "Médiateur santé pour les gens du voyage",
     "L'aire d'accueil n'a aucun lien avec les soignants du secteur.", "Gens du voyage"),
    ("premier_recours", "QN099002", "Plus de médecin traitant au Haut-Belrive",
     "Depuis la fermeture du cabinet, impossible de trouver un médecin généraliste.", None),
]
COMMENTS = [
    "Même situation dans ma rue, c'est devenu très difficile.",
    "Merci de l'avoir signalé, je soutiens.",
    "On en a parlé à la réunion du conseil de quartier, il faudrait relancer la mairie.",
    "Ma mère est concernée, elle a 84 ans.",
]
# Statuses given to some needs, with the public explanation (index in NEEDS → steps).
STATUSES = {
    0: [("en_examen", None), ("retenu", "Besoin prioritaire pour le contrat local de santé.")],
    5: [("en_examen", None)],
    9: [("en_examen", None), ("retenu", None), ("realise", "Stand mensuel depuis septembre.")],
    15: [("non_retenu", "L'eau du puits est analysée chaque mois par l'ARS : résultats en mairie.")],
    17: [("en_examen", None), ("retenu", None), ("integre", None)],
    25: [("en_examen", None)],
}


def load_demo_needs(residents: list[User], facilitator: User) -> int:
    """About 40 needs with supports, comments and statuses; nothing when needs already exist."""
    if db.session.execute(select(func.count()).select_from(Need)).scalar_one():
        return 0
    rng = random.Random(2026)  # the same demo every time
    categories = dict(db.session.execute(select(NeedCategory.code, NeedCategory.id)).all())
    territories = dict(db.session.execute(select(Territory.code, Territory.id)).all())
    created = []
    for i, (category, territory, title, description, public) in enumerate(NEEDS):
        need = services.submit_need(residents[i % len(residents)], title=title, description=description,
                                    category_id=categories[category], territory_id=territories[territory],
                                    public_concerned=public, consent=True)
        created.append(need)
        for supporter in rng.sample(residents, rng.randint(0, len(residents))):
            services.support(need, supporter)
        for body in rng.sample(COMMENTS, rng.randint(0, 2)):
            services.add_comment(need, rng.choice(residents), body)
    db.session.flush()
    for index, steps in STATUSES.items():
        for status, reason in steps:
            services.set_status(created[index], status, facilitator, reason)
    # The Haut-Belrive need duplicates the Belrive one: merged, as a facilitator would.
    services.merge_needs(created[-1], created[0], facilitator, "Même besoin que « Plus de médecin traitant à Belrive ».")
    return len(created)


def demo_residents(home: Territory, count: int = 12) -> list[User]:
    """Fictional residents who contribute to the demo needs (they can log in too)."""
    from civicsante.demo import DEMO_PASSWORD

    people = []
    for n in range(1, count + 1):
        email = f"habitant{n}@demo.civicsante.fr"
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = account_services.sign_up(email, f"Voisin·e {n}", DEMO_PASSWORD)
            user.home_territory = home
        people.append(user)
    return people
