// num2words' Spanish (Num2Word_ES, num2words 0.5.14, LGPL-2.1): cardinals and ordinals as polyvox/text/numbers.py
// asks for them.
import { cardinalSpeller, makeCards } from "./num2words.js";

const CARDS = makeCards({
  high: ["cuatr", "tr", "b", "m"], mega: "illón",
  mid: [[1000, "mil"], [100, "cien"], [90, "noventa"], [80, "ochenta"], [70, "setenta"], [60, "sesenta"],
    [50, "cincuenta"], [40, "cuarenta"], [30, "treinta"]],
  low: ["veintinueve", "veintiocho", "veintisiete", "veintiséis", "veinticinco", "veinticuatro", "veintitrés",
    "veintidós", "veintiuno", "veinte", "diecinueve", "dieciocho", "diecisiete", "dieciséis", "quince", "catorce",
    "trece", "doce", "once", "diez", "nueve", "ocho", "siete", "seis", "cinco", "cuatro", "tres", "dos", "uno", "cero"],
});
const GENDER = "o";
const ORDINAL_STEMS = new Map(Object.entries({
  1: "primer", 2: "segund", 3: "tercer", 4: "cuart", 5: "quint", 6: "sext", 7: "séptim", 8: "octav", 9: "noven",
  10: "décim", 20: "vigésim", 30: "trigésim", 40: "quadragésim", 50: "quincuagésim", 60: "sexagésim",
  70: "septuagésim", 80: "octogésim", 90: "nonagésim", 100: "centésim", 200: "ducentésim", 300: "tricentésim",
  400: "cuadrigentésim", 500: "quingentésim", 600: "sexcentésim", 700: "septigentésim", 800: "octigentésim",
  900: "noningentésim", 1000: "milésim", 1000000: "millonésim", 1000000000: "billonésim",
  1000000000000: "trillonésim", 1000000000000000: "cuadrillonésim",
}).map(([value, stem]) => [BigInt(value), stem]));

function merge(curr, next) {
  let { text: ctext, num: cnum } = curr, { text: ntext, num: nnum } = next;
  if (cnum === 1n) {
    if (nnum < 1000000n) return next;
    ctext = "un";
  } else if (cnum === 100n && nnum % 1000n !== 0n) {
    ctext += "t" + GENDER;
  }
  if (nnum < cnum) return { text: cnum < 100n ? `${ctext} y ${ntext}` : `${ctext} ${ntext}`, num: cnum + nnum };
  if (nnum % 1000000n === 0n && cnum > 1n) ntext = ntext.slice(0, -3) + "lones";
  if (nnum === 100n) {
    if (cnum === 5n) [ctext, ntext] = ["quinien", ""];
    else if (cnum === 7n) ctext = "sete";
    else if (cnum === 9n) ctext = "nove";
    ntext += "t" + GENDER + "s";
  } else {
    ntext = " " + ntext;
  }
  return { text: ctext + ntext, num: cnum * nnum };
}

export const cardinal = cardinalSpeller(CARDS, merge);

function stem(value) {  // Python raises KeyError just under 10**18, where the logarithm rounds up
  if (!ORDINAL_STEMS.has(value)) throw new RangeError(`num2words has no Spanish ordinal for ${value}`);
  return ORDINAL_STEMS.get(value) + GENDER;
}

// Num2Word_ES.to_ordinal, its float logarithm included (1000000 falls in the thousands, as in Python).
export function ordinal(value) {
  let text;
  if (value === 0n) text = "";
  else if (value <= 10n) text = stem(value);
  else if (value <= 12n) text = stem(10n) + ordinal(value - 10n);
  else if (value <= 100n) text = `${stem((value / 10n) * 10n)} ${ordinal(value % 10n)}`;
  else if (value <= 1000n) text = `${stem((value / 100n) * 100n)} ${ordinal(value % 100n)}`;
  else if (value < 10n ** 18n) {
    const scale = 1000n ** BigInt(Math.trunc(Math.log(Number(value)) / Math.log(1000)));
    const high = value / scale;  // 0 just under a power of 1000, where Python recurses until RecursionError
    if (high === 0n) throw new RangeError(`num2words cannot spell ${value} as a Spanish ordinal`);
    text = `${high === 1n ? "" : cardinal(high)}${stem(scale)} ${ordinal(value % scale)}`;
  } else text = cardinal(value);
  return text.trim();
}
