// polyvox/text/numbers.py's spell_numbers for en, es, fr, de and ja: ordinals (21st, 1er, 2.ª), then integers and
// decimals with their sign and the language's separators, spelled by the num2words ports beside this file.
import * as de from "./num2words_de.js";
import * as en from "./num2words_en.js";
import * as es from "./num2words_es.js";
import * as fr from "./num2words_fr.js";
import * as ja from "./num2words_ja.js";

const SPELLERS = { en, es, fr, de, ja };
// [thousands separators, decimal separator, the word for the decimal separator, the word for minus]
const FORMATS = {
  en: [",", ".", "point", "minus"], es: [".", ",", "coma", "menos"],
  fr: ["\u00a0\u202f", ",", "virgule", "moins"], de: [".", ",", "Komma", "minus"], ja: [",", ".", "点", "マイナス"],
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

// currency_units.py's tables for the languages above: sign -> [unit forms (one, other), cents forms, feminine].
const DOLLAR_CENTS = { en: ["cent", "cents"], de: ["Cent"], fr: ["cent", "cents"], es: ["centavo", "centavos"] };
const dollars = (names, cents) => Object.fromEntries(Object.entries(names).map(([sign, forms]) => [sign, [forms, cents]]));
const ENGLISH_DOLLARS = [["US", "US"], ["A", "Australian"], ["AU", "Australian"], ["C", "Canadian"], ["CA", "Canadian"],
  ["HK", "Hong Kong"], ["NZ", "New Zealand"], ["S", "Singapore"], ["SG", "Singapore"], ["NT", "New Taiwan"]];
export const CURRENCIES = {
  en: {
    ...dollars(Object.fromEntries(ENGLISH_DOLLARS.map(([prefix, name]) => [`${prefix}$`, [`${name} dollar`, `${name} dollars`]])), DOLLAR_CENTS.en),
    "R$": [["real", "reais"], ["centavo", "centavos"]], $: [["dollar", "dollars"], DOLLAR_CENTS.en],
    "€": [["euro", "euros"], ["cent", "cents"]], "£": [["pound", "pounds"], ["penny", "pence"]],
    "¥": [["yen"], []], "￥": [["yen"], []], CHF: [["Swiss franc", "Swiss francs"], ["centime", "centimes"]],
  },
  de: {
    ...dollars({
      "US$": ["US-Dollar"], "A$": ["australischer Dollar", "australische Dollar"], "AU$": ["australischer Dollar", "australische Dollar"],
      "C$": ["kanadischer Dollar", "kanadische Dollar"], "CA$": ["kanadischer Dollar", "kanadische Dollar"], "HK$": ["Hongkong-Dollar"],
      "NZ$": ["Neuseeland-Dollar"], "S$": ["Singapur-Dollar"], "SG$": ["Singapur-Dollar"], "NT$": ["Neuer Taiwan-Dollar", "Neue Taiwan-Dollar"],
    }, DOLLAR_CENTS.de),
    "R$": [["Real"], ["Centavo", "Centavos"]], $: [["Dollar"], DOLLAR_CENTS.de], "€": [["Euro"], ["Cent"]], "£": [["Pfund"], ["Penny", "Pence"]],
    "¥": [["Yen"], []], "￥": [["Yen"], []], CHF: [["Franken"], ["Rappen"]],
  },
  fr: {
    ...dollars({
      "US$": ["dollar américain", "dollars américains"], "A$": ["dollar australien", "dollars australiens"],
      "AU$": ["dollar australien", "dollars australiens"], "C$": ["dollar canadien", "dollars canadiens"],
      "CA$": ["dollar canadien", "dollars canadiens"], "HK$": ["dollar de Hong Kong", "dollars de Hong Kong"],
      "NZ$": ["dollar néo-zélandais", "dollars néo-zélandais"], "S$": ["dollar de Singapour", "dollars de Singapour"],
      "SG$": ["dollar de Singapour", "dollars de Singapour"], "NT$": ["nouveau dollar de Taïwan", "nouveaux dollars de Taïwan"],
    }, DOLLAR_CENTS.fr),
    "R$": [["réal", "réais"], ["centavo", "centavos"]], $: [["dollar", "dollars"], DOLLAR_CENTS.fr],
    "€": [["euro", "euros"], ["centime", "centimes"]], "£": [["livre", "livres"], ["penny", "pence"], true],
    "¥": [["yen", "yens"], []], "￥": [["yen", "yens"], []], CHF: [["franc suisse", "francs suisses"], ["centime", "centimes"]],
    GBP: [["livre sterling", "livres sterling"], ["penny", "pence"], true],
  },
  es: {
    ...dollars({
      "US$": ["dólar estadounidense", "dólares estadounidenses"], "A$": ["dólar australiano", "dólares australianos"],
      "AU$": ["dólar australiano", "dólares australianos"], "C$": ["dólar canadiense", "dólares canadienses"],
      "CA$": ["dólar canadiense", "dólares canadienses"], "HK$": ["dólar de Hong Kong", "dólares de Hong Kong"],
      "NZ$": ["dólar neozelandés", "dólares neozelandeses"], "S$": ["dólar de Singapur", "dólares de Singapur"],
      "SG$": ["dólar de Singapur", "dólares de Singapur"], "NT$": ["nuevo dólar taiwanés", "nuevos dólares taiwaneses"],
    }, DOLLAR_CENTS.es),
    "R$": [["real", "reales"], ["centavo", "centavos"]], $: [["dólar", "dólares"], DOLLAR_CENTS.es],
    "€": [["euro", "euros"], ["céntimo", "céntimos"]], "£": [["libra", "libras"], ["penique", "peniques"], true],
    "¥": [["yen", "yenes"], []], "￥": [["yen", "yenes"], []], CHF: [["franco suizo", "francos suizos"], ["céntimo", "céntimos"]],
    GBP: [["libra esterlina", "libras esterlinas"], ["penique", "peniques"], true],
  },
};
// currency_units.py's CODE_SIGNS: an ISO code reads as the sign of the same currency where the table has no entry of its own.
export const CODE_SIGNS = { USD: "US$", EUR: "€", GBP: "£", JPY: "¥" };
for (const table of Object.values(CURRENCIES)) {
  for (const [code, sign] of Object.entries(CODE_SIGNS)) if (sign in table && !(code in table)) table[code] = table[sign];
}
export const SIGNS_BEFORE = ["US$", "A$", "AU$", "C$", "CA$", "HK$", "NZ$", "S$", "SG$", "NT$", "R$", "$", "€", "£", "¥", "￥", "USD", "EUR", "GBP", "CHF", "JPY"];
export const NAMES_AFTER = {
  zh: { "US$": "美元", "A$": "澳元", "AU$": "澳元", "C$": "加元", "CA$": "加元", "HK$": "港元", "NZ$": "新西兰元", "S$": "新加坡元", "SG$": "新加坡元", "NT$": "新台币", "R$": "巴西雷亚尔", USD: "美元", EUR: "欧元", GBP: "英镑", CHF: "瑞士法郎", JPY: "日元" },
};
// currency_units.py's LETTER_UNITS: one or two digits with a letter and no sign (99p).
export const LETTER_UNITS = { en: { p: [["penny", "pence"], []] } };
export const RANGE_WORDS = { en: "to", de: "bis", fr: "à", es: "a" };
export const SCALES = {
  en: ["thousand", "million", "billion", "trillion"], de: ["Million", "Millionen", "Milliarde", "Milliarden", "Billion", "Billionen"],
  fr: ["million", "millions", "milliard", "milliards"], es: ["millón", "millones", "billón", "billones"],
};
const MILLION = { en: ["million"], de: ["Million", "Millionen"], fr: ["million", "millions"], es: ["millón", "millones"] };
const BILLION = { en: ["billion"], de: ["Milliarde", "Milliarden"], fr: ["milliard", "milliards"] };
export const SCALE_ABBREVIATIONS = {
  en: { m: MILLION.en, M: MILLION.en, mn: MILLION.en, mln: MILLION.en, b: BILLION.en, B: BILLION.en, bn: BILLION.en, Bn: BILLION.en, bln: BILLION.en, tn: ["trillion"], trn: ["trillion"], T: ["trillion"] },
  de: { "Mio.": MILLION.de, Mio: MILLION.de, "Mrd.": BILLION.de, Mrd: BILLION.de, "Mia.": BILLION.de, "Bio.": ["Billion", "Billionen"] },
  fr: { M: MILLION.fr, Md: BILLION.fr, Mds: BILLION.fr, Mrd: BILLION.fr, Mrds: BILLION.fr },
  es: { M: MILLION.es, MM: MILLION.es },
};
export const SIGN_ONLY_SCALES = { en: ["B", "M", "T", "b", "m", "mn", "tn"], fr: ["M"], es: ["M", "MM"] };
export const THOUSAND_ABBREVIATIONS = { en: ["k", "K"], fr: ["k"], es: ["k"], de: ["k"] };
const words = (text) => new Set(text.split(" "));
export const ATTRIBUTIVE = {
  en: {
    determiners: words("a an the this that these those its his her their our your my each every another two three four five six seven eight nine ten several"),
    modifiers: words("new old record estimated extra additional further total whopping massive mere reported proposed planned "
      + "annual monthly weekly yearly average hefty roughly nearly almost about around approximately just only "
      + "initial first second third final separate combined potential possible expected landmark historic "
      + "one-off one-time multiyear near quarterly daily hourly nightly"),
    nouns: words("bill bills note notes banknote banknotes coin coins fee fees fine fines ticket tickets voucher vouchers "
      + "deal deals loan loans package packages contract contracts bailout bailouts settlement settlements "
      + "penalty penalties investment investments budget budgets project projects program programs programme "
      + "programmes plan plans stake stakes acquisition acquisitions purchase purchases bid bids payment payments "
      + "bonus bonuses prize prizes jackpot jackpots donation donations grant grants fund funds stimulus "
      + "valuation valuations lawsuit lawsuits bet bets tip tips gift gifts card cards check checks cheque "
      + "cheques charge charges tax taxes levy levies subsidy subsidies surcharge increase increases cut cuts "
      + "hike hikes raise raises deficit deficits surplus salary salaries wage wages price"),
    notNouns: words("a an the and or but nor of in on at to for from by with without per each apiece more less than as into "
      + "onto over under above below after before since until till last next ago later earlier this that these "
      + "those so if when while because which who whom whose what where why how is was are were be been being "
      + "will would can could shall should may might must has have had do does did i you he she it we they me "
      + "him us them his its our their my your worth instead plus minus off up down out back away too also "
      + "already now then here there again alone altogether overall total not no yet just only even still "
      + "goes went comes came remains includes covers pays paid buys bought gets got seems makes made takes "
      + "took gives gave going coming having remaining left "
      + "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
      + "august september october november december today yesterday tomorrow tonight a-year a-month "
      + "million billion trillion thousand"),
    contractions: words("it's that's there's here's what's who's he's she's let's where's how's"),
  },
};
const CENTS_JOINER = { en: "and", de: "und", fr: "et", es: "con" };
const OF_AFTER = { fr: /(?<!\p{L})(?:millions?|milliards?)$/u, es: /(?<!\p{L})(?:millón|millones|billón|billones)$/u };
const NOT_WORD_AFTER = "(?![\\p{L}\\p{N}_])";

// numbers.py's times_power_of_ten: the literal times 10**power, without thousands separators (2.5 -> 2500).
function timesPowerOfTen(literal, language, power) {
  const [whole, fraction] = splitLiteral(literal, language);
  const digits = whole + fraction.padEnd(power, "0");
  const head = digits.slice(0, whole.length + power).replace(/^0+/u, "") || "0", tail = digits.slice(whole.length + power);
  return tail ? `${head}${FORMATS[language][1]}${tail}` : head;
}

// currency.py's _count: a whole number said before its noun (es un, veintiún; de ein, eine before Million; before a
// feminine noun fr une, es una, doscientas after the millions).
function count(spoken, language, scaled, feminine = false) {
  if (feminine && !scaled && language === "fr") return spoken.replace(/(?<![\p{L}\p{N}_])un$/u, "une");
  if (feminine && !scaled && language === "es") {
    const [, millions, rest] = /^(.*(?:llón|llones) )?(.*)$/u.exec(spoken);
    return (millions ?? "") + rest.replaceAll("ientos", "ientas").replace(/uno$/u, "una");
  }
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

// currency.py's _whole: a whole number (a BigInt) of units.
function whole(number, forms, language, feminine = false) {
  return counted(count(spellLiteral(String(number), language), language, false, feminine), forms, language, number === 1n ? 0 : 1);
}

const readsCents = (cents, wholeDigits, fraction, scale) => cents.length > 0 && fraction.length === 2 && !scale && wholeDigits.length <= DIGIT_BY_DIGIT_ABOVE;

// currency.py's _attributive: five-dollar, five-million-dollar, one-dollar-fifty, fifty-cent.
function attributive(literal, scale, [forms, cents], language) {
  const [wholeDigits, fraction] = splitLiteral(literal, language);
  let parts;
  if (readsCents(cents, wholeDigits, fraction, scale)) {
    const hundredths = BigInt(fraction), centsWords = hundredths ? [spellLiteral(String(hundredths), language)] : [];
    parts = BigInt(wholeDigits) ? [spellLiteral(wholeDigits, language), forms[0], ...centsWords] : [...centsWords, cents[0]];
  } else {
    parts = [spellLiteral(literal, language), ...(scale ? [scale] : []), forms[0]];
  }
  return parts.join(" ").replace(/,?\s+/gu, "-");
}

// currency.py's read_amount.
function readAmount(literal, scale, unit, language, isAttributive) {
  if (isAttributive) return attributive(literal, scale, unit, language);
  const [forms, cents, feminine = false] = unit, [wholeDigits, fraction] = splitLiteral(literal, language);
  if (readsCents(cents, wholeDigits, fraction, scale)) {
    const units = BigInt(wholeDigits), hundredths = BigInt(fraction), parts = [];
    if (units || !hundredths) parts.push(whole(units, forms, language, feminine));
    if (hundredths) parts.push(whole(hundredths, cents, language));
    return parts.join(` ${CENTS_JOINER[language]} `);
  }
  if (!fraction && !scale && wholeDigits.length <= DIGIT_BY_DIGIT_ABOVE) return whole(BigInt(wholeDigits), forms, language, feminine);
  let spoken = spellLiteral(literal, language);
  if (!fraction) spoken = count(spoken, language, Boolean(scale), feminine);
  if (scale) spoken += ` ${scale}`;
  return counted(spoken, forms, language, BigInt(wholeDigits) === 1n && !fraction && !scale ? 0 : 1);
}

const alternatives = (words) => [...words].sort((a, b) => b.length - a.length).map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");

// currency.py's _scale_pattern: one group, a word after a space, an abbreviation (one letter only against the number in en).
function scalePattern(language) {
  const written = [...Object.keys(SCALE_ABBREVIATIONS[language] ?? {}), ...(THOUSAND_ABBREVIATIONS[language] ?? [])];
  const attached = written.filter((abbreviation) => language === "en" && abbreviation.length === 1);
  const spaced = written.filter((abbreviation) => !attached.includes(abbreviation));
  const options = SCALES[language] ? [`\\s(?:${alternatives(SCALES[language])})`] : [];
  if (spaced.length) options.push(`\\s?(?:${alternatives(spaced)})`);
  if (attached.length) options.push(`(?:${alternatives(attached)})`);
  return options.length ? `((?:${options.join("|")})${NOT_WORD_AFTER})?` : "()";
}

// currency.py's _scale_form: one million, two millions; French un virgule cinq million.
function scaleForm(language, wholeNumber, fraction, forms) {
  const index = language === "fr" ? (wholeNumber < 2n ? 0 : 1) : (wholeNumber === 1n && !fraction ? 0 : 1);
  return forms[Math.min(index, forms.length - 1)];
}

// currency.py's _scaled: [amount, scale word] from the amount and its scale as written (3, k -> 3000).
function scaled(literal, written, language) {
  if (!written) return [literal, null];
  written = written.trim();
  if ((THOUSAND_ABBREVIATIONS[language] ?? []).includes(written)) return [timesPowerOfTen(literal, language, 3), null];
  const forms = SCALE_ABBREVIATIONS[language]?.[written];
  if (!forms) return [literal, written];
  const [wholeDigits, fraction] = splitLiteral(literal, language);
  return [literal, scaleForm(language, BigInt(wholeDigits), Boolean(fraction), forms)];
}

// currency.py's _after_determiner and _is_attributive.
function afterDeterminer(before, rules) {
  if (before && !/\s/u.test(before.at(-1))) return false;
  for (const word of before.split(/\s+/u).filter(Boolean).slice(-3).reverse()) {
    const lowered = word.toLowerCase();
    if (rules.determiners.has(lowered) || (/[\p{L}\p{N}_]['’]s$/u.test(lowered) && !rules.contractions.has(lowered))) return true;
    if (!rules.modifiers.has(lowered)) return false;
  }
  return false;
}

function isAttributive(text, start, end, rules) {
  const hyphened = /-([A-Za-z]+)/uy;
  hyphened.lastIndex = end;
  const joined = hyphened.exec(text);
  if (joined) return !SCALES.en.includes(joined[1].toLowerCase());
  const following = /\s+([A-Za-z][A-Za-z'’-]*)/uy;
  following.lastIndex = end;
  const next = following.exec(text);
  if (!next) return false;
  const word = next[1].toLowerCase();
  if (rules.nouns.has(word)) return true;
  const verbLike = (word.endsWith("ly") && !rules.modifiers.has(word)) || (word.length > 4 && word.endsWith("ed") && !word.endsWith("eed"));
  return !(rules.notNouns.has(word) || verbLike) && afterDeterminer(text.slice(0, start), rules);
}

// currency.py's _article: the English article as the amount is said (an eight-dollar fee, a five-Hong-Kong-dollar fee).
function article(written, spoken) {
  const word = /^(?:eight|eleven)/u.test(spoken.trimStart()) ? "an" : "a";
  return /\p{Lu}/u.test(written[0]) ? word[0].toUpperCase() + word.slice(1) : word;
}

// currency.py's _range: five to ten dollars, five billion to seven billion dollars, a five-to-ten-dollar fee.
function range(first, written, second, unit, language, isAttributive) {
  const [value, scaleWord] = scaled(first, written, language), [wholeDigits, fraction] = splitLiteral(value, language);
  let head;
  if (readsCents(unit[1], wholeDigits, fraction, scaleWord)) {
    head = readAmount(value, null, unit, language, false);
  } else {
    let number = spellLiteral(value, language);
    if (!fraction) number = count(number, language, false, unit[2] ?? false);
    head = [number, ...(scaleWord ? [scaleWord] : [])].join(" ");
  }
  if (isAttributive) return `${head} ${RANGE_WORDS[language]}`.replace(/,?\s+/gu, "-") + `-${second}`;
  return `${head} ${RANGE_WORDS[language]} ${second}`;
}

// Python's pattern.sub(read, text) where read gets the match (its groups, index and input).
function substitute(text, pattern, read) {
  let out = "", last = 0;
  for (const match of text.matchAll(pattern)) {
    out += text.slice(last, match.index) + read(match);
    last = match.index + match[0].length;
  }
  return out + text.slice(last);
}

// currency.py's _spoken: the amount with its minus, between spaces, an abbreviation's dot that ended the text, and
// no space before words it is hyphened to ($5-plus -> five-dollar-plus).
function spoken(minus, words, match, language, attributive = false) {
  const after = match.input.slice(match.index + match[0].length);
  const stop = match[0].endsWith(".") && !after.trim() ? "." : "";
  const end = attributive && /^-[A-Za-z]/u.test(after) ? "" : " ";
  return ` ${minus ? `${FORMATS[language][3]} ` : ""}${words}${end}${stop}`;
}

// currency.py's _read_scales: numbers with an abbreviated scale and no sign (7bn people, 5 Mio. Euro).
function readScales(text, literal, language) {
  const signOnly = SIGN_ONLY_SCALES[language] ?? [];
  const abbreviations = Object.fromEntries(Object.entries(SCALE_ABBREVIATIONS[language] ?? {}).filter(([written]) => !signOnly.includes(written)));
  if (!Object.keys(abbreviations).length) return text;
  const pattern = new RegExp(`((?<!\\S)-)?(?<![\\p{L}\\p{N}_.,])(${literal})\\s?(${alternatives(Object.keys(abbreviations))})${NOT_WORD_AFTER}`, "gu");
  return substitute(text, pattern, (match) => {
    const [, minus, amount, written] = match, [wholeDigits, fraction] = splitLiteral(amount, language);
    let words = spellLiteral(amount, language);
    if (!fraction) words = count(words, language, true);
    return spoken(minus, `${words} ${scaleForm(language, BigInt(wholeDigits), Boolean(fraction), abbreviations[written])}`, match, language);
  });
}

// currency.py's read_money: amounts with a currency sign before or after them as words (en, es, fr, de), then
// numbers with an abbreviated scale; signs without a table (any language) are moved after their whole amount, for
// the symbol table to name (the prefixed dollars by NAMES_AFTER: HK$100 -> 100 港元).
export function readMoney(text, language) {
  const literal = numberLiteral(language), table = CURRENCIES[language];
  if (table) {
    const signs = Object.keys(table), scale = scalePattern(language), rules = ATTRIBUTIVE[language];
    const articles = rules ? "((?<![\\p{L}\\p{N}_'’-])(?:an?|An?|AN)\\s+)?" : "()";
    const before = new RegExp(`${articles}((?<!\\S)-)?(?<!\\p{L})(${alternatives(signs.filter((sign) => SIGNS_BEFORE.includes(sign)))})\\s?(${literal})(?!\\d)${scale}`, "gu");
    const after = new RegExp(`((?<!\\S)-)?(?<![\\p{L}\\p{N}_])(${literal})${scale}\\s?(${alternatives(signs)})(?![A-Za-z])`, "gu");
    const signsBefore = alternatives(signs.filter((sign) => SIGNS_BEFORE.includes(sign)));
    const rangeBefore = new RegExp(`${articles}(?<!\\p{L})(${signsBefore})\\s?(${literal})${scale}\\s?[-–]\\s?(?:\\2)?(${literal})(?!\\d)${scale}`, "gu");
    const rangeAfter = new RegExp(`(?<![\\p{L}\\p{N}_])(${literal})\\s?[-–]\\s?(${literal})${scale}\\s?(${alternatives(signs)})(?![A-Za-z])`, "gu");
    const say = (match, written, minus, sign, amount, scaleWritten, first) => {
      const [value, scaleWord] = scaled(amount, scaleWritten, language), start = match.index + (written?.length ?? 0);
      const modifies = !minus && rules !== undefined && isAttributive(match.input, start, match.index + match[0].length, rules);
      let words = readAmount(value, scaleWord, table[sign], language, modifies);
      if (first) words = range(...first, words, table[sign], language, modifies);
      words = spoken(minus, words, match, language, modifies);
      return written ? `${article(written, words)} ${words}` : words;
    };
    if (RANGE_WORDS[language]) {
      text = substitute(text, rangeBefore, (match) => say(match, match[1], undefined, match[2], match[5], match[6], [match[3], match[4]]));
      text = substitute(text, rangeAfter, (match) => say(match, undefined, undefined, match[4], match[2], match[3], [match[1], undefined]));
    }
    text = substitute(text, before, (match) => say(match, match[1], match[2], match[3], match[4], match[5]));
    text = substitute(text, after, (match) => say(match, undefined, match[1], match[4], match[2], match[3]));
  }
  for (const [letter, unit] of Object.entries(LETTER_UNITS[language] ?? {})) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}_.,])(\\d{1,2})${letter}${NOT_WORD_AFTER}`, "gu");
    text = text.replace(pattern, (_, amount) => ` ${readAmount(amount, null, unit, language, false)} `);
  }
  const names = NAMES_AFTER[language] ?? {};
  const before = new RegExp(`((?<!\\S)-)?(${alternatives(SIGNS_BEFORE)})\\s?(${literal})(?!\\d)`, "gu");
  text = text.replace(before, (_, minus, sign, amount) => `${minus ?? ""}${amount} ${names[sign] ?? sign}`);
  return readScales(text, literal, language);
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
