"""English sentence grammar for the synthetic corpus."""

from polyvox.data.corpus.sentences import Grammar

SUBJECTS = (
    "my brother", "the old teacher", "our neighbor", "a young doctor", "the little girl", "her uncle",
    "the farmer", "his sister", "the new student", "my grandmother", "the pilot", "a tired nurse",
    "the baker", "your cousin", "the mayor", "the quiet boy", "a famous singer", "the engineer",
    "my best friend", "the captain", "the librarian", "an old fisherman", "the painter", "our manager",
    "the taxi driver", "a clever child", "the gardener", "my aunt", "the police officer", "the chef",
    "the waiter", "a stranger", "the professor", "the shopkeeper", "her husband", "his wife",
    "the writer", "the postman", "the dentist", "the musician",
)
VERB_PHRASES = (
    ("reads a long book", "read a long book"), ("drinks hot coffee", "drink hot coffee"),
    ("writes a letter", "write a letter"), ("buys fresh bread", "buy fresh bread"),
    ("cooks dinner", "cook dinner"), ("cleans the house", "clean the house"),
    ("plays the guitar", "play the guitar"), ("sings a song", "sing a song"),
    ("opens the window", "open the window"), ("closes the door", "close the door"),
    ("paints a picture", "paint a picture"), ("visits the grandparents", "visit the grandparents"),
    ("washes the dishes", "wash the dishes"), ("waters the plants", "water the plants"),
    ("studies history", "study history"), ("works late", "work late"),
    ("walks the dog", "walk the dog"), ("listens to the radio", "listen to the radio"),
    ("watches the news", "watch the news"), ("bakes a cake", "bake a cake"),
    ("sells fruit", "sell fruit"), ("fixes the bicycle", "fix the bicycle"),
    ("looks for the keys", "look for the keys"), ("calls an old friend", "call an old friend"),
    ("learns Spanish", "learn Spanish"), ("runs along the beach", "run along the beach"),
    ("plays football", "play football"), ("waits for the bus", "wait for the bus"),
    ("drives a red car", "drive a red car"), ("eats an apple", "eat an apple"),
    ("draws a map", "draw a map"), ("picks flowers", "pick flowers"),
    ("tells a story", "tell a story"), ("dances with the children", "dance with the children"),
    ("swims in the lake", "swim in the lake"), ("takes a short nap", "take a short nap"),
    ("asks for help", "ask for help"), ("greets the neighbors", "greet the neighbors"),
    ("sends a message", "send a message"), ("repairs the roof", "repair the roof"),
)
TIMES = (
    "every morning", "on Sundays", "after lunch", "before dinner", "in the afternoon", "at night",
    "every day", "on weekends", "in the summer", "twice a week", "at noon", "after work", "in winter",
    "on Mondays", "very early", "sometimes", "during the holidays", "when it rains", "almost always",
    "from time to time",
)
PLACES = (
    "in the kitchen", "at the station", "near the river", "in the park", "at school", "in the garden",
    "at the market", "in the library", "on the beach", "downtown", "at the hospital", "in the mountains",
    "in the village", "at the office", "at home", "on the train", "near the harbor", "in the square",
    "at the cafe", "in the museum",
)
THINGS = (
    "house", "kitchen", "street", "garden", "road", "car", "train", "bridge", "book", "movie", "window",
    "village", "picture", "room", "river", "song", "city", "dog", "lesson", "boat",
)
ADJECTIVES = (
    "beautiful", "big", "small", "cheap", "new", "quiet", "fast", "slow", "clean", "cold", "dark", "tall",
    "difficult", "simple", "pleasant", "long", "modern", "noisy", "warm", "lovely",
)
NUMBERS = (
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty", "forty five", "one hundred",
)
PLURALS = ("books", "dogs", "cats", "trees", "birds", "pencils", "glasses", "apples", "bicycles", "flowers")
ITEMS = (
    "bread", "milk", "eggs", "cheese", "rice", "tomatoes", "apples", "coffee", "sugar", "oil", "salt",
    "potatoes", "onions", "oranges", "butter", "soap", "water", "flour", "fish", "chicken",
)
SHORT = (
    "Yes.", "No!", "Thank you.", "Good morning.", "Hello!", "Really?", "Of course.", "Excellent!",
    "Goodbye.", "Why?", "Wait!", "Good night.", "Not yet.", "Come in!", "Be careful!", "Very good.",
    "Maybe tomorrow.", "Congratulations!", "See you.", "Agreed.", "Sorry.", "You're welcome.", "Help!",
    "Well done!",
)
# Words that bring in the phonemes and stress patterns of the English inventory the other slots lack
# (polyvox/text/data/phoneme_inventory_en.json): ʒ, the glottal stop and syllabic n, secondary stresses.
TOPICS = (
    "television", "the decision", "a new version", "the university", "the interview", "the restaurant",
    "a long conversation", "the software", "their healthcare", "nuclear energy", "a familiar song",
    "the neighborhood", "Hollywood", "the universe", "his personality", "a cotton shirt", "the red button",
    "what was written", "a certain answer", "Android phones", "the participants", "international news",
    "economic growth", "the pleasure of reading", "somewhere everywhere", "the institute",
    "scientific research", "the empire", "the European Union", "what he is gonna do",
)

GRAMMAR = Grammar(
    language="en",
    templates=(
        ("{subject} {verb} {time}.", 3.0),
        ("{subject} {verb} {place}.", 3.0),
        ("{time}, {subject} {verb} {place}.", 2.0),
        ("does {subject} {verb.1} {time}?", 1.5),
        ("why does {subject} {verb.1} {place}?", 1.5),
        ("the {thing} is very {adjective}.", 1.0),
        ("what a {adjective} {thing}!", 1.0),
        ("{subject} has {number} {plural}.", 1.0),
        ("there are {number} {plural} {place}.", 1.0),
        ("we need {item}, {item#2} and {item#3}.", 1.0),
        ("I think {subject} {verb} {place} {time}.", 1.0),
        ("{subject} talks about {topic} {time}.", 2.0),
        ("{short}", 0.3),
    ),
    slots={
        "subject": SUBJECTS, "verb": VERB_PHRASES, "time": TIMES, "place": PLACES, "thing": THINGS,
        "adjective": ADJECTIVES, "number": NUMBERS, "plural": PLURALS, "item": ITEMS, "short": SHORT, "topic": TOPICS,
    },
)
