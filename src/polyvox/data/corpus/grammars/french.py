"""French sentence grammar for the synthetic corpus."""

from polyvox.data.corpus.sentences import Grammar

SUBJECTS = (
    "mon frère", "la professeure", "notre voisin", "le médecin", "la petite fille", "ma grand-mère",
    "le boulanger", "ta cousine", "le maire", "le cuisinier", "l'infirmière", "mon meilleur ami",
    "le capitaine", "la bibliothécaire", "le vieux pêcheur", "la peintre", "notre directeur",
    "le chauffeur de taxi", "le jardinier", "ma tante", "le policier", "la serveuse", "le professeur",
    "la commerçante", "son mari", "sa femme", "l'écrivain", "le facteur", "la dentiste", "le musicien",
    "l'ingénieur", "la chanteuse", "le nouvel élève", "mon père", "ma mère", "le petit garçon",
    "la directrice", "le fermier", "l'avocate", "le pilote",
)
VERB_PHRASES = (
    "lit un long livre", "boit un café chaud", "écrit une lettre", "achète du pain frais", "prépare le dîner",
    "nettoie la maison", "joue de la guitare", "chante une chanson", "ouvre la fenêtre", "ferme la porte",
    "peint un tableau", "rend visite à ses parents", "fait la vaisselle", "arrose les plantes",
    "étudie les mathématiques", "travaille beaucoup", "promène le chien", "écoute la radio",
    "regarde les informations", "prépare un gâteau", "vend des fruits", "répare le vélo", "cherche ses clés",
    "appelle sa sœur", "apprend l'espagnol", "court un peu", "joue au football", "attend le bus",
    "conduit une voiture rouge", "mange une pomme", "dessine une carte", "cueille des fleurs",
    "raconte une histoire", "danse avec les enfants", "nage longtemps", "fait la sieste", "demande de l'aide",
    "salue les voisins", "envoie un message", "répare le toit",
)
TIMES = (
    "chaque matin", "le dimanche", "après le déjeuner", "avant le dîner", "l'après-midi", "le soir",
    "tous les jours", "le week-end", "en été", "deux fois par semaine", "à midi", "après le travail",
    "en hiver", "le lundi", "très tôt", "parfois", "pendant les vacances", "quand il pleut",
    "presque toujours", "de temps en temps",
)
PLACES = (
    "dans la cuisine", "à la gare", "près de la rivière", "dans le parc", "à l'école", "dans le jardin",
    "au marché", "à la bibliothèque", "à la plage", "en ville", "à l'hôpital", "à la montagne", "au village",
    "au bureau", "à la maison", "dans le train", "près du port", "sur la place", "au café", "au musée",
)
THINGS = (
    "le livre", "le café", "le village", "le jardin", "le chemin", "le ciel", "le fleuve", "le bâtiment",
    "l'examen", "le voyage", "le marché", "le téléphone", "le chien", "le parc", "le gâteau", "le film",
    "le repas", "le train", "le pont", "le musée",
)
ADJECTIVES = (
    "beau", "grand", "petit", "cher", "vieux", "nouveau", "calme", "rapide", "lent", "propre", "froid",
    "sombre", "haut", "difficile", "facile", "intéressant", "long", "moderne", "joli", "bruyant",
)
NUMBERS = (
    "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "quinze",
    "vingt", "trente", "quarante-cinq", "cent",
)
PLURALS = ("livres", "chiens", "chats", "arbres", "oiseaux", "crayons", "verres", "stylos", "tableaux", "vélos")
ITEMS = (
    "du pain", "du lait", "des œufs", "du fromage", "du riz", "des tomates", "des pommes", "du café",
    "du sucre", "de l'huile", "du sel", "des pommes de terre", "des oignons", "des oranges", "du beurre",
    "du savon", "de l'eau", "de la farine", "du poisson", "du poulet",
)
SHORT = (
    "Oui.", "Non !", "Merci.", "Bonjour.", "Salut !", "Vraiment ?", "Bien sûr.", "Excellent !", "Au revoir.",
    "Pourquoi ?", "Attends !", "Bonne nuit.", "Pas encore.", "Entrez !", "Attention !", "Très bien.",
    "Peut-être demain.", "Félicitations !", "À bientôt.", "D'accord.", "Pardon.", "De rien.", "Au secours !",
    "Bravo !",
)
# Words that bring in the phonemes and stress patterns of the French inventory the other slots lack
# (polyvox/text/data/phoneme_inventory_fr.json): mostly English loanwords and names, which espeak-ng
# reads with English phonemes.
TOPICS = (
    "football", "marketing", "Facebook", "Google", "design", "jazz", "budget", "jury", "coach", "show",
    "parking", "business", "Harry", "Henry", "Mary", "Washington", "William", "Arthur", "Smith", "cowboy",
    "Roy", "world music", "Trump", "chacun", "leur parfum", "Steve", "rythme", "la TV", "wow", "The Voice",
    "Game of Thrones", "plusieurs choses", "mieux vivre", "le Real Madrid", "Windows", "les roues", "la start-up",
    "parmi nous", "néanmoins la fin", "encore la pluie", "alors la musique",
)

GRAMMAR = Grammar(
    language="fr",
    templates=(
        ("{subject} {verb} {time}.", 3.0),
        ("{subject} {verb} {place}.", 3.0),
        ("{time}, {subject} {verb} {place}.", 2.0),
        ("est-ce que {subject} {verb} {time} ?", 1.5),
        ("pourquoi {subject} {verb} {place} ?", 1.5),
        ("{thing} est très {adjective}.", 1.0),
        ("comme {thing} est {adjective} !", 1.0),
        ("{subject} a {number} {plural}.", 1.0),
        ("il y a {number} {plural} {place}.", 1.0),
        ("il nous faut {item}, {item#2} et {item#3}.", 1.0),
        ("je pense que {subject} {verb} {place} {time}.", 1.0),
        ("{subject} parle de {topic} {time}.", 2.0),
        ("{short}", 0.3),
    ),
    slots={
        "subject": SUBJECTS, "verb": VERB_PHRASES, "time": TIMES, "place": PLACES, "thing": THINGS,
        "adjective": ADJECTIVES, "number": NUMBERS, "plural": PLURALS, "item": ITEMS, "short": SHORT, "topic": TOPICS,
    },
)
