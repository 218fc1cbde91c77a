// num2words' Num2Word_Base and Num2Word_EU (num2words 0.5.14, LGPL-2.1), ported for the languages the page
// spells as polyvox/text/numbers.py does: a number is split into the largest cards that fit (splitnum), then
// neighbouring (words, value) pairs are merged by the language's own rule (clean). Values are BigInts.

// Num2Word_EU.gen_high_numwords: the Latin stems of the large scales, largest first.
export function highStems(units, tens, lows) {
  return [...tens.flatMap((ten) => units.map((unit) => unit + ten))].reverse().concat(lows);
}

// Num2Word_EU.setup's scales (cent-illiard down to million), which French keeps.
export const EU_HIGH = ["cent", ...highStems(
  ["", "un", "duo", "tre", "quattuor", "quin", "sex", "sept", "octo", "novem"],
  ["dec", "vigint", "trigint", "quadragint", "quinquagint", "sexagint", "septuagint", "octogint", "nonagint"],
  ["non", "oct", "sept", "sext", "quint", "quadr", "tr", "b", "m"])];

// set_high_numwords, set_mid_numwords, set_low_numwords: the cards, largest first, as [value, words].
export function makeCards({ high, mid, low, giga, mega }) {
  const cards = [];
  high.forEach((stem, index) => {
    const power = BigInt(3 + 6 * high.length - 6 * index);
    if (giga) cards.push([10n ** power, stem + giga]);
    if (mega) cards.push([10n ** (power - 3n), stem + mega]);
  });
  cards.push(...mid.map(([value, words]) => [BigInt(value), words]));
  cards.push(...low.map((words, index) => [BigInt(low.length - 1 - index), words]));
  return cards;
}

function splitnum(cards, words, value) {
  for (const [card, cardWords] of cards) {
    if (card > value) continue;
    const [div, mod] = value === 0n ? [1n, 0n] : [value / card, value % card];
    const out = [];
    if (div === 1n) out.push({ text: words.get(1n), num: 1n });
    else if (div === value) return [{ text: cardWords.repeat(Number(div)), num: div * card }];  // a tally
    else out.push(splitnum(cards, words, div));
    out.push({ text: cardWords, num: card });
    if (mod) out.push(splitnum(cards, words, mod));
    return out;
  }
  throw new RangeError(`no card for ${value}`);
}

function clean(val, merge) {
  let out = val;
  while (val.length !== 1) {
    out = [];
    const [left, right] = val;
    if (!Array.isArray(left) && !Array.isArray(right)) {
      out.push(merge(left, right));
      if (val.length > 2) out.push(val.slice(2));
    } else {
      for (const element of val) {
        if (!Array.isArray(element)) out.push(element);
        else out.push(element.length === 1 ? element[0] : clean(element, merge));
      }
    }
    val = out;
  }
  return out[0];
}

// to_cardinal for 0 <= value < the largest card times 1000; merge(curr, next) -> {text, num} as the language's.
export function cardinalSpeller(cards, merge) {
  const words = new Map(cards), limit = cards[0][0] * 1000n;
  return (value) => {
    if (value >= limit) throw new RangeError(`${value} is too large for num2words`);
    return clean(splitnum(cards, words, value), merge).text;
  };
}
