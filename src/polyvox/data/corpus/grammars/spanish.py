"""Spanish sentence grammar for the synthetic corpus."""

from polyvox.data.corpus.sentences import Grammar

SUBJECTS = (
    "mi hermano", "la profesora", "nuestro vecino", "el médico", "la niña", "mi abuela", "el panadero",
    "tu prima", "el alcalde", "el cocinero", "la enfermera", "mi mejor amigo", "el capitán",
    "la bibliotecaria", "un viejo pescador", "la pintora", "nuestro jefe", "el taxista", "el jardinero",
    "mi tía", "el policía", "la camarera", "el profesor", "la tendera", "su marido", "su esposa",
    "el escritor", "el cartero", "la dentista", "el músico", "el ingeniero", "la cantante",
    "el estudiante nuevo", "mi padre", "mi madre", "el niño pequeño", "la directora", "el granjero",
    "la abogada", "el piloto",
)
VERB_PHRASES = (
    "lee un libro largo", "bebe café caliente", "escribe una carta", "compra pan fresco", "cocina la cena",
    "limpia la casa", "toca la guitarra", "canta una canción", "abre la ventana", "cierra la puerta",
    "pinta un cuadro", "visita a sus padres", "lava los platos", "riega las plantas", "estudia matemáticas",
    "trabaja mucho", "pasea al perro", "escucha la radio", "mira las noticias", "prepara un pastel",
    "vende frutas", "arregla la bicicleta", "busca las llaves", "llama a su hermana", "aprende francés",
    "corre un poco", "juega al fútbol", "espera el autobús", "conduce un coche rojo", "come una manzana",
    "dibuja un mapa", "recoge flores", "cuenta una historia", "baila con los niños", "nada un rato",
    "duerme la siesta", "pide ayuda", "saluda a los vecinos", "envía un mensaje", "repara el tejado",
)
TIMES = (
    "cada mañana", "los domingos", "después de comer", "antes de cenar", "por la tarde", "por la noche",
    "todos los días", "los fines de semana", "en verano", "dos veces por semana", "al mediodía",
    "después del trabajo", "en invierno", "los lunes", "muy temprano", "a veces", "durante las vacaciones",
    "cuando llueve", "casi siempre", "de vez en cuando",
)
PLACES = (
    "en la cocina", "en la estación", "cerca del río", "en el parque", "en la escuela", "en el jardín",
    "en el mercado", "en la biblioteca", "en la playa", "en el centro", "en el hospital", "en la montaña",
    "en el pueblo", "en la oficina", "en casa", "en el tren", "junto al puerto", "en la plaza", "en el café",
    "en el museo",
)
THINGS = (
    "el coche", "el libro", "el café", "el pueblo", "el jardín", "el camino", "el cielo", "el río",
    "el edificio", "el examen", "el viaje", "el mercado", "el teléfono", "el perro", "el parque",
    "el pastel", "el puente", "el museo", "el tren", "el barco",
)
ADJECTIVES = (
    "bonito", "grande", "pequeño", "caro", "barato", "viejo", "nuevo", "tranquilo", "rápido", "lento",
    "limpio", "frío", "oscuro", "alto", "difícil", "fácil", "interesante", "largo", "moderno", "precioso",
)
NUMBERS = (
    "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce", "quince",
    "veinte", "treinta", "cuarenta y cinco", "cien",
)
PLURALS = ("libros", "perros", "gatos", "árboles", "pájaros", "lápices", "vasos", "zapatos", "coches", "platos")
ITEMS = (
    "pan", "leche", "huevos", "queso", "arroz", "tomates", "manzanas", "café", "azúcar", "aceite", "sal",
    "patatas", "cebollas", "naranjas", "mantequilla", "jabón", "agua", "harina", "pescado", "pollo",
)
SHORT = (
    "Sí.", "¡No!", "Gracias.", "Buenos días.", "¡Hola!", "¿De verdad?", "Claro.", "¡Excelente!", "Adiós.",
    "¿Por qué?", "¡Espera!", "Buenas noches.", "Todavía no.", "¡Adelante!", "¡Cuidado!", "Muy bien.",
    "Quizás mañana.", "¡Felicidades!", "Hasta luego.", "Vale.", "Perdón.", "De nada.", "¡Socorro!",
    "¡Qué bien!",
)
# Words that bring in the phonemes and stress patterns of the Spanish inventory the other slots lack
# (polyvox/text/data/phoneme_inventory_es.json): eu, oi, au and the sounds of common loanwords.
TOPICS = (
    "Europa", "la reunión", "la deuda", "los euros", "el autor", "el restaurante", "el aumento", "la causa",
    "el audio", "Australia", "la universidad", "la oportunidad", "el paisaje", "bailar", "lo que hace hoy",
    "cómo estoy", "la pizza", "el show", "Google", "su ausencia", "el pueblo europeo", "el jugador",
    "lo que soy", "la ciudad", "un yate", "el siglo XXI", "los móviles Android",
)

GRAMMAR = Grammar(
    language="es",
    templates=(
        ("{subject} {verb} {time}.", 3.0),
        ("{subject} {verb} {place}.", 3.0),
        ("{time}, {subject} {verb} {place}.", 2.0),
        ("¿{subject} {verb} {time}?", 1.5),
        ("¿Por qué {subject} {verb} {place}?", 1.5),
        ("{thing} es muy {adjective}.", 1.0),
        ("¡Qué {adjective} es {thing}!", 1.0),
        ("{subject} tiene {number} {plural}.", 1.0),
        ("hay {number} {plural} {place}.", 1.0),
        ("necesitamos {item}, {item#2} y {item#3}.", 1.0),
        ("creo que {subject} {verb} {place} {time}.", 1.0),
        ("{subject} habla de {topic} {time}.", 2.0),
        ("{short}", 0.3),
    ),
    slots={
        "subject": SUBJECTS, "verb": VERB_PHRASES, "time": TIMES, "place": PLACES, "thing": THINGS,
        "adjective": ADJECTIVES, "number": NUMBERS, "plural": PLURALS, "item": ITEMS, "short": SHORT, "topic": TOPICS,
    },
)
