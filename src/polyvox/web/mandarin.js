// Mandarin in the browser: polyvox's Mandarin phonemizer (polyvox/text/phonemizers/mandarin.py) with the
// data of the pypinyin that Python uses, written by the export into mandarin.json (web_mandarin.py).
// A chunk of Han characters is cut into words by longest match against pypinyin's phrase dictionary (as its
// mmseg does), each word read from that dictionary or character by character, the tone changes applied within
// each word (third tones, 不, 一), and each syllable split into its initial and toned final.

const WORD_SEPARATOR = " ";

// Chinese numbers (polyvox/text/chinese_numbers.py): 2024 -> 二千零二十四, 3.5 -> 三点五, 50% -> 百分之五十.
const DIGITS = "零一二三四五六七八九";
const SMALL_UNITS = ["", "十", "百", "千"];
const LARGE_UNITS = ["", "万", "亿", "兆"];
const MAX_INTEGER_DIGITS = LARGE_UNITS.length * 4;

function readDigits(digits) {
  return [...digits].map((digit) => DIGITS[Number(digit)]).join("");
}

// 0 < group < 10000, without leading zeros.
function readGroup(group) {
  let text = "", pendingZero = false;
  for (let power = 3; power >= 0; power--) {
    const digit = Math.floor(group / 10 ** power) % 10;
    if (digit === 0) {
      pendingZero = Boolean(text);
      continue;
    }
    if (pendingZero) {
      text += "零";
      pendingZero = false;
    }
    text += DIGITS[digit] + SMALL_UNITS[power];
  }
  return text;
}

// number: a BigInt >= 0.
function readInteger(number) {
  if (number === 0n) return "零";
  if (number.toString().length > MAX_INTEGER_DIGITS) return readDigits(number.toString());
  const groups = [];
  for (; number > 0n; number /= 10000n) groups.push(Number(number % 10000n));
  let text = "", zeroNeeded = false;
  for (let index = groups.length - 1; index >= 0; index--) {
    const group = groups[index];
    if (group === 0) {
      zeroNeeded = Boolean(text);
      continue;
    }
    if (text && (zeroNeeded || group < 1000)) text += "零";
    text += readGroup(group) + LARGE_UNITS[index];
    zeroNeeded = false;
  }
  return text.startsWith("一十") ? text.slice(1) : text;
}

function readNumber(literal) {
  const negative = literal.startsWith("-");
  const [whole, fraction = ""] = literal.replace(/^-+/, "").split(".");
  let text = readInteger(BigInt(whole));
  if (fraction) text += "点" + readDigits(fraction);
  return (negative ? "负" : "") + text;
}

// spell_chinese_numbers: percentages, years (2024年), then every number; text has ASCII digits.
export function spellChineseNumbers(text) {
  text = text.replace(/(-?[0-9]+(?:\.[0-9]+)?)\s*[%％]/gu, (_, number) => "百分之" + readNumber(number));
  text = text.replace(/([0-9]{4})(?=\s*年)/gu, (_, digits) => readDigits(digits));
  return text.replace(/-?[0-9]+(?:\.[0-9]+)?/gu, (literal) => readNumber(literal));
}

export class MandarinError extends Error {}

export class Mandarin {
  // data: mandarin.json.
  constructor(data) {
    this.pypinyinVersion = data.pypinyin_version;
    this.readings = new Map();
    for (const [syllable, chars] of Object.entries(data.chars)) {
      for (const char of chars) this.readings.set(char, syllable);
    }
    this.wordReadings = new Map(Object.entries(data.readings).map(([word, syllables]) => [word, syllables.split(" ")]));
    this.words = new Set(data.phrases.split(" "));
    for (const word of this.wordReadings.keys()) this.words.add(word);
    // Every beginning of a word: the cut stops extending a match when the text leaves them.
    this.prefixes = new Set();
    for (const word of this.words) {
      const chars = [...word];
      for (let end = 1; end <= chars.length; end++) this.prefixes.add(chars.slice(0, end).join(""));
    }
    this.splits = data.syllables;
  }

  // pypinyin's mmseg cut (no_non_phrases): the longest dictionary word from each position; a character alone
  // when none starts there; when the rest of the text is only the start of words, its characters one by one.
  cut(text) {
    const chars = [...text], words = [];
    let start = 0;
    while (start < chars.length) {
      let longest = 0, end = start + 1, piece = "";
      for (; end <= chars.length; end++) {
        piece += chars[end - 1];
        if (!this.prefixes.has(piece)) break;
        if (this.words.has(piece)) longest = end - start;
      }
      if (longest) {
        words.push(chars.slice(start, start + longest).join(""));
        start += longest;
      } else if (end <= chars.length) {
        words.push(chars[start]);
        start += 1;
      } else {
        words.push(...chars.slice(start));
        start = chars.length;
      }
    }
    return words;
  }

  // A word's syllables as [base, tone] (tone "1"-"4", or "5" for neutral), before the tone changes.
  lookUp(word) {
    const listed = this.wordReadings.get(word);
    const chars = [...word];
    const syllables = listed ?? chars.map((char) => this.readings.get(char));
    const unread = chars.filter((char, index) => syllables[index] === undefined);
    if (unread.length) {
      throw new MandarinError(`pypinyin has no reading for '${unread.join("")}'; replace these characters with common characters of the same sound, or remove them`);
    }
    return syllables.map((syllable) => [syllable.slice(0, -1), syllable.slice(-1)]);
  }

  // pypinyin's tone changes within one word (tone_sandhi=True): third tones, then 不, then 一.
  static changeTones(word, syllables) {
    const chars = [...word], tones = syllables.map(([, tone]) => tone);
    let trailingThirds = 0;
    for (const tone of tones) trailingThirds = tone === "3" ? trailingThirds + 1 : 0;
    // Two third tones ending the word: the word's first third tone becomes a second; more: all but the last.
    let toChange = trailingThirds === 2 ? 1 : trailingThirds > 2 ? trailingThirds - 1 : 0;
    for (let index = 0; index < tones.length && toChange > 0; index++) {
      if (tones[index] === "3") {
        tones[index] = "2";
        toChange -= 1;
      }
    }
    for (const [char, last] of [["不", "4"], ["一", "1"]]) {
      for (let index = 0; index < chars.length; index++) {
        if (chars[index] !== char || tones[index] === "5") continue;
        if (index === chars.length - 1) tones[index] = last;
        else if (tones[index + 1] === "4") tones[index] = tones[index] === "4" ? "2" : tones[index];
        else tones[index] = "4";
      }
    }
    return syllables.map(([base], index) => [base, tones[index]]);
  }

  // The phones of a word: each syllable's initial and its final with the tone (a final-less syllable: its initial).
  phones(word) {
    const phones = [];
    for (const [base, tone] of Mandarin.changeTones(word, this.lookUp(word))) {
      const [initial, final] = this.splits[base];
      if (initial) phones.push(initial);
      if (final) phones.push(final + tone);
    }
    return phones;
  }

  // MandarinPhonemizer.phonemize: chunks of text between punctuation (iter_chunks), their words' phones with
  // " " between words, the punctuation tokens, and " " between chunks (join_chunks).
  // isSilent(char) and punctuation (char -> token) are the front end's.
  phonemize(text, isSilent, punctuation) {
    return phonemizeChunks(text, isSilent, punctuation, (chunk) => {
      const phones = [];
      for (const word of this.cut(chunk)) {
        if (phones.length) phones.push(WORD_SEPARATOR);
        phones.push(...this.phones(word));
      }
      return phones;
    });
  }
}

// polyvox.text.phonemizers.chunks: iter_chunks cuts the text at silent characters (punctuation kept as its
// tokens, a space as a word break), read(chunk) gives each chunk's phones, and join_chunks puts them together.
// Shared by the Mandarin and Japanese front ends, as in Python.
export function phonemizeChunks(text, isSilent, punctuation, read) {
  const pieces = [];
  let chunk = "", marks = [];
  const flush = () => pieces.push([chunk ? read(chunk) : [], marks]);
  for (const char of text) {
    if (isSilent(char)) {
      const token = punctuation[char];
      if (token !== undefined) marks.push(token);
      else if (/\s/u.test(char) && chunk && !marks.length) marks.push(WORD_SEPARATOR);
      continue;
    }
    if (marks.length) {
      flush();
      chunk = "";
      marks = [];
    }
    chunk += char;
  }
  if (chunk || marks.length) flush();
  const tokens = [];
  for (const [phones, chunkMarks] of pieces) {
    if (phones.length && tokens.length && tokens.at(-1) !== WORD_SEPARATOR) tokens.push(WORD_SEPARATOR);
    tokens.push(...phones, ...chunkMarks.filter((mark) => mark !== WORD_SEPARATOR));
    if (chunkMarks.includes(WORD_SEPARATOR) && tokens.length && tokens.at(-1) !== WORD_SEPARATOR) tokens.push(WORD_SEPARATOR);
  }
  while (tokens.length && tokens.at(-1) === WORD_SEPARATOR) tokens.pop();
  return tokens;
}
