// polyvox/text/numbers.py's spell_numbers for en, es, fr and de: ordinals (21st, 1er, 2.ª), then integers and
// decimals with their sign and the language's separators, spelled by the num2words ports beside this file.
import * as de from "./num2words_de.js";
import * as en from "./num2words_en.js";
import * as es from "./num2words_es.js";
import * as fr from "./num2words_fr.js";

const SPELLERS = { en, es, fr, de };
// [thousands separators, decimal separator, the word for the decimal separator, the word for minus]
const FORMATS = {
  en: [",", ".", "point", "minus"], es: [".", ",", "coma", "menos"],
  fr: ["\u00a0\u202f", ",", "virgule", "moins"], de: [".", ",", "Komma", "minus"],
};
const ORDINAL_SUFFIXES = { en: "(?:st|nd|rd|th)(?![\\p{L}\\p{N}_])", fr: "(?:er|re|e|ème|eme)(?![\\p{L}\\p{N}_])", es: "(?:\\.?º|\\.?°|\\.?ª)" };
const DIGIT_BY_DIGIT_ABOVE = 15;
// numbers.py's _NO_BREAK_SPACES (they group digits in every language) and _SPACE_GROUPING (the languages where a
// single plain space does too).
const NO_BREAK_SPACES = "\u00a0\u202f\u2007";
const SPACE_GROUPING = new Set(["fr", "es", "de", "ru"]);

export const NUMBER_LANGUAGES = new Set(Object.keys(SPELLERS));

// join_digit_groups(text, language) for any language: 1 000 000 -> 1000000 (see numbers.py for the rule).
export function joinDigitGroups(text, language) {
  const separators = NO_BREAK_SPACES + (SPACE_GROUPING.has(language) ? " " : "");
  const pattern = new RegExp(`(?<!\\d)[1-9]\\d{0,2}(?:[${separators}]\\d{3})+(?!\\d)`, "gu");
  return text.replace(pattern, (group) => group.replace(new RegExp(`[${separators}]`, "gu"), ""));
}

function escape(chars) {
  return chars.replace(/[.\\\]^-]/g, "\\$&");
}

function spellOrdinals(text, language) {
  const suffix = ORDINAL_SUFFIXES[language];
  if (!suffix) return text;
  return text.replace(new RegExp(`(?<![\\p{L}\\p{N}_])(\\d+)${suffix}`, "gu"), (match, digits) => {
    const spoken = SPELLERS[language].ordinal(BigInt(digits));
    return language === "es" && match.endsWith("ª") && spoken.endsWith("o") ? spoken.slice(0, -1) + "a" : spoken;
  });
}

function readNumber(sign, literal, language) {
  const { cardinal } = SPELLERS[language], [thousands, decimal, decimalWord, minus] = FORMATS[language];
  for (const separator of thousands) literal = literal.replaceAll(separator, "");
  const cut = literal.indexOf(decimal);
  const [whole, fraction] = cut < 0 ? [literal, ""] : [literal.slice(0, cut), literal.slice(cut + 1)];
  const digits = (text) => [...text].map((digit) => cardinal(BigInt(digit))).join(" ");
  if (whole.length > DIGIT_BY_DIGIT_ABOVE) return digits(whole + fraction);
  let spoken = cardinal(BigInt(whole));
  if (fraction) spoken += ` ${decimalWord} ${digits(fraction)}`;
  return ` ${sign ? `${minus} ` : ""}${spoken} `;
}

// spell_numbers(text, language) for a language of NUMBER_LANGUAGES; text has ASCII digits. A RangeError for
// a number num2words cannot spell (Python: a TextError), text.js refuses it in one line.
export function spellNumbers(text, language) {
  if (!/\d/.test(text)) return text;
  text = spellOrdinals(text, language);
  const [thousands, decimal] = FORMATS[language];
  const pattern = new RegExp(`((?<!\\S)-(?=\\d))?((?:\\d{1,3}(?:[${escape(thousands)}]\\d{3})+|\\d+)(?:${escape(decimal)}\\d+)?)(?!\\d)`, "gu");
  return text.replace(pattern, (_, sign, literal) => readNumber(sign, literal, language));
}
