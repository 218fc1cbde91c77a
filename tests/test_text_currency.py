"""Amounts of money and percentages as ``normalize`` reads them (``polyvox.text.currency``): the whole amount in the
language's number format goes with its sign ($1,000,000 is one million dollars, not one thousand dollars and a
zero), before or after it, with the unit agreeing (Arabic and Russian by the number's last digits, French and Spanish
with a feminine unit), cents, a scale word or abbreviation after the amount ($5m, 5 Mio. €), ranges, the prefixed
dollars (A$, HK$), ISO codes, and in English the singular before a noun (a five-dollar bill)."""

from __future__ import annotations

import pytest

from polyvox.text import normalize

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "It costs $1,000,000 now.", "It costs one million dollars now."),
        ("en", "It costs $1,000.50 now.", "It costs one thousand dollars and fifty cents now."),
        ("en", "$1,000,000.00", "one million dollars"),
        ("en", "$3.5 million", "three point five million dollars"),
        ("en", "$5 billion and $2 thousand", "five billion dollars and two thousand dollars"),
        ("en", "US$5", "five US dollars"),
        ("en", "US$1,000.50", "one thousand US dollars and fifty cents"),
        ("en", "-$5", "minus five dollars"),
        ("en", "-$1,000.50", "minus one thousand dollars and fifty cents"),
        ("en", "£2,500", "two thousand, five hundred pounds"),
        ("en", "£1.01", "one pound and one penny"),
        ("en", "$1, $0.50, $0.01", "one dollar, fifty cents, one cent"),
        ("en", "$1.5 and $ 5 and 5$", "one point five dollars and five dollars and five dollars"),
        ("en", "€2,000 or -5 €", "two thousand euros or minus five euros"),
        ("en", "I paid $1,000.", "I paid one thousand dollars."),
        ("en", "12.5% and 1,000%", "twelve point five percent and one thousand percent"),
        ("en", "the $ sign", "the dollars sign"),
        ("de", "€1.000.000", "eine Million Euro"),
        ("de", "1.000.000 €", "eine Million Euro"),
        ("de", "€1.000,50 und 1.000,50 €", "eintausend Euro und fünfzig Cent und eintausend Euro und fünfzig Cent"),
        ("de", "1 € und 101 € und 0,01 €", "ein Euro und einhundertein Euro und ein Cent"),
        ("de", "$1 Million, €3,5 Milliarden", "eine Million Dollar, drei Komma fünf Milliarden Euro"),
        ("de", "US$1.000", "eintausend US-Dollar"),
        ("de", "12,5% und 1.000%", "zwölf Komma fünf Prozent und eintausend Prozent"),
        ("fr", "1 000 000 €", "un million d'euros"),
        ("fr", f"1{NBSP}000{NBSP}000{NBSP}€", "un million d'euros"),
        ("fr", f"1{NNBSP}000{NNBSP}000 €", "un million d'euros"),
        ("fr", "2 500,50 €", "deux mille cinq cents euros et cinquante centimes"),
        ("fr", "1 €, 21 €, 0,01 €", "un euro, vingt et un euros, un centime"),
        ("fr", "2 millions € et $3,5 milliards", "deux millions d'euros et trois virgule cinq milliards de dollars"),
        ("fr", "1 000 $ et €5", "mille dollars et cinq euros"),
        ("fr", "12,5 %", "douze virgule cinq pour cent"),
        ("es", "1.000.000 € y $1.000.000", "un millón de euros y un millón de dólares"),
        ("es", "$1, $21, 101 €, 21,00 €", "un dólar, veintiún dólares, ciento un euros, veintiún euros"),
        ("es", "$0,01 y 1.000,50 €", "un centavo y mil euros con cincuenta céntimos"),
        ("es", "$3,5 millones", "tres coma cinco millones de dólares"),
        ("es", "US$5 y -5 €", "cinco dólares estadounidenses y menos cinco euros"),
        ("es", "12,5 %", "doce coma cinco por ciento"),
        ("ru", "1 000 000 $", "один миллион долларов"),
        ("ru", "$1, $2, $5, $11, $21", "один доллар, два доллара, пять долларов, одиннадцать долларов, двадцать один доллар"),
        ("ru", "1 000,50 $", "одна тысяча долларов пятьдесят центов"),
        ("ru", "1%, 2%, 5%, 12,5%", "один процент, два процента, пять процентов, двенадцать целых пять десятых процента"),
        ("ja", "¥10,000と￥10,000と10,000円", "一万円と一万円と一万円"),
        ("ja", "$1,000、12.5%、1,000%", "千ドル、十二点五パーセント、千パーセント"),
        ("zh", "¥10,000和￥10,000", "一万元和一万元"),
        ("zh", "$1,000,000，-$5", "一百万美元，负五美元"),
        ("zh", "他花了$5和１２３元。", "他花了五美元和一百二十三元。"),
        ("zh", "12.5%和1,000%", "百分之十二点五和百分之一千"),
        ("ar", "$1,000", "ألف دولار"),
        ("it", "$1,000,000", "un milione $"),  # no table: the sign after its whole amount, as before
    ],
)
def test_money_reads_as_a_reader_says_it(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected



@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # An amount before the noun it describes takes the singular, as one hyphenated word.
        ("en", "a $5 bill", "a five-dollar bill"),
        ("en", "A $20 bill and two $20 bills.", "A twenty-dollar bill and two twenty-dollar bills."),
        ("en", "a $5 million deal", "a five-million-dollar deal"),
        ("en", "the £10 note, a $1.50 coffee, a $0.50 stamp", "the ten-pound note, a one-dollar-fifty coffee, a fifty-cent stamp"),
        ("en", "Apple's $3 trillion valuation", "Apple's three-trillion-dollar valuation"),
        ("en", "an estimated $2.5bn bailout", "an estimated two-point-five-billion-dollar bailout"),
        ("en", "He paid a $250 fine.", "He paid a two-hundred-and-fifty-dollar fine."),
        ("en", "a $1.4bn quarterly loss", "a one-point-four-billion-dollar quarterly loss"),
        ("en", "its $6.99-a-month plan, the $5-plus ticket", "its six-dollar-ninety-nine-a-month plan, the five-dollar-plus ticket"),
        # The article agrees with the amount as it is said.
        ("en", "an A$2.47 billion profit", "a two-point-four-seven-billion-Australian-dollar profit"),
        ("en", "An HK$5 fee, a $8 fee, an $11 ticket", "A five-Hong-Kong-dollar fee, an eight-dollar fee, an eleven-dollar ticket"),
        # ... and stays plural where no noun follows it, or what follows is not one.
        ("en", "an estimated $5 billion in damages", "an estimated five billion dollars in damages"),
        ("en", "They raised $5 million last year.", "They raised five million dollars last year."),
        ("en", "it's $5 now; the $5 goes to charity", "it's five dollars now; the five dollars goes to charity"),
        ("en", "He paid $20.", "He paid twenty dollars."),
        ("en", "a $5 or $10 fee", "a five dollars or ten-dollar fee"),  # not read as one range (a five- or ten-dollar fee)
        # Ranges: the unit once, after the second amount, which the first shares its scale with.
        ("en", "$5-$10, $5-10 million, $5–$10, $5bn-$7bn", "five to ten dollars, five to ten million dollars, five to ten "
         "dollars, five billion to seven billion dollars"),
        ("en", "a $5-$10 fee, $1.50-$2.50, $5k-$10k, 5-10 €", "a five-to-ten-dollar fee, one dollar and fifty cents to two "
         "dollars and fifty cents, five thousand to ten thousand dollars, five to ten euros"),
        ("de", "5-10 €, 1-2 Mio. €, €5-10", "fünf bis zehn Euro, ein bis zwei Millionen Euro, fünf bis zehn Euro"),
        ("fr", "5-10 €, 1-2 M€, £1-2", "cinq à dix euros, un à deux millions d'euros, une à deux livres"),
        ("es", "5-10 €, 1-21 €", "cinco a diez euros, un a veintiún euros"),
        # Abbreviated scales; a thousand multiplies the amount.
        ("en", "$5m, $2.5bn, €3k, $1.5K", "five million dollars, two point five billion dollars, three thousand euros, "
         "one thousand, five hundred dollars"),
        ("en", "US$5bn, £3.5 bn, $7tn, $2B, 7bn people", "five billion US dollars, three point five billion pounds, "
         "seven trillion dollars, two billion dollars, seven billion people"),
        ("en", "5m away", "five m away"),  # a one-letter scale only with a sign: 5m may be five metres
        # The prefixed dollars and the real.
        ("en", "A$20, C$5, HK$100, NZ$5, S$2, NT$30", "twenty Australian dollars, five Canadian dollars, one hundred Hong "
         "Kong dollars, five New Zealand dollars, two Singapore dollars, thirty New Taiwan dollars"),
        ("en", "AU$1, CA$1.01, R$1.5 billion", "one Australian dollar, one Canadian dollar and one cent, one point five "
         "billion reais"),
        ("de", "5 Mio. €, 1 Mio. €, 1,5 Mio. €", "fünf Millionen Euro, eine Million Euro, eins Komma fünf Millionen Euro"),
        ("de", "2 Mrd. Euro und 5 Mio. Einwohner", "zwei Milliarden Euro und fünf Millionen Einwohner"),
        ("de", "Es kostet €5 Mio.", "Es kostet fünf Millionen Euro."),
        ("de", "3 k€, A$20, C$1 und £5", "dreitausend Euro, zwanzig australische Dollar, ein kanadischer Dollar und fünf Pfund"),
        ("de", "HK$1 und 2 NT$", "ein Hongkong-Dollar und zwei Neue Taiwan-Dollar"),
        ("fr", "1,5 M€, 5 Md€, 2 M$", "un virgule cinq million d'euros, cinq milliards d'euros, deux millions de dollars"),
        ("fr", "2,5 k€, 1 k€, 3 Mds d'euros", "deux mille cinq cents euros, mille euros, trois milliards d'euros"),
        ("fr", "A$20, HK$1 000, NZ$1", "vingt dollars australiens, mille dollars de Hong Kong, un dollar néo-zélandais"),
        ("fr", "£1, £21, £201", "une livre, vingt et une livres, deux cent une livres"),
        ("es", "1 M€, 21 M€, 1,5 M€", "un millón de euros, veintiún millones de euros, uno coma cinco millones de euros"),
        ("es", "HK$100, A$1, NZ$2", "cien dólares de Hong Kong, un dólar australiano, dos dólares neozelandeses"),
        ("es", "£1, £21, £200, £1.000.200", "una libra, veintiuna libras, doscientas libras, un millón doscientas libras"),
        ("ru", "5 млн $, $1 млн, A$21, A$2", "пять миллионов долларов, один миллион долларов, двадцать один австралийский "
         "доллар, два австралийских доллара"),
        # ISO codes before or after the amount, and the yen.
        ("en", "USD 5 million, 20 EUR, a CHF 20 fee, GBP 1.50, JPY 500, ¥500", "five million US dollars, twenty euros, "
         "a twenty-Swiss-franc fee, one pound and fifty pence, five hundred yen, five hundred yen"),
        ("en", "5 EURO and 3 USDC", "five EURO and three USDC"),  # a code is a whole word
        ("en", "99p, 1p, a 50p coin; 1080p video at 7pm", "ninety-nine pence, one penny, a fifty pence coin; one thousand "
         "and eighty p video at seven pm"),
        ("de", "Es kostet 20 EUR und CHF 1,50.", "Es kostet zwanzig Euro und ein Franken und fünfzig Rappen."),
        ("fr", "20 GBP, 1 GBP, CHF 2", "vingt livres sterling, une livre sterling, deux francs suisses"),
        ("es", "1 GBP, 21 CHF, 3 JPY", "una libra esterlina, veintiún francos suizos, tres yenes"),
        ("ru", "USD 5, 2 GBP, 3 CHF", "пять долларов США, два фунта стерлингов, три швейцарских франка"),
        ("zh", "HK$100和A$5", "一百港元和五澳元"),
        ("zh", "USD 5和GBP 3", "五美元和三英镑"),
        ("ja", "A$5", "五豪ドル"),
    ],
)
def test_amount_words_read_as_a_reader_says_them(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1", "دولار واحد"),  # the unit, then one
        ("$2", "دولاران"),  # the dual alone
        ("$3 و $10", "ثلاثة دولارات و عشرة دولارات"),  # 3-10: the plural
        ("$11 و $21 و $99", "أحد عشر دولاراً و واحد و عشرون دولاراً و تسعة و تسعون دولاراً"),  # 11-99: accusative
        ("$100 و $1,000 و $2,000 و $1,000,000", "مائة دولار و ألف دولار و ألفا دولار و مليون دولار"),
        ("$103 و $111", "مائة و ثلاثة دولارات و مائة و أحد عشر دولاراً"),  # by the last two digits
        ("$1.50", "دولار واحد و خمسون سنتاً"),
        ("$0.02", "سنتان"),
        ("US$1 و A$5", "دولار أمريكي واحد و خمسة دولارات أسترالية"),
        ("5 €", "خمسة يورو"),
        ("$44 مليار و $1 مليون و $3 ملايين", "أربعة و أربعون مليار دولار و مليون دولار و ثلاثة ملايين دولار"),
    ],
)
def test_arabic_amounts_agree_with_their_number(text: str, expected: str) -> None:
    assert normalize(text, "ar") == expected


def test_every_table_with_dollars_names_every_prefixed_dollar() -> None:
    """A sign missing from a language's table would be read as plain dollars, or not at all."""
    from polyvox.text.currency_units import CURRENCIES, SIGNS_BEFORE

    prefixed = {sign for sign in SIGNS_BEFORE if sign.endswith("$") and sign != "$"}
    for language, table in CURRENCIES.items():
        if "$" in table:
            assert prefixed <= set(table), (language, prefixed - set(table))
