// num2words' German cardinals (Num2Word_DE, num2words 0.5.14, LGPL-2.1); polyvox/text/numbers.py reads no
// German ordinals.
import { cardinalSpeller, highStems, makeCards } from "./num2words.js";

const CARDS = makeCards({
  high: ["zent", ...highStems(
    ["", "un", "duo", "tre", "quattuor", "quin", "sex", "sept", "okto", "novem"],
    ["dez", "vigint", "trigint", "quadragint", "quinquagint", "sexagint", "septuagint", "oktogint", "nonagint"],
    ["Non", "Okt", "Sept", "Sext", "Quint", "Quadr", "Tr", "B", "M"])],
  giga: "illiarde", mega: "illion",
  mid: [[1000, "tausend"], [100, "hundert"], [90, "neunzig"], [80, "achtzig"], [70, "siebzig"], [60, "sechzig"],
    [50, "fünfzig"], [40, "vierzig"], [30, "dreißig"]],
  low: ["zwanzig", "neunzehn", "achtzehn", "siebzehn", "sechzehn", "fünfzehn", "vierzehn", "dreizehn", "zwölf", "elf",
    "zehn", "neun", "acht", "sieben", "sechs", "fünf", "vier", "drei", "zwei", "eins", "null"],
});

function merge(curr, next) {
  let { text: ctext, num: cnum } = curr, { text: ntext, num: nnum } = next;
  if (cnum === 1n) {
    if (nnum === 100n || nnum === 1000n) return { text: "ein" + ntext, num: nnum };
    if (nnum < 1000000n) return next;
    ctext = "eine";
  }
  let num;
  if (nnum > cnum) {
    if (nnum >= 1000000n) {
      if (cnum > 1n) ntext += ntext.endsWith("e") ? "n" : "en";
      ctext += " ";
    }
    num = cnum * nnum;
  } else {
    if (nnum < 10n && cnum > 10n && cnum < 100n) [ntext, ctext] = [ctext, (nnum === 1n ? "ein" : ntext) + "und"];
    else if (cnum >= 1000000n) ctext += " ";
    num = cnum + nnum;
  }
  return { text: ctext + ntext, num };
}

export const cardinal = cardinalSpeller(CARDS, merge);
