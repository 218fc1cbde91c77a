"""The words :mod:`polyvox.text.currency` reads amounts of money with: each language's currency signs and their
units, words and abbreviations of scale (``$5 million``, ``$5m``, ``5 Mio. €``), and the English words around an
amount that make it a modifier (``a $5 bill`` is *a five-dollar bill*). ``polyvox/web/numbers.js`` holds the same
tables for en, es, fr and de (tests/test_web_numbers.py compares them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """What an amount is counted in: ``forms`` by plural class (see ``currency._plural_class``; one form for a
    word that does not change; Arabic: singular, dual, plural, accusative singular), ``cents`` the hundredth's
    forms, empty where a fraction is read as a decimal; ``feminine``: the number agrees (French une livre, Spanish
    doscientas libras)."""

    forms: tuple[str, ...]
    cents: tuple[str, ...] = ()
    feminine: bool = False


def _dollars(names: Mapping[str, tuple[str, ...]], cents: tuple[str, ...]) -> dict[str, Unit]:
    return {sign: Unit(forms, cents) for sign, forms in names.items()}


def _russian_adjective(adjective_stem: str, noun: str = "доллар") -> tuple[str, str, str]:
    """один австралийский доллар, два австралийских доллара, пять австралийских долларов."""
    return f"{adjective_stem}ий {noun}", f"{adjective_stem}их {noun}а", f"{adjective_stem}их {noun}ов"


def _arabic_with_adjective(noun: tuple[str, str, str, str], adjective: str) -> tuple[str, str, str, str]:
    """A noun's singular, dual, plural and accusative with an adjective of origin agreeing: دولار أمريكي، دولاران
    أمريكيان، دولارات أمريكية، دولاراً أمريكياً."""
    return tuple(f"{form} {adjective}{ending}" for form, ending in zip(noun, ("", "ان", "ة", "اً"), strict=True))


_ARABIC_DOLLAR = ("دولار", "دولاران", "دولارات", "دولاراً")
_CENTS = {"en": ("cent", "cents"), "de": ("Cent",), "fr": ("cent", "cents"), "es": ("centavo", "centavos"),
          "ru": ("цент", "цента", "центов"), "ar": ("سنت", "سنتان", "سنتات", "سنتاً")}
# Sign (as written before or after the amount) -> unit, per language. "%" is here only where its word agrees with
# the number (ru); elsewhere abbreviations.SYMBOLS reads it. A$, C$, HK$, NZ$, S$ (and AU$, CA$, SG$), NT$ and R$
# are the Australian, Canadian, Hong Kong, New Zealand, Singapore, New Taiwan dollar and the Brazilian real.
_TABLES: Mapping[str, Mapping[str, Unit]] = {
    "en": {
        **_dollars({
            f"{prefix}$": (f"{name} dollar", f"{name} dollars") for prefix, name in (
                ("US", "US"), ("A", "Australian"), ("AU", "Australian"), ("C", "Canadian"), ("CA", "Canadian"),
                ("HK", "Hong Kong"), ("NZ", "New Zealand"), ("S", "Singapore"), ("SG", "Singapore"),
                ("NT", "New Taiwan"))
        }, _CENTS["en"]),
        "R$": Unit(("real", "reais"), ("centavo", "centavos")),
        "$": Unit(("dollar", "dollars"), _CENTS["en"]),
        "€": Unit(("euro", "euros"), ("cent", "cents")),
        "£": Unit(("pound", "pounds"), ("penny", "pence")),
        "¥": Unit(("yen",)), "￥": Unit(("yen",)),
        "CHF": Unit(("Swiss franc", "Swiss francs"), ("centime", "centimes")),
    },
    "de": {
        **_dollars({
            "US$": ("US-Dollar",), "A$": ("australischer Dollar", "australische Dollar"),
            "AU$": ("australischer Dollar", "australische Dollar"), "C$": ("kanadischer Dollar", "kanadische Dollar"),
            "CA$": ("kanadischer Dollar", "kanadische Dollar"), "HK$": ("Hongkong-Dollar",),
            "NZ$": ("Neuseeland-Dollar",), "S$": ("Singapur-Dollar",), "SG$": ("Singapur-Dollar",),
            "NT$": ("Neuer Taiwan-Dollar", "Neue Taiwan-Dollar"),
        }, _CENTS["de"]),
        "R$": Unit(("Real",), ("Centavo", "Centavos")),
        "$": Unit(("Dollar",), _CENTS["de"]),
        "€": Unit(("Euro",), ("Cent",)),
        "£": Unit(("Pfund",), ("Penny", "Pence")),
        "¥": Unit(("Yen",)), "￥": Unit(("Yen",)),
        "CHF": Unit(("Franken",), ("Rappen",)),
    },
    "fr": {
        **_dollars({
            "US$": ("dollar américain", "dollars américains"), "A$": ("dollar australien", "dollars australiens"),
            "AU$": ("dollar australien", "dollars australiens"), "C$": ("dollar canadien", "dollars canadiens"),
            "CA$": ("dollar canadien", "dollars canadiens"), "HK$": ("dollar de Hong Kong", "dollars de Hong Kong"),
            "NZ$": ("dollar néo-zélandais", "dollars néo-zélandais"),
            "S$": ("dollar de Singapour", "dollars de Singapour"),
            "SG$": ("dollar de Singapour", "dollars de Singapour"),
            "NT$": ("nouveau dollar de Taïwan", "nouveaux dollars de Taïwan"),
        }, _CENTS["fr"]),
        "R$": Unit(("réal", "réais"), ("centavo", "centavos")),
        "$": Unit(("dollar", "dollars"), _CENTS["fr"]),
        "€": Unit(("euro", "euros"), ("centime", "centimes")),
        "£": Unit(("livre", "livres"), ("penny", "pence"), feminine=True),
        "¥": Unit(("yen", "yens")), "￥": Unit(("yen", "yens")),
        "CHF": Unit(("franc suisse", "francs suisses"), ("centime", "centimes")),
        "GBP": Unit(("livre sterling", "livres sterling"), ("penny", "pence"), feminine=True),
    },
    "es": {
        **_dollars({
            "US$": ("dólar estadounidense", "dólares estadounidenses"),
            "A$": ("dólar australiano", "dólares australianos"), "AU$": ("dólar australiano", "dólares australianos"),
            "C$": ("dólar canadiense", "dólares canadienses"), "CA$": ("dólar canadiense", "dólares canadienses"),
            "HK$": ("dólar de Hong Kong", "dólares de Hong Kong"),
            "NZ$": ("dólar neozelandés", "dólares neozelandeses"),
            "S$": ("dólar de Singapur", "dólares de Singapur"), "SG$": ("dólar de Singapur", "dólares de Singapur"),
            "NT$": ("nuevo dólar taiwanés", "nuevos dólares taiwaneses"),
        }, _CENTS["es"]),
        "R$": Unit(("real", "reales"), ("centavo", "centavos")),
        "$": Unit(("dólar", "dólares"), _CENTS["es"]),
        "€": Unit(("euro", "euros"), ("céntimo", "céntimos")),
        "£": Unit(("libra", "libras"), ("penique", "peniques"), feminine=True),
        "¥": Unit(("yen", "yenes")), "￥": Unit(("yen", "yenes")),
        "CHF": Unit(("franco suizo", "francos suizos"), ("céntimo", "céntimos")),
        "GBP": Unit(("libra esterlina", "libras esterlinas"), ("penique", "peniques"), feminine=True),
    },
    "ru": {
        **_dollars({
            "US$": ("доллар США", "доллара США", "долларов США"), "A$": _russian_adjective("австралийск"),
            "AU$": _russian_adjective("австралийск"), "C$": _russian_adjective("канадск"), "CA$": _russian_adjective("канадск"),
            "HK$": _russian_adjective("гонконгск"), "NZ$": _russian_adjective("новозеландск"),
            "S$": _russian_adjective("сингапурск"), "SG$": _russian_adjective("сингапурск"),
            "NT$": ("новый тайваньский доллар", "новых тайваньских доллара", "новых тайваньских долларов"),
        }, _CENTS["ru"]),
        "R$": Unit(("бразильский реал", "бразильских реала", "бразильских реалов"), ("сентаво",)),
        "$": Unit(("доллар", "доллара", "долларов"), _CENTS["ru"]),
        "€": Unit(("евро",), _CENTS["ru"]),
        "%": Unit(("процент", "процента", "процентов")),
        "GBP": Unit(("фунт стерлингов", "фунта стерлингов", "фунтов стерлингов")),
        "CHF": Unit(_russian_adjective("швейцарск", "франк"), ("сантим", "сантима", "сантимов")),
    },
    "ar": {
        **_dollars({
            f"{prefix}$": _arabic_with_adjective(_ARABIC_DOLLAR, adjective) for prefix, adjective in (
                ("US", "أمريكي"), ("A", "أسترالي"), ("AU", "أسترالي"), ("C", "كندي"), ("CA", "كندي"),
                ("NZ", "نيوزيلندي"),
                ("S", "سنغافوري"), ("SG", "سنغافوري"), ("NT", "تايواني"))
        }, _CENTS["ar"]),
        # In a construct (the dollar of Hong Kong) the counted noun keeps no ending of its own.
        "HK$": Unit(("دولار هونغ كونغ", "دولارا هونغ كونغ", "دولارات هونغ كونغ", "دولار هونغ كونغ"), _CENTS["ar"]),
        "R$": Unit(_arabic_with_adjective(("ريال", "ريالان", "ريالات", "ريالاً"), "برازيلي"), ("سنتافو",)),
        "$": Unit(_ARABIC_DOLLAR, _CENTS["ar"]),
        # يورو does not change for the plural or the accusative (خمسة يورو, عشرون يورو).
        "€": Unit(("يورو", "يوروان", "يورو", "يورو"), _CENTS["ar"]),
        "GBP": Unit(_arabic_with_adjective(("جنيه", "جنيهان", "جنيهات", "جنيهاً"), "إسترليني"), ("بنس",)),
        "CHF": Unit(_arabic_with_adjective(("فرنك", "فرنكان", "فرنكات", "فرنكاً"), "سويسري"), ("سنتيم",)),
        "JPY": Unit(("ين",)),
    },
    "ja": {
        "US$": Unit(("米ドル",)), "A$": Unit(("豪ドル",)), "AU$": Unit(("豪ドル",)), "C$": Unit(("カナダドル",)),
        "CA$": Unit(("カナダドル",)), "HK$": Unit(("香港ドル",)), "NZ$": Unit(("ニュージーランドドル",)),
        "S$": Unit(("シンガポールドル",)), "SG$": Unit(("シンガポールドル",)), "NT$": Unit(("台湾ドル",)),
        "R$": Unit(("レアル",)), "$": Unit(("ドル",)), "€": Unit(("ユーロ",)), "¥": Unit(("円",)), "￥": Unit(("円",)),
        "GBP": Unit(("ポンド",)), "CHF": Unit(("スイスフラン",)),
    },
}
# ISO 4217 codes written in news (USD 5, 5 EUR, CHF 20) read as the sign of the same currency where the table has no
# entry of their own.
CODE_SIGNS: Mapping[str, str] = {"USD": "US$", "EUR": "€", "GBP": "£", "JPY": "¥"}
CURRENCIES: Mapping[str, Mapping[str, Unit]] = {
    language: {**table, **{code: table[sign] for code, sign in CODE_SIGNS.items() if sign in table and code not in table}}
    for language, table in _TABLES.items()
}
# Signs that stand before an amount (in any language): a language's table is searched for them, and languages
# without one move them after the amount (naming the prefixed dollars with NAMES_AFTER where it has them).
SIGNS_BEFORE = (
    "US$", "A$", "AU$", "C$", "CA$", "HK$", "NZ$", "S$", "SG$", "NT$", "R$", "$", "€", "£", "¥", "￥",
    "USD", "EUR", "GBP", "CHF", "JPY",
)
# Languages that read a sign after the amount (no table above): the prefixed dollars by name, as one word after the
# amount (HK$100 -> 100港元), which the number reader and abbreviations.SYMBOLS leave as they are.
NAMES_AFTER: Mapping[str, Mapping[str, str]] = {
    "zh": {"US$": "美元", "A$": "澳元", "AU$": "澳元", "C$": "加元", "CA$": "加元", "HK$": "港元", "NZ$": "新西兰元",
           "S$": "新加坡元", "SG$": "新加坡元", "NT$": "新台币", "R$": "巴西雷亚尔", "USD": "美元", "EUR": "欧元",
           "GBP": "英镑", "CHF": "瑞士法郎", "JPY": "日元"},
}
# Amounts written with a letter after one or two digits and no sign (99p, 50p), per language; a 50p coin stays
# *a fifty pence coin*, as it is said. More digits are not money (1080p).
LETTER_UNITS: Mapping[str, Mapping[str, Unit]] = {"en": {"p": Unit(("penny", "pence"))}}
# The word a range of amounts is read with ($5-$10, $5-10 million, 5-10 €: five to ten dollars).
RANGE_WORDS: Mapping[str, str] = {"en": "to", "de": "bis", "fr": "à", "es": "a"}
# Words of scale written after the amount ("$3.5 million"): the unit follows them.
SCALES: Mapping[str, tuple[str, ...]] = {
    "en": ("thousand", "million", "billion", "trillion"),
    "de": ("Million", "Millionen", "Milliarde", "Milliarden", "Billion", "Billionen"),
    "fr": ("million", "millions", "milliard", "milliards"),
    "es": ("millón", "millones", "billón", "billones"),
    "ru": ("тысяча", "тысячи", "тысяч", "миллион", "миллиона", "миллионов", "миллиард", "миллиарда", "миллиардов"),
    "ar": ("ألف", "آلاف", "مليون", "ملايين", "مليار", "مليارات", "تريليون", "تريليونات"),
}
# Abbreviated scales after an amount ($5m, $2.5bn, 5 Mio. €, 5 M€, 3 Md€, 7bn people) -> the scale's forms
# (one, other; Russian by plural class). "k" (thousand) is not here: the amount is multiplied by a thousand instead
# (€3k is three thousand euros, 2,5 k€ deux mille cinq cents euros). In English a one-letter abbreviation is written
# against the number ($5m); in every language a longer one may follow a space ($5 bn, 5 Mio. €).
SCALE_ABBREVIATIONS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {"m": ("million",), "M": ("million",), "mn": ("million",), "mln": ("million",), "b": ("billion",),
           "B": ("billion",), "bn": ("billion",), "Bn": ("billion",), "bln": ("billion",), "tn": ("trillion",),
           "trn": ("trillion",), "T": ("trillion",)},
    "de": {"Mio.": ("Million", "Millionen"), "Mio": ("Million", "Millionen"), "Mrd.": ("Milliarde", "Milliarden"),
           "Mrd": ("Milliarde", "Milliarden"), "Mia.": ("Milliarde", "Milliarden"), "Bio.": ("Billion", "Billionen")},
    "fr": {"M": ("million", "millions"), "Md": ("milliard", "milliards"), "Mds": ("milliard", "milliards"),
           "Mrd": ("milliard", "milliards"), "Mrds": ("milliard", "milliards")},
    "es": {"M": ("millón", "millones"), "MM": ("millón", "millones")},
    "ru": {"млн": ("миллион", "миллиона", "миллионов"), "млрд": ("миллиард", "миллиарда", "миллиардов")},
}
# The abbreviations above that mean a scale only after an amount with a currency sign (5m is also five metres,
# M. monsieur); the others are read after any number too (7bn people, 5 Mio. Einwohner, 3 Mds d'euros).
SIGN_ONLY_SCALES: Mapping[str, frozenset[str]] = {
    "en": frozenset({"m", "M", "mn", "b", "B", "T", "tn"}), "fr": frozenset({"M"}), "es": frozenset({"M", "MM"}),
}
# The abbreviation of a thousand, per language (€3k, 5 k€).
THOUSAND_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {"en": ("k", "K"), "fr": ("k",), "es": ("k",), "de": ("k",)}


@dataclass(frozen=True)
class Attributive:
    """When an amount modifies the noun after it and its unit is said in the singular (a five-dollar bill): the
    amount is followed by a word of ``nouns``, or stands after a word of ``determiners`` (each word of
    ``modifiers`` may come between them: an estimated $5 billion) or a possessive (Apple's), and is followed by a
    word that is none of ``not_nouns``, nor ends in -ly (but for the ``modifiers``: a $1.4bn quarterly loss) or
    (beyond four letters) in -ed but not -eed. An amount hyphened to the word after it modifies it ($5-plus)."""

    determiners: frozenset[str]
    modifiers: frozenset[str]
    nouns: frozenset[str]
    not_nouns: frozenset[str]
    contractions: frozenset[str]


ATTRIBUTIVE: Mapping[str, Attributive] = {
    "en": Attributive(
        determiners=frozenset(
            "a an the this that these those its his her their our your my each every another two three four five six "
            "seven eight nine ten several".split()),
        modifiers=frozenset(
            "new old record estimated extra additional further total whopping massive mere reported proposed planned "
            "annual monthly weekly yearly average hefty roughly nearly almost about around approximately just only "
            "initial first second third final separate combined potential possible expected landmark historic "
            "one-off one-time multiyear near quarterly daily hourly nightly".split()),
        nouns=frozenset(
            "bill bills note notes banknote banknotes coin coins fee fees fine fines ticket tickets voucher vouchers "
            "deal deals loan loans package packages contract contracts bailout bailouts settlement settlements "
            "penalty penalties investment investments budget budgets project projects program programs programme "
            "programmes plan plans stake stakes acquisition acquisitions purchase purchases bid bids payment payments "
            "bonus bonuses prize prizes jackpot jackpots donation donations grant grants fund funds stimulus "
            "valuation valuations lawsuit lawsuits bet bets tip tips gift gifts card cards check checks cheque "
            "cheques charge charges tax taxes levy levies subsidy subsidies surcharge increase increases cut cuts "
            "hike hikes raise raises deficit deficits surplus salary salaries wage wages price".split()),
        not_nouns=frozenset(
            "a an the and or but nor of in on at to for from by with without per each apiece more less than as into "
            "onto over under above below after before since until till last next ago later earlier this that these "
            "those so if when while because which who whom whose what where why how is was are were be been being "
            "will would can could shall should may might must has have had do does did i you he she it we they me "
            "him us them his its our their my your worth instead plus minus off up down out back away too also "
            "already now then here there again alone altogether overall total not no yet just only even still "
            "goes went comes came remains includes covers pays paid buys bought gets got seems makes made takes "
            "took gives gave going coming having remaining left "
            "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
            "august september october november december today yesterday tomorrow tonight a-year a-month "
            "million billion trillion thousand".split()),
        contractions=frozenset("it's that's there's here's what's who's he's she's let's where's how's".split()),
    ),
}
