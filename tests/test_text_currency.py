"""Amounts of money and percentages as ``normalize`` reads them (``polyvox.text.currency``): the whole amount in the
language's number format goes with its sign ($1,000,000 is one million dollars, not one thousand dollars and a
zero), before or after it, with the unit agreeing, cents, a scale word after the amount and US$."""

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

