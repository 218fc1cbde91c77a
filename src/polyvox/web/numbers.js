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

// numbers.py's split_literal: [whole, fraction] digits of a number written in the language's format.
function splitLiteral(literal, language) {
  const [thousands, decimal] = FORMATS[language];
  for (const separator of thousands) literal = literal.replaceAll(separator, "");
  const cut = literal.indexOf(decimal);
  return cut < 0 ? [literal, ""] : [literal.slice(0, cut), literal.slice(cut + 1)];
}

// numbers.py's spell_literal: an unsigned number as words, digit by digit above 15 digits.
function spellLiteral(literal, language) {
  const { cardinal } = SPELLERS[language], [, , decimalWord] = FORMATS[language];
  const [whole, fraction] = splitLiteral(literal, language);
  const digits = (text) => [...text].map((digit) => cardinal(BigInt(digit))).join(" ");
  if (whole.length > DIGIT_BY_DIGIT_ABOVE) return digits(whole + fraction);
  return fraction ? `${cardinal(BigInt(whole))} ${decimalWord} ${digits(fraction)}` : cardinal(BigInt(whole));
}

// numbers.py's number_literal: the regular expression of an unsigned number in the language's format.
function numberLiteral(language) {
  const [thousands, decimal] = FORMATS[language] ?? [",", "."];
  return `(?:\\d{1,3}(?:[${escape(thousands)}]\\d{3})+|\\d+)(?:${escape(decimal)}\\d+)?`;
}

function readNumber(sign, literal, language) {
  const spoken = spellLiteral(literal, language);
  if (splitLiteral(literal, language)[0].length > DIGIT_BY_DIGIT_ABOVE) return spoken;
  return ` ${sign ? `${FORMATS[language][3]} ` : ""}${spoken} `;
}

// currency.py's tables for the languages above: sign -> [unit forms (one, other), cents forms].
const DOLLAR_CENTS = { en: ["cent", "cents"], de: ["Cent"], fr: ["cent", "cents"], es: ["centavo", "centavos"] };
export const CURRENCIES = {
  en: { "US$": [["US dollar", "US dollars"], DOLLAR_CENTS.en], $: [["dollar", "dollars"], DOLLAR_CENTS.en], "€": [["euro", "euros"], ["cent", "cents"]], "£": [["pound", "pounds"], ["penny", "pence"]] },
  de: { "US$": [["US-Dollar"], DOLLAR_CENTS.de], $: [["Dollar"], DOLLAR_CENTS.de], "€": [["Euro"], ["Cent"]] },
  fr: { "US$": [["dollar américain", "dollars américains"], DOLLAR_CENTS.fr], $: [["dollar", "dollars"], DOLLAR_CENTS.fr], "€": [["euro", "euros"], ["centime", "centimes"]] },
  es: { "US$": [["dólar estadounidense", "dólares estadounidenses"], DOLLAR_CENTS.es], $: [["dólar", "dólares"], DOLLAR_CENTS.es], "€": [["euro", "euros"], ["céntimo", "céntimos"]] },
};
export const SIGNS_BEFORE = ["US$", "$", "€", "£", "¥", "￥"];
export const SCALES = {
  en: ["thousand", "million", "billion", "trillion"], de: ["Million", "Millionen", "Milliarde", "Milliarden", "Billion", "Billionen"],
  fr: ["million", "millions", "milliard", "milliards"], es: ["millón", "millones", "billón", "billones"],
};
const CENTS_JOINER = { en: "and", de: "und", fr: "et", es: "con" };
const OF_AFTER = { fr: /(?<!\p{L})(?:millions?|milliards?)$/u, es: /(?<!\p{L})(?:millón|millones|billón|billones)$/u };

// currency.py's _count: a whole number said before its noun (es un, veintiún; de ein, eine before Million).
function count(spoken, language, scaled) {
  if (language === "es") return spoken.replace(/veintiuno$/u, "veintiún").replace(/(?<!\p{L})uno$/u, "un");
  if (language === "de") return spoken.replace(/eins$/u, scaled ? "eine" : "ein");
  return spoken;
}

// currency.py's _counted: the amount and its unit's form (0: one, 1: other), de after a million in fr and es.
function counted(amount, forms, language, form) {
  let unit = forms[Math.min(form, forms.length - 1)];
  if (OF_AFTER[language]?.test(amount)) unit = language === "fr" && "aeiouéèêh".includes(unit[0]) ? `d'${unit}` : `de ${unit}`;
  return `${amount} ${unit}`;
}

// currency.py's read_amount.
function readAmount(literal, scale, [forms, cents], language) {
  const [whole, fraction] = splitLiteral(literal, language);
  if (cents.length && fraction.length === 2 && !scale && whole.length <= DIGIT_BY_DIGIT_ABOVE) {
    const units = BigInt(whole), hundredths = BigInt(fraction), parts = [];
    if (units || !hundredths) parts.push(counted(count(spellLiteral(whole, language), language, false), forms, language, units === 1n ? 0 : 1));
    if (hundredths) parts.push(counted(count(spellLiteral(String(hundredths), language), language, false), cents, language, hundredths === 1n ? 0 : 1));
    return parts.join(` ${CENTS_JOINER[language]} `);
  }
  let spoken = spellLiteral(literal, language);
  if (!fraction) spoken = count(spoken, language, Boolean(scale));
  if (scale) spoken += ` ${scale}`;
  return counted(spoken, forms, language, BigInt(whole) === 1n && !fraction && !scale ? 0 : 1);
}

const alternatives = (words) => [...words].sort((a, b) => b.length - a.length).map((word) => word.replace(/[$]/g, "\\$&")).join("|");

// currency.py's read_money: amounts with a currency sign before or after them as words (en, es, fr, de); signs
// without a table (any language) are moved after their whole amount, for the symbol table to name.
export function readMoney(text, language) {
  const literal = numberLiteral(language), table = CURRENCIES[language];
  if (table) {
    const scales = SCALES[language], signs = Object.keys(table);
    const scale = `(?:\\s(${alternatives(scales)})(?![\\p{L}\\p{N}_]))?`;
    const before = new RegExp(`((?<!\\S)-)?(?<!\\p{L})(${alternatives(signs.filter((sign) => SIGNS_BEFORE.includes(sign)))})\\s?(${literal})(?!\\d)${scale}`, "gu");
    const after = new RegExp(`((?<!\\S)-)?(?<![\\p{L}\\p{N}_])(${literal})${scale}\\s?(${alternatives(signs)})`, "gu");
    const say = (minus, sign, amount, scaleWord) => ` ${minus ? `${FORMATS[language][3]} ` : ""}${readAmount(amount, scaleWord, table[sign], language)} `;
    text = text.replace(before, (_, minus, sign, amount, scaleWord) => say(minus, sign, amount, scaleWord));
    text = text.replace(after, (_, minus, amount, scaleWord, sign) => say(minus, sign, amount, scaleWord));
  }
  const before = new RegExp(`((?<!\\S)-)?(${alternatives(SIGNS_BEFORE)})\\s?(${literal})(?!\\d)`, "gu");
  return text.replace(before, (_, minus, sign, amount) => `${minus ?? ""}${amount} ${sign}`);
}

// numbers.py's join_thousands: 1,000,000 -> 1000000 (for the Chinese reader, which reads digits only).
export function joinThousands(text) {
  return text.replace(/(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])/gu, (number) => number.replaceAll(",", ""));
}

// spell_numbers(text, language) for a language of NUMBER_LANGUAGES; text has ASCII digits. A RangeError for
// a number num2words cannot spell (Python: a TextError), text.js refuses it in one line.
export function spellNumbers(text, language) {
  if (!/\d/.test(text)) return text;
  text = spellOrdinals(text, language);
  const pattern = new RegExp(`((?<!\\S)-(?=\\d))?(${numberLiteral(language)})(?!\\d)`, "gu");
  return text.replace(pattern, (_, sign, literal) => readNumber(sign, literal, language));
}
