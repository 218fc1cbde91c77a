// num2words' French (Num2Word_FR, num2words 0.5.14, LGPL-2.1): cardinals and ordinals as polyvox/text/numbers.py
// asks for them.
import { EU_HIGH, cardinalSpeller, makeCards } from "./num2words.js";

const CARDS = makeCards({
  high: EU_HIGH,
  giga: "illiard", mega: "illion",
  mid: [[1000, "mille"], [100, "cent"], [80, "quatre-vingts"], [60, "soixante"], [50, "cinquante"], [40, "quarante"],
    [30, "trente"]],
  low: ["vingt", "dix-neuf", "dix-huit", "dix-sept", "seize", "quinze", "quatorze", "treize", "douze", "onze", "dix",
    "neuf", "huit", "sept", "six", "cinq", "quatre", "trois", "deux", "un", "zéro"],
});
const ORDINAL_ENDINGS = [["cinq", "cinquième"], ["neuf", "neuvième"]];

function merge(curr, next) {
  let { text: ctext, num: cnum } = curr, { text: ntext, num: nnum } = next;
  if (cnum === 1n) {
    if (nnum < 1000000n) return next;
  } else {
    if (((cnum - 80n) % 100n === 0n || (cnum % 100n === 0n && cnum < 1000n)) && nnum < 1000000n && ctext.endsWith("s")) {
      ctext = ctext.slice(0, -1);
    }
    if (cnum < 1000n && nnum !== 1000n && !ntext.endsWith("s") && nnum % 100n === 0n) ntext += "s";
  }
  if (nnum < cnum && cnum < 100n) {
    return { text: nnum % 10n === 1n && cnum !== 80n ? `${ctext} et ${ntext}` : `${ctext}-${ntext}`, num: cnum + nnum };
  }
  return { text: `${ctext} ${ntext}`, num: nnum > cnum ? cnum * nnum : cnum + nnum };
}

export const cardinal = cardinalSpeller(CARDS, merge);

export function ordinal(value) {
  if (value === 1n) return "premier";
  const word = cardinal(value);
  for (const [ending, spoken] of ORDINAL_ENDINGS) if (word.endsWith(ending)) return word.slice(0, -ending.length) + spoken;
  return (word.endsWith("e") ? word.slice(0, -1) : word) + "ième";
}
