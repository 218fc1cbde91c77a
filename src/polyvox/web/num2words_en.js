// num2words' English cardinals and ordinals (Num2Word_EN, num2words 0.5.14, LGPL-2.1), ported by hand.
const ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
  "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const SCALES = ["", "thousand", "million", "billion", "trillion", "quadrillion"];
const ORDINAL_WORDS = { one: "first", two: "second", three: "third", five: "fifth", eight: "eighth", nine: "ninth", twelve: "twelfth" };

function belowHundred(value) {
  return value < 20 ? ONES[value] : TENS[Math.floor(value / 10)] + (value % 10 ? `-${ONES[value % 10]}` : "");
}

function belowThousand(value) {
  const hundreds = Math.floor(value / 100), rest = value % 100;
  if (!hundreds) return belowHundred(rest);
  return `${ONES[hundreds]} hundred` + (rest ? ` and ${belowHundred(rest)}` : "");
}

// num2words(value, lang="en") for 0 <= value < 10**18 (a BigInt).
export function cardinal(value) {
  if (value >= 10n ** 18n) throw new RangeError(`${value} is too large for the page's English numbers`);
  if (value === 0n) return "zero";
  const groups = [];
  for (let scale = 0; value > 0n; scale++, value /= 1000n) groups.push([Number(value % 1000n), scale]);
  const spoken = groups.reverse().filter(([group]) => group);
  return spoken.map(([group, scale], index) => {
    const words = belowThousand(group) + (scale ? ` ${SCALES[scale]}` : "");
    if (!index) return words;
    // Units under a hundred are joined with "and", every other group with a comma.
    return (scale === 0 && group < 100 ? " and " : ", ") + words;
  }).join("");
}

export function ordinal(value) {
  const words = cardinal(value);
  const cut = Math.max(words.lastIndexOf(" "), words.lastIndexOf("-")) + 1;
  const last = words.slice(cut);
  const spoken = ORDINAL_WORDS[last] ?? (last.endsWith("y") ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return words.slice(0, cut) + spoken;
}
