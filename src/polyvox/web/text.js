// polyvox's text front end in the browser: TextRules.encode (polyvox/text/) for the languages espeak-ng
// phonemizes and for Mandarin (mandarin.js), step for step, so a sentence gets the ids Python gives it. The tables come from web.json,
// written by the export from the Python modules; the regular expressions mirror polyvox/text/sentences.py,
// tags.py and normalize.py (tests/test_web_parity.py compares the ids).

import { JapaneseError } from "./japanese.js";
import { MandarinError, spellChineseNumbers } from "./mandarin.js";
import { NUMBER_LANGUAGES, joinDigitGroups, joinThousands, readMoney, spellNumbers } from "./numbers.js";

const PAD_ID = 0, BOS_ID = 1, EOS_ID = 2;
const WORD_SEPARATOR = " ";
const TAG = /<(\/?)([a-z]{2,3}(?:-[a-z0-9]+)*)>/g;
const CLOSERS = "\"'”’»)]」』）";
const WORD_CHAR = "[\\p{L}\\p{N}_]";
const CJK_LANGUAGES = new Set(["zh", "ja"]);
// polyvox.text.prosody: a Mandarin toned final, and the initials that take their syllable's tone.
const MANDARIN_TONED = /^([a-zü]+)([1-5])$/u;
const MANDARIN_INITIALS = new Set("b p m f d t n l g k h j q x zh ch sh r z c s y w".split(" "));

export class TextError extends Error {}

function spellNumbersOrRefuse(text, language) {
  try {
    return spellNumbers(text, language);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new TextError(`a number in '${text}' is too large to spell out in '${language}': write it as words or digit by digit`);
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}

// Any decimal digit (full-width, Arabic-Indic...) as its ASCII digit: Unicode's digits come in runs of ten from 0.
function asciiDigits(text) {
  return text.replace(/[^\P{Nd}0-9]/gu, (char) => {
    let start = char.codePointAt(0);
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((char.codePointAt(0) - start) % 10);
  });
}

// polyvox.text.scripts.script_of, for what the page needs: Latin letters, marks, Han characters, kana.
function isLatin(char) {
  return /^[\p{L}\p{M}]$/u.test(char) && /\p{Script=Latin}/u.test(char);
}

function isHan(char) {
  return /^[\p{L}\p{M}]$/u.test(char) && /\p{Script=Han}/u.test(char) && !"々〆".includes(char);
}

// KANA: hiragana and katakana letters (half-width ones with their marks), the prolonged sound mark and 々〆ヶ.
function isKana(char) {
  return "ー々〆ヶ\uff70\uff9e\uff9f".includes(char) || (/^[\p{L}\p{M}]$/u.test(char) && /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(char));
}

// polyvox.text.scripts.split_latin_runs: Latin-script words (with the spaces, apostrophes, hyphens and dots
// between them) go to latinLanguage.
function splitLatinRuns(text, language, latinLanguage) {
  if (latinLanguage === language) return [{ text, language }];
  const chars = [...text], runs = [];
  let start = 0, index = 0;
  while (index < chars.length) {
    if (!isLatin(chars[index])) {
      index++;
      continue;
    }
    let end = index, cursor = index;
    while (cursor < chars.length && (isLatin(chars[cursor]) || /^\p{M}$/u.test(chars[cursor]) || " '-.".includes(chars[cursor]))) {
      if (isLatin(chars[cursor])) end = cursor + 1;
      cursor++;
    }
    if (index > start) runs.push({ text: chars.slice(start, index).join(""), language });
    runs.push({ text: chars.slice(index, end).join(""), language: latinLanguage });
    start = index = end;
  }
  if (start < chars.length) runs.push({ text: chars.slice(start).join(""), language });
  return runs;
}

// normalize.py's collapse_whitespace: whitespace between two digits stays as written (1 000 is one number, a
// line break between digits two).
export function collapseWhitespace(text) {
  return text.replace(/\s+/gu, (run, start) => {
    const end = start + run.length;  // two code units either side: a digit may be a surrogate pair (𝟏)
    const between = /\p{Nd}$/u.test(text.slice(Math.max(start - 2, 0), start)) && /^\p{Nd}/u.test(text.slice(end, end + 2));
    return between ? run : " ";
  }).trim();
}

function hasContent(piece) {
  return /[\p{L}\p{N}]/u.test(piece.replace(TAG, ""));
}

const BOUNDARY = new RegExp(`[.!?…؟]+[${escapeRegExp(CLOSERS)}]*(?=\\s|$)|[。！？]+[${escapeRegExp(CLOSERS)}]*`, "gu");
const SOFT_BREAK = /[,;:，、；：،](?=\s|[^\x00-\x7f])|\s[—–-]\s/gu;

function splitLong(sentence, maxChars) {
  const pieces = [];
  while ([...sentence].length > maxChars) {
    const window = sentence.slice(0, maxChars + 1);
    let cut = 0;
    for (const match of window.matchAll(SOFT_BREAK)) {
      const end = match.index + match[0].length;
      if (end <= maxChars) cut = Math.max(cut, end);
    }
    if (cut === 0) cut = window.lastIndexOf(" ");
    if (cut <= 0) cut = maxChars;
    pieces.push(sentence.slice(0, cut).trim());
    sentence = sentence.slice(cut).trim();
  }
  pieces.push(sentence);
  return pieces.filter((piece) => piece);
}

function balanceTags(pieces) {
  const balanced = [];
  let open = null;
  for (let piece of pieces) {
    if (open !== null) piece = `<${open}>${piece}`;
    for (const match of piece.matchAll(TAG)) open = match[1] ? null : match[2];
    balanced.push(open === null ? piece : `${piece}</${open}>`);
  }
  return balanced;
}

// polyvox.text.tags.split_language_tags
function splitLanguageTags(text, language) {
  const spans = [];
  let open = null, openAt = 0, position = 0;
  for (const match of text.matchAll(TAG)) {
    const closing = Boolean(match[1]), code = match[2];
    if (closing !== (open !== null) || (closing && code !== open)) {
      const expected = open ? `</${open}>` : "an opening tag such as <en>";
      throw new TextError(`language tag '${match[0]}' at character ${match.index} does not match (expected ${expected}); tags look like <en>hello</en> and may not nest`);
    }
    spans.push({ text: text.slice(position, match.index), language: open ?? language });
    open = closing ? null : code;
    openAt = match.index;
    position = match.index + match[0].length;
  }
  if (open !== null) throw new TextError(`language tag <${open}> at character ${openAt} is never closed; add </${open}>`);
  spans.push({ text: text.slice(position), language });
  return spans.filter((span) => span.text.trim());
}

export class SymbolTable {
  constructor(symbols) {
    this.symbols = symbols;
    this.ids = new Map(symbols.map((symbol, index) => [symbol, index]));
  }
  has(symbol) { return this.ids.has(symbol); }
  // The fewest known symbols that spell token character for character, or null.
  spell(token) {
    const chars = [...token];
    const fewest = [[], ...chars.map(() => null)];
    for (let end = 1; end <= chars.length; end++) {
      for (let start = 0; start < end; start++) {
        const head = fewest[start], piece = chars.slice(start, end).join("");
        if (head !== null && this.ids.has(piece) && (fewest[end] === null || head.length + 1 < fewest[end].length)) {
          fewest[end] = [...head, piece];
        }
      }
    }
    return fewest[chars.length];
  }
}

export class TextRules {
  // voice: voice.onnx.json; tables: web.json.
  // mandarin: a Mandarin (mandarin.js) when the page reads zh, else null; japanese: a Japanese (japanese.js) for ja.
  constructor(voice, tables, espeak, mandarin = null, japanese = null) {
    this.voice = voice;
    this.tables = tables;
    this.espeak = espeak;
    this.mandarin = mandarin;
    this.japanese = japanese;
    this.symbols = new SymbolTable(voice.symbols);
    this.languageIds = Object.fromEntries(voice.languages.map((name, index) => [name, index]));
    this.scheme = voice.config.model.text_encoder.prosody_embeddings ? "features" : "fused";
    this.punctuation = tables.punctuation_tokens;
    this.silentMarks = new Set(tables.silent_marks);
  }

  requireLanguage(language) {
    if (!this.voice.languages.includes(language)) {
      throw new TextError(`this voice does not speak '${language}'; it speaks: ${this.voice.languages.join(", ")}`);
    }
    const reason = this.tables.unsupported_languages[language];
    if (reason !== undefined || !(language in this.tables.languages)) {
      throw new TextError(`'${language}' cannot be phonemized in the browser yet: ${reason ?? "no front end"}; use polyvox in Python for it`);
    }
  }

  // polyvox.text.sentences.split_sentences
  sentences(text, language) {
    this.requireLanguage(language);
    text = collapseWhitespace(text);
    const { abbreviations, dotted_scales: dottedScales } = this.tables.languages[language];
    const sentences = [];
    let start = 0;
    for (const match of text.matchAll(BOUNDARY)) {
      const end = match.index + match[0].length;
      const piece = text.slice(start, end);
      const words = piece.split(/\s+/u).filter((word) => word);
      const last = words[words.length - 1];
      const afterAmount = words.length > 1 && /\p{Nd}$/u.test(words[words.length - 2]);
      if (words.length && (Object.hasOwn(abbreviations, last) || (afterAmount && dottedScales.includes(last)))) continue;
      sentences.push(piece.trim());
      start = end;
    }
    sentences.push(text.slice(start).trim());
    const merged = [];
    for (const sentence of sentences) {
      if (hasContent(sentence) || !merged.length) merged.push(sentence);
      else merged[merged.length - 1] += sentence;
    }
    const pieces = merged.flatMap((sentence) => splitLong(sentence, this.tables.max_sentence_chars));
    const result = balanceTags(pieces).filter(hasContent);
    if (!result.length) throw new TextError(`no sentence to speak in '${text}': the text is blank or only punctuation`);
    return result;
  }

  // polyvox.text.normalize.normalize; numbers are spelled in en, es, fr, de (numbers.js) and Mandarin (mandarin.js),
  // the others ask for words.
  normalize(text, language) {
    const { abbreviations, symbols } = this.tables.languages[language];
    text = joinDigitGroups(collapseWhitespace(asciiDigits(text.normalize("NFC"))), language).replace(/\s+/gu, " ");
    for (const written of Object.keys(abbreviations).sort((a, b) => [...b].length - [...a].length)) {
      // Python's (?!\w) and \b after the abbreviation are the same here: every one ends in a word character or . ° -
      const pattern = new RegExp(`(?<![\\p{L}\\p{N}_.])${escapeRegExp(written)}(?!${WORD_CHAR})`, "gu");
      text = text.replace(pattern, () => abbreviations[written]);
    }
    const spellSymbols = (text) => {
      for (const [symbol, spoken] of Object.entries(symbols)) text = text.replaceAll(symbol, ` ${spoken} `);
      return text;
    };
    // Amounts of money as words (currency.py's read_money; other languages' signs after their amount: 五美元).
    if (language === "zh") {  // the Chinese reader reads digits only: 1,000 -> 1000
      text = spellSymbols(spellChineseNumbers(readMoney(joinThousands(text), language)));
    } else {
      text = spellSymbols(readMoney(text, language));
      if (NUMBER_LANGUAGES.has(language)) text = spellNumbersOrRefuse(text, language);
    }
    if (/\p{Nd}/u.test(text)) {
      throw new TextError(`numbers in '${language}' are not spelled out in the browser yet: write them as words ('${text}')`);
    }
    text = collapseWhitespace(text).replace(/\s+([,.!?;:…，。！？、；：])/gu, "$1");
    return CJK_LANGUAGES.has(language) ? text.replace(/(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])/gu, "") : text;
  }

  isSilent(char) {
    return /\s/u.test(char) || char in this.punctuation || this.silentMarks.has(char) || /[\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Pd}]/u.test(char);
  }

  // polyvox.text.scripts.can_read for a Latin-script language, Han characters for Mandarin, Han, kana and Latin for Japanese.
  checkReadable(text, language) {
    const latin = (char) => /[\p{Script=Latin}\p{M}]/u.test(char);
    const readable = language === "zh" ? isHan : language === "ja" ? (char) => isHan(char) || isKana(char) || latin(char) : latin;
    const unread = [...new Set(text)].filter((char) => !this.isSilent(char) && !readable(char));
    if (unread.length) {
      throw new TextError(`the '${language}' phonemizer cannot read ${unread.slice(0, 10).map((char) => `'${char}'`).join(", ")} in '${text}'; remove these characters or spell them out as words`);
    }
  }

  splitEdgePunctuation(piece) {
    const chars = [...piece];
    let start = 0, end = chars.length;
    while (start < end && this.isSilent(chars[start])) start++;
    while (end > start && this.isSilent(chars[end - 1])) end--;
    const tokens = (part) => part.map((char) => this.punctuation[char]).filter((token) => token);
    return [tokens(chars.slice(0, start)), chars.slice(start, end).join(""), tokens(chars.slice(end))];
  }

  // polyvox.text.phonemizers.espeak.parse_espeak_output
  parseEspeak(phonemized) {
    const tokens = [];
    for (const word of phonemized.split(" ")) {
      const wordTokens = [];
      for (const piece of word.split("|")) {
        const [leading, phone, trailing] = this.splitEdgePunctuation(piece);
        const bare = phone.replaceAll("-", "");
        wordTokens.push(...leading);
        if (bare) wordTokens.push(bare);
        wordTokens.push(...trailing);
      }
      if (wordTokens.length) {
        if (tokens.length) tokens.push(WORD_SEPARATOR);
        tokens.push(...wordTokens);
      }
    }
    return tokens;
  }

  async runTokens(text, language) {
    if (!text.trim()) return [];
    const reader = { zh: [this.mandarin, MandarinError], ja: [this.japanese, JapaneseError] }[language];
    if (reader) {  // Mandarin and Japanese read chunk by chunk between punctuation, as in Python
      const [phonemizer, ReaderError] = reader;
      // Japanese pitch accents travel beside the phones for a voice that reads them (the features scheme).
      const marked = language === "ja" && this.scheme === "features";
      let symbols;
      try {
        symbols = marked
          ? phonemizer.phonemizeMarked(text, (char) => this.isSilent(char), this.punctuation)
          : phonemizer.phonemize(text, (char) => this.isSilent(char), this.punctuation).map((symbol) => ({ symbol, accent: "" }));
      } catch (error) {
        throw error instanceof ReaderError ? new TextError(error.message) : error;
      }
      return symbols.map(({ symbol, accent }) => ({ symbol, language, accent, length: "" }));
    }
    const translated = [...text].map((char) => this.tables.espeak_marks[char] ?? char).join("");
    const phonemized = await this.espeak.phonemize(translated, this.tables.languages[language].espeak_voices);
    return this.parseEspeak(phonemized).map((symbol) => ({ symbol, language, accent: "", length: "" }));
  }

  // TextFrontend.phonemize
  async phonemize(text, language) {
    this.requireLanguage(language);
    if (!text || !text.trim()) throw new TextError("the text is empty or blank; pass at least one word to speak");
    let tokens = [];
    const inlineLatin = this.voice.text.inline_latin_language;
    for (const span of splitLanguageTags(text, language)) {
      this.requireLanguage(span.language);
      const normalized = this.normalize(span.text, span.language);
      // Latin-script words inside Mandarin go to the voice's inline Latin language (Python's split_latin_runs).
      const latin = CJK_LANGUAGES.has(span.language) && this.voice.languages.includes(inlineLatin) ? inlineLatin : span.language;
      for (const run of splitLatinRuns(normalized, span.language, latin)) {
        if (run.language !== span.language) this.requireLanguage(run.language);
        this.checkReadable(run.text, run.language);
        const runTokens = await this.runTokens(run.text, run.language);
        if (runTokens.length && tokens.length && tokens.at(-1).symbol !== WORD_SEPARATOR && runTokens[0].symbol !== WORD_SEPARATOR) {
          tokens.push({ symbol: WORD_SEPARATOR, language: tokens.at(-1).language, accent: "", length: "" });
        }
        tokens.push(...runTokens);
      }
    }
    const tidy = [];
    for (const token of tokens) {
      if (token.symbol === WORD_SEPARATOR && (!tidy.length || tidy.at(-1).symbol === WORD_SEPARATOR)) continue;
      tidy.push(token);
    }
    while (tidy.length && tidy.at(-1).symbol === WORD_SEPARATOR) tidy.pop();
    const silent = new Set([...Object.values(this.punctuation), WORD_SEPARATOR]);
    if (!tidy.some((token) => !silent.has(token.symbol))) {
      throw new TextError(`'${text}' phonemizes to no speakable sound (only punctuation or spaces); pass words to speak`);
    }
    return tidy;
  }

  // polyvox.text.prosody.split_symbol
  static splitSymbol(symbol, language) {
    if (language === "zh") {
      const toned = MANDARIN_TONED.exec(symbol);
      return toned ? [toned[1], toned[2], ""] : [symbol, "", ""];
    }
    const chars = [...symbol];
    const accent = chars.find((char) => "ˈˌ".includes(char)) ?? "";
    const length = chars.find((char) => "ːˑ".includes(char)) ?? "";
    const phoneme = chars.filter((char) => !"ˈˌːˑ".includes(char)).join("");
    return phoneme ? [phoneme, accent, length] : [symbol, "", ""];
  }

  // polyvox.text.prosody.with_features (a Mandarin initial takes its syllable's tone) or fused.
  inScheme(tokens) {
    if (this.scheme === "fused") return tokens.map((token) => ({ ...token, accent: "", length: "" }));
    const split = tokens.map((token) => {
      const [symbol, accent, length] = TextRules.splitSymbol(token.symbol, token.language);
      return { ...token, symbol, accent: accent || token.accent, length: length || token.length };
    });
    for (let index = 0; index < split.length - 1; index++) {
      const token = split[index], following = split[index + 1];
      if (token.language === "zh" && !token.accent && following.language === "zh" && following.accent && MANDARIN_INITIALS.has(token.symbol)) {
        split[index] = { ...token, accent: following.accent };
      }
    }
    return split;
  }

  // TextRules._variants for a fused voice: the same phoneme with other stress and length (a Mandarin final:
  // other tones, the nearest contour first, then toneless), nearest first.
  variants(symbol, language) {
    if (language === "zh") {
      const [phoneme, tone] = TextRules.splitSymbol(symbol, language);
      return [...(this.tables.near_tones[tone] ?? "")].map((near) => `${phoneme}${near}`).concat([phoneme]);
    }
    const [phoneme, accent, length] = TextRules.splitSymbol(symbol, language);
    const stresses = [accent, ...["ˈ", "ˌ", ""].filter((mark) => mark !== accent)];
    const lengths = [length, ...["ː", ""].filter((mark) => mark !== length)];
    return lengths.flatMap((withLength) => stresses.map((stress) => `${stress}${phoneme}${withLength}`)).filter((variant) => variant !== symbol);
  }

  standIn(token) {
    const parts = this.symbols.spell(token.symbol);
    if (parts !== null) return parts.map((part) => ({ ...token, symbol: part }));
    const candidates = this.scheme === "fused" ? this.variants(token.symbol, token.language) : [];
    candidates.push(token.symbol.normalize("NFD").replace(/\p{Mn}/gu, ""));
    candidates.push(...(this.tables.allophones[token.symbol] ?? []));
    const found = candidates.find((candidate) => candidate && this.symbols.has(candidate));
    return found === undefined ? null : [{ ...token, symbol: found }];
  }

  // TextRules.resolve_unseen: a sound the voice lacks is said through known ones, with a warning.
  resolveUnseen(tokens) {
    const resolved = [], missing = [];
    for (const token of tokens) {
      if (this.symbols.has(token.symbol)) { resolved.push(token); continue; }
      const standIn = this.standIn(token);
      if (standIn === null) { missing.push(token); continue; }
      console.warn(`sound '${token.symbol}' (${token.language}) is not one this voice learned; spoken as ${standIn.map((part) => part.symbol).join(" + ")}`);
      resolved.push(...standIn);
    }
    if (missing.length) {
      const sounds = [...new Set(missing.map((token) => `'${token.symbol}' (${token.language})`))];
      throw new TextError(`this voice never learned the sound(s) ${sounds.slice(0, 10).join(", ")}: the text is probably in a language the voice does not speak (${this.voice.languages.join(", ")})`);
    }
    return resolved;
  }

  prosodyId(accent, length) {
    const { accents, lengths } = this.tables.prosody;
    return accents.indexOf(accent) * lengths.length + lengths.indexOf(length);
  }

  // polyvox.text.ids.encode_ids (phoneme tokens)
  encodeIds(tokens) {
    const { add_blank: addBlank, sequence_layout: layout } = this.voice.text;
    let body = tokens.map((token) => [this.symbols.ids.get(token.symbol), this.languageIds[token.language], this.prosodyId(token.accent, token.length)]);
    if (layout !== "vits") body = [[BOS_ID, body[0][1], 0], ...body, [EOS_ID, body.at(-1)[1], 0]];
    if (addBlank && layout === "piper") {
      const blanked = [body[0]];
      for (const position of body.slice(1, -1)) blanked.push([PAD_ID, position[1], 0], position);
      body = [...blanked, [PAD_ID, body.at(-1)[1], 0], body.at(-1)];
    } else if (addBlank) {
      const blanked = [[PAD_ID, body[0][1], 0]];
      for (const position of body) blanked.push(position, [PAD_ID, position[1], 0]);
      body = blanked;
    }
    return { phonemeIds: body.map((row) => row[0]), languageIds: body.map((row) => row[1]), prosodyIds: body.map((row) => row[2]) };
  }

  // TextRules.encode: ids of one sentence.
  async encode(sentence, language) {
    return this.encodeIds(this.resolveUnseen(this.inScheme(await this.phonemize(sentence, language))));
  }
}
