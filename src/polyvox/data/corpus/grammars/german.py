"""German sentence grammar for the synthetic corpus.

Verb phrases are ``(finite verb, rest)`` so templates can place the verb second, first
(questions) or last (subordinate clauses).
"""

from polyvox.data.corpus.sentences import Grammar

SUBJECTS = (
    "mein Bruder", "die Lehrerin", "unser Nachbar", "der Arzt", "das kleine Mädchen", "meine Großmutter",
    "der Bäcker", "deine Cousine", "der Bürgermeister", "der Koch", "die Krankenschwester",
    "mein bester Freund", "der Kapitän", "die Bibliothekarin", "ein alter Fischer", "die Malerin",
    "unser Chef", "der Taxifahrer", "der Gärtner", "meine Tante", "der Polizist", "die Kellnerin",
    "der Professor", "die Verkäuferin", "ihr Mann", "seine Frau", "der Schriftsteller", "der Briefträger",
    "die Zahnärztin", "der Musiker", "die Ingenieurin", "die Sängerin", "der neue Schüler", "mein Vater",
    "meine Mutter", "der kleine Junge", "die Direktorin", "der Bauer", "die Anwältin", "der Pilot",
)
VERB_PHRASES = (
    ("liest", "ein langes Buch"), ("trinkt", "heißen Kaffee"), ("schreibt", "einen Brief"),
    ("kauft", "frisches Brot"), ("kocht", "das Abendessen"), ("putzt", "das Haus"), ("spielt", "Gitarre"),
    ("singt", "ein Lied"), ("öffnet", "das Fenster"), ("schließt", "die Tür"), ("malt", "ein Bild"),
    ("besucht", "die Eltern"), ("spült", "das Geschirr"), ("gießt", "die Blumen"), ("lernt", "Mathematik"),
    ("arbeitet", "sehr viel"), ("geht", "mit dem Hund spazieren"), ("hört", "Radio"),
    ("sieht", "die Nachrichten"), ("backt", "einen Kuchen"), ("verkauft", "Obst"),
    ("repariert", "das Fahrrad"), ("sucht", "die Schlüssel"), ("telefoniert", "mit der Schwester"),
    ("lernt", "Spanisch"), ("läuft", "ein bisschen"), ("spielt", "Fußball"), ("wartet", "auf den Bus"),
    ("fährt", "ein rotes Auto"), ("isst", "einen Apfel"), ("zeichnet", "eine Karte"), ("pflückt", "Blumen"),
    ("erzählt", "eine Geschichte"), ("tanzt", "mit den Kindern"), ("schwimmt", "eine Runde"),
    ("macht", "einen Mittagsschlaf"), ("bittet", "um Hilfe"), ("grüßt", "die Nachbarn"),
    ("schickt", "eine Nachricht"), ("repariert", "das Dach"),
)
TIMES = (
    "jeden Morgen", "am Sonntag", "nach dem Mittagessen", "vor dem Abendessen", "am Nachmittag", "am Abend",
    "jeden Tag", "am Wochenende", "im Sommer", "zweimal pro Woche", "am Mittag", "nach der Arbeit",
    "im Winter", "montags", "sehr früh", "manchmal", "in den Ferien", "bei Regen", "fast immer", "ab und zu",
)
PLACES = (
    "in der Küche", "am Bahnhof", "am Fluss", "im Park", "in der Schule", "im Garten", "auf dem Markt",
    "in der Bibliothek", "am Strand", "in der Stadt", "im Krankenhaus", "in den Bergen", "im Dorf",
    "im Büro", "zu Hause", "im Zug", "am Hafen", "auf dem Platz", "im Café", "im Museum",
)
THINGS = (
    "das Haus", "der Garten", "die Stadt", "das Wetter", "der Kaffee", "die Straße", "das Auto", "der Zug",
    "die Brücke", "das Buch", "der Film", "die Musik", "das Essen", "der Himmel", "die Wohnung",
    "das Zimmer", "der Weg", "die Reise", "das Wasser", "der Hund",
)
ADJECTIVES = (
    "schön", "groß", "klein", "teuer", "billig", "alt", "neu", "ruhig", "schnell", "langsam", "sauber",
    "kalt", "dunkel", "hoch", "schwierig", "einfach", "interessant", "lang", "modern", "laut", "warm",
)
NUMBERS = (
    "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf", "fünfzehn",
    "zwanzig", "dreißig", "fünfundvierzig", "hundert",
)
PLURALS = ("Bücher", "Hunde", "Katzen", "Bäume", "Vögel", "Stifte", "Gläser", "Äpfel", "Fahrräder", "Blumen")
ITEMS = (
    "Brot", "Milch", "Eier", "Käse", "Reis", "Tomaten", "Äpfel", "Kaffee", "Zucker", "Öl", "Salz",
    "Kartoffeln", "Zwiebeln", "Orangen", "Butter", "Seife", "Wasser", "Mehl", "Fisch", "Hähnchen",
)
SHORT = (
    "Ja.", "Nein!", "Danke.", "Guten Morgen.", "Hallo!", "Wirklich?", "Natürlich.", "Ausgezeichnet!",
    "Tschüss.", "Warum?", "Warte!", "Gute Nacht.", "Noch nicht.", "Herein!", "Vorsicht!", "Sehr gut.",
    "Vielleicht morgen.", "Herzlichen Glückwunsch!", "Bis bald.", "Einverstanden.", "Entschuldigung.",
    "Bitte schön.", "Hilfe!", "Super!",
)
# Words that bring in the phonemes and stress patterns of the German inventory the other slots lack
# (polyvox/text/data/phoneme_inventory_de.json): ʊɐ, eu, secondary stresses, and common English and
# French loanwords, which espeak-ng reads with their own phonemes.
TOPICS = (
    "Hamburg", "Frankfurt", "Brandenburg", "den Geburtstag", "das Urteil", "die Universität", "das Institut",
    "Europa", "das Flugzeug", "das Abenteuer", "das System", "die Türkei", "das Frühstück", "die Übersetzung",
    "den Umzug", "die Antwort", "den Oktober", "die Chance", "das Restaurant", "die Saison", "das Baby",
    "die Website", "die Software", "das Update", "den Song", "den Job", "die Show", "das Level", "den Chat",
    "den Account", "die Band The Beatles", "das Engagement", "die Physik", "die endgültige Antwort",
    "den Service", "eBay", "den DJ", "Microsoft", "die engagierte Ärztin", "den ausgelösten Alarm", "Game of Thrones", "Windows", "das Umgehen der Regeln", "den Weltraum überhaupt", "das unmögliche Wetter", "die religiöse Frage",
)

GRAMMAR = Grammar(
    language="de",
    templates=(
        ("{subject} {verb} {time} {verb.1}.", 3.0),
        ("{time} {verb} {subject} {verb.1}.", 2.0),
        ("{subject} {verb} {place} {verb.1}.", 2.0),
        ("{verb} {subject} {time} {verb.1}?", 1.5),
        ("warum {verb} {subject} {place} {verb.1}?", 1.5),
        ("{thing} ist sehr {adjective}.", 1.0),
        ("wie {adjective} {thing} ist!", 1.0),
        ("{subject} hat {number} {plural}.", 1.0),
        ("{place} gibt es {number} {plural}.", 1.0),
        ("wir brauchen {item}, {item#2} und {item#3}.", 1.0),
        ("ich glaube, dass {subject} {time} {place} {verb.1} {verb}.", 1.0),
        ("{subject} spricht {time} über {topic}.", 2.0),
        ("{short}", 0.3),
    ),
    slots={
        "subject": SUBJECTS, "verb": VERB_PHRASES, "time": TIMES, "place": PLACES, "thing": THINGS,
        "adjective": ADJECTIVES, "number": NUMBERS, "plural": PLURALS, "item": ITEMS, "short": SHORT, "topic": TOPICS,
    },
)
