// Japanese as polyvox's Python front end reads it with pyopenjtalk-plus: its own dictionary (naist-jdic as
// pyopenjtalk-plus ships it, converted to kuromoji's format by polyvox/export/web_japanese_dictionary.py), so
// kuromoji's lattice gives MeCab's words and features, then Open JTalk's steps on them, written here from
// their rules: njd_set_pronunciation (kana-only unknown words, ウ after a verb as a long vowel),
// pyopenjtalk-plus's rules before chaining, njd_set_digit (numerals, with a table asked of pyopenjtalk),
// njd_set_accent_phrase (which words chain into one accent phrase), njd_set_accent_type (the phrase's
// nucleus, which devoicing needs), njd_set_unvoiced_vowel, two of pyopenjtalk-plus's corrections after them
// (何 by its model, loanword spellings) and JPCommon's reading of the pronunciations into phones (ー repeats
// the phone before, ’ devoices the vowel before). The tables come from the installed pyopenjtalk
// (japanese.json), and pyopenjtalk-plus's three corrections of accent nuclei (fillers, nuclei on special morae,
// verbs before ます, ない and the like), which a voice with pitch accents reads. Not ported: pyopenjtalk-plus's
// readings by Sudachi: on the test sentences they change no phone nor accent (tests/test_web_japanese.py).

import { phonemizeChunks } from "./mandarin.js";

export class JapaneseError extends Error {}

const SEPARATOR = " ";
const PAUSE = "、";
const QUESTION = "？";
const EXCLAMATION = "！";
const UNVOICE = "’";
const LONG = "ー";
const DEVOICED = { a: "A", i: "I", u: "U", e: "E", o: "O" };
// Small kana: not morae of their own where pyopenjtalk-plus counts a word's morae by its characters.
const SMALL_KANA = new Set("ャュョァィゥェォヮ");
// A nucleus on these morae moves one mora earlier (retreat_acc_nuc).
const NOT_NUCLEI = ["ー", "ッ", "ン"];
// Auxiliaries after which a verb's nucleus is the phrase's (modify_acc_after_chaining).
const NUCLEUS_AUXILIARIES = ["れる", "られる", "すぎる", "せる", "させる"];

function katakana(text) {
  return text.replace(/[\u3041-\u3096]/gu, (char) => String.fromCodePoint(char.codePointAt(0) + 0x60));
}

// Open JTalk's text2mecab: ASCII, the space and half-width katakana (ﾎﾟ as one ポ) become full-width before
// MeCab reads them.
function fullWidth(text) {
  return text.replace(/[\u0021-\u007e]/gu, (char) => String.fromCodePoint(char.codePointAt(0) + 0xfee0)).replace(/ /gu, "\u3000")
    .replace(/[\uff61-\uff9f]+/gu, (run) => run.normalize("NFKC"));
}

// A dictionary word: surface, pos..., orig, read (left empty by the conversion: the page reads the
// pronunciation), pron, acc/mora, chain rule (NJDNode_load). An entry of several words joined (九九: 九:九,
// 1/4:1/2) is one node each, the later ones not chained.
function loadNodes(surface, fields) {
  const [pos = "*", pos1 = "*", pos2 = "*", pos3 = "*", ctype = "*", cform = "*", base = "*", read = "*", pron = "*",
    accent = "*", chainRule = "*", chainFlag = "*"] = fields;
  const orig = base || surface;  // the converted dictionary leaves a base form equal to the word empty, and the reading
  const node = {
    string: surface, pos, pos1, pos2, pos3, ctype, cform, orig, read, pron, dictionaryPron: pron, acc: 0, mora: 0, chainRule,
    chainFlag: chainFlag === "1" ? 1 : chainFlag === "0" ? 0 : -1,
  };
  if (accent.includes("*") || !accent.includes("/")) return [node];
  const origs = orig.split(":"), reads = read.split(":"), prons = pron.split(":"), accents = accent.split(":");
  let consumed = 0;
  return accents.map((part, index) => {
    const [acc, mora] = part.split("/");
    const last = index === accents.length - 1;
    const word = {
      ...node, orig: origs[index] ?? "", read: reads[index] ?? "", pron: prons[index] ?? "", dictionaryPron: prons[index] ?? "",
      string: last ? surface.slice(consumed) : origs[index] ?? "", acc: parseInt(acc, 10) || 0, mora: parseInt(mora, 10) || 0,
    };
    if (index) word.chainFlag = 0;
    if (!last) consumed += word.string.length;
    return word;
  });
}

// Full-width letters by their names (Open JTalk reads a word of them letter by letter).
const LETTERS = Object.fromEntries(
  "エー ビー シー ディー イー エフ ジー エイチ アイ ジェー ケー エル エム エヌ オー ピー キュー アール エス ティー ユー ブイ ダブリュー エックス ワイ ゼット"
    .split(" ").map((name, index) => [String.fromCodePoint(0xff21 + index), name]),
);

const includesAny = (value, ...options) => options.includes(value);
const DIGITS = "〇一二三四五六七八九";
// set_digit's digits (its numeral_list1, the kanji ones), zero among them, read in pairs when in a row.
const ZEROS = "〇○零";
const SEQUENCE_DIGITS = ZEROS + "一二三四五六七八九";
const UNITS = "十百千万億兆";
// The 何 model's columns (pyopenjtalk's feature names) as this file names a word's fields.
const NANI_FIELDS = { pos: "pos", pos_group1: "pos1", pos_group2: "pos2", pron: "pron", ctype: "ctype", cform: "cform" };

export class Japanese {
  // tokenizer: kuromoji's, on the converted dictionary; tables: japanese.json's morae ({katakana mora:
  // [phones]}), devoicing ({mora: the kana that devoice its vowel when the next mora starts with them}) and
  // numerals ({"numeral:pron|word:pron": how set_digit reads the pair}, web_japanese.numeral_readings).
  constructor(tokenizer, tables) {
    this.tokenizer = tokenizer;
    this.morae = tables.morae;
    this.devoicing = tables.devoicing;
    this.numerals = tables.numerals ?? {};
    this.loanwords = tables.loanwords ?? [];
    this.nani = tables.nani ?? null;
    this.longest = Math.max(...Object.keys(this.morae).map((mora) => [...mora].length));
    // Kana of the a row (ア段), read from the morae table: one kana whose phones end in a.
    this.aRow = new Set(Object.keys(this.morae).filter((kana) => [...kana].length === 1 && this.morae[kana].at(-1) === "a"));
  }

  // MeCab's words for a chunk (no punctuation inside: the caller cuts it out, as Python's iter_chunks does).
  words(chunk) {
    const tokenizer = this.tokenizer;
    return tokenizer.tokenizeForSentence(fullWidth(chunk), []).flatMap((token) => {
      const line = token.word_type === "KNOWN"
        ? tokenizer.token_info_dictionary.getFeatures(token.word_id)
        : tokenizer.unknown_dictionary.getFeatures(token.word_id);
      const fields = (line ?? "").split(",").slice(1);
      return fields[0] === "記号" && fields[1] === "空白" ? [] : loadNodes(token.surface_form, fields);
    });
  }

  // How many characters from chars[start] make the longest mora of the table (0: none).
  moraAt(chars, start) {
    let size = Math.min(this.longest, chars.length - start);
    while (size > 0 && !(chars.slice(start, start + size).join("") in this.morae)) size--;
    return size;
  }

  // The morae of a pronunciation, the longest of the table at each place; ー, ’ and the pause marks alone.
  split(pron, where) {
    const chars = [...pron], out = [];
    for (let start = 0; start < chars.length;) {
      if ([LONG, UNVOICE, PAUSE, QUESTION, EXCLAMATION].includes(chars[start])) {
        out.push(chars[start++]);
        continue;
      }
      const size = this.moraAt(chars, start);
      if (!size) throw new JapaneseError(`no reading for '${chars[start]}' in '${where}' in the browser's dictionary`);
      out.push(chars.slice(start, start + size).join(""));
      start += size;
    }
    return out;
  }

  // Open JTalk's kana reading of a word with no morae in the dictionary: its kana (hiragana as katakana),
  // each full-width letter by its name, ー as a mora; anything else is skipped.
  kana(string) {
    const chars = [...katakana(string)], morae = [];
    for (let start = 0; start < chars.length;) {
      const letter = LETTERS[chars[start].toUpperCase()];
      if (letter) {
        morae.push(...this.split(letter, string));
        start += 1;
        continue;
      }
      const size = chars[start] === LONG ? 1 : this.moraAt(chars, start);
      if (size) morae.push(chars.slice(start, start + size).join(""));
      start += size || 1;
    }
    return morae;
  }

  // njd_set_pronunciation: a word with no morae is read from its kana as a filler (single-mora fillers in a
  // row become one word), else it is a pause; ウ of an auxiliary after a verb or auxiliary is a long vowel;
  // です and ます before ？ or ！ are not devoiced.
  pronounce(nodes) {
    for (const node of nodes) {
      if (node.mora !== 0) continue;
      const morae = this.kana(node.string);
      node.read = node.pron = morae.join("");
      node.mora = morae.length;
      if (morae.length) Object.assign(node, { pos: "フィラー", pos1: "*", pos2: "*", pos3: "*" });
      if (node.orig === "*") node.orig = node.string;
      if (!node.pron && includesAny(node.string, QUESTION, EXCLAMATION)) node.read = node.pron = node.string;
      if (!node.pron) Object.assign(node, { read: PAUSE, pron: PAUSE, pos: "記号", pos1: "読点", pos2: "*", pos3: "*", ctype: "*", cform: "*" });
    }
    const kept = [];
    let head = null;
    for (const node of nodes) {
      if (node.pron === "*") continue;
      const single = node.pos === "フィラー" && this.isMora(node.string);
      if (single && head) {
        for (const field of ["string", "orig", "read", "pron"]) head[field] += node[field];
        head.mora += node.mora;
        continue;
      }
      head = single ? node : null;
      kept.push(node);
    }
    kept.forEach((node, index) => {
      const next = kept[index + 1];
      if (!next) return;
      if (next.pron === "ウ" && next.pos === "助動詞" && includesAny(node.pos, "動詞", "助動詞") && node.mora > 0) next.pron = LONG;
      if (node.pos === "助動詞" && includesAny(next.string, QUESTION, EXCLAMATION)) {
        if (node.string === "です") node.pron = "デス";
        else if (node.string === "ます") node.pron = "マス";
      }
    });
    return kept;
  }

  // Whether a string is one kana mora or letter of the reading list (a filler that joins the one before).
  isMora(string) {
    const kana = katakana(string);
    return kana in this.morae || kana === LONG || string.toUpperCase() in LETTERS;
  }

  // pyopenjtalk-plus's rules before chaining (apply_original_rule_before_chaining), those on words.
  beforeChaining(nodes) {
    // A filler is a phrase of its own, and so is a noun after it.
    nodes.forEach((node, index) => {
      if (node.pos === "フィラー" || (index && nodes[index - 1].pos === "フィラー" && node.pos === "名詞")) node.chainFlag = 0;
    });
    nodes.slice(0, -1).forEach((node, index) => {
      const next = nodes[index + 1];
      if (node.pos === "名詞" && next.string === "不足" && next.pron === "フソク") next.read = next.pron = "ブソク";
      if (node.string === "〇" && next.string === "〇") {
        for (const zero of [node, next]) Object.assign(zero, { pos1: "一般", read: "マル", pron: "マル", acc: 1, mora: 2 });
      }
      const sahenBefore = includesAny(node.pos1, "サ変接続", "格助詞", "接続助詞") || (node.pos === "名詞" && node.pos1 === "一般") || node.pos === "副詞";
      if (sahenBefore && next.ctype === "サ変・スル") next.chainFlag = 1;
      if (includesAny(node.string, "お", "御", "ご") && node.chainRule === "P1") {
        if (next.acc === 0 || next.acc === next.mora) Object.assign(next, { chainRule: "C4", acc: 0 });
        else next.chainRule = "C1";
      }
      if (node.pos === "動詞" && next.pos === "動詞") next.chainRule = next.acc !== 0 ? "C1" : "C4";
      if (includesAny(node.cform, "連用形", "連用タ接続", "連用ゴザイ接続", "連用テ接続") && node.acc === node.mora && node.mora > 1) node.acc -= 1;
      if (includesAny(node.orig, "れる", "られる", "せる", "させる", "ちゃう") && next.string === "た") next.chainRule = "F2@1";
      if (node.pos === "形容詞" && includesAny(next.orig, "なる", "する")) next.chainFlag = 1;
    });
  }

  // njd_set_digit on numerals: a numeral and the counter after it (then a numeral and the numeral after it)
  // read as pyopenjtalk's set_digit reads the pair (七時半: シチ; 三日: ミッカ), with the chain flags it
  // forces; a counted number starts an accent phrase and its counter chains to it.
  digits(nodes) {
    // Digits in a row (一二三: a number read digit by digit, or decimals after 点) are read in pairs, the first
    // of each pair starting a phrase; 二 and 五 long, zero as ゼロ (convert_digit_sequence).
    for (let start = 0; start < nodes.length;) {
      let end = start;
      while (end < nodes.length && nodes[end].pos1 === "数" && SEQUENCE_DIGITS.includes(nodes[end].string)) end++;
      if (end - start > 1) {
        nodes.slice(start, end).forEach((node, at) => {
          const long = { 二: "ニー", 五: "ゴー" }[node.string] ?? (ZEROS.includes(node.string) ? "ゼロ" : null);
          if (long) Object.assign(node, { pron: long, mora: 2 });
          node.chainRule = "*";
          node.chainFlag = at % 2;
          if (at % 2) nodes[start + at - 1].acc = 3;
        });
      }
      start = Math.max(end, start + 1);
    }
    for (const counting of [true, false]) {
      for (let index = 1; index < nodes.length; index++) {
        const prev = nodes[index - 1], node = nodes[index];
        const counter = node.pos === "名詞" && (node.pos2 === "助数詞" || node.pos1 === "副詞可能");
        if (prev.pos1 !== "数" || (counting ? !counter : node.pos1 !== "数")) continue;
        const entry = this.numerals[`${prev.string}:${prev.dictionaryPron}|${node.string}:${node.dictionaryPron}`];
        if (entry && typeof entry[0] === "string") {  // one word (三日: ミッカ), unless the numeral ends a longer number (十五日)
          if (index >= 2 && nodes[index - 2].pos1 === "数") continue;
          const [pos, pos1, pos2, pos3, acc, mora, chainRule, pron] = entry;
          Object.assign(prev, { string: prev.string + node.string, orig: prev.orig + node.orig, pos, pos1, pos2, pos3, acc, mora, chainRule, read: pron, pron, chainFlag: 0 });
          nodes.splice(index--, 1);
          continue;
        }
        if (entry) {
          const [cut, add, cutNext, addNext, prevFlag, nodeFlag] = entry;
          prev.pron = [...prev.pron].slice(0, [...prev.pron].length - cut).join("") + add;
          node.pron = addNext + [...node.pron].slice(cutNext).join("");
          for (const word of [prev, node]) word.mora = this.split(word.pron, word.string).filter((kana) => kana !== UNVOICE).length;
          if (!counting) {
            if (prevFlag >= 0) prev.chainFlag = prevFlag;
            if (nodeFlag >= 0) node.chainFlag = nodeFlag;
          }
        }
        // A digit after a unit that a digit counts (二十四, 六十七) starts a phrase again.
        if (!counting && UNITS.includes(prev.string) && DIGITS.includes(node.string) && index >= 2 && DIGITS.includes(nodes[index - 2].string)) {
          node.chainFlag = 0;
        }
        if (counting) {
          let first = index - 1;
          while (first > 0 && nodes[first - 1].pos1 === "数") first--;
          nodes[first].chainFlag = prev.chainFlag = 0;
          node.chainFlag = 1;
        }
      }
    }
  }

  // njd_set_accent_phrase: whether each word without a chain flag of its own joins the phrase before it.
  chain(nodes) {
    nodes.forEach((node, index) => {
      const prev = nodes[index - 1];
      if (!prev || node.chainFlag >= 0) return;
      const pos = node.pos, before = prev.pos;
      let chain = 1;
      if (before === "形容詞" && includesAny(pos, "名詞", "動詞", "形容詞")) chain = 0;
      if (before === "動詞" && includesAny(pos, "形容詞", "名詞")) chain = 0;
      if (includesAny(pos, "副詞", "接続詞", "連体詞") || includesAny(before, "副詞", "接続詞", "連体詞")) chain = 0;
      if ((before === "名詞" && prev.pos1 === "副詞可能") || (pos === "名詞" && node.pos1 === "副詞可能")) chain = 0;
      if (includesAny(pos, "助動詞", "助詞")) chain = 1;
      if (includesAny(before, "助動詞", "助詞") && !includesAny(pos, "助動詞", "助詞")) chain = 0;
      if (prev.pos1 === "接尾" && pos === "名詞") chain = 0;
      const renyou = prev.cform.startsWith("連用");
      if (pos === "形容詞" && node.pos1 === "非自立") {
        if (includesAny(before, "動詞", "形容詞")) chain = renyou ? 1 : chain;
        else if (before === "助詞" && prev.pos1 === "接続助詞" && includesAny(prev.string, "て", "で")) chain = 1;
      }
      if (before === "名詞" && (includesAny(pos, "動詞", "形容詞") || node.pos1 === "形容動詞語幹")) chain = 0;
      if (pos === "動詞" && node.pos1 === "非自立") {
        if (before === "動詞") chain = renyou ? 1 : chain;
        else if (before === "名詞") chain = includesAny(prev.pos1, "サ変接続", "形容動詞語幹") ? 1 : chain;
        else if (before === "助詞") chain = 1;
      }
      if (pos === "記号" || before === "記号") chain = 0;
      if (pos === "接頭詞") chain = 0;
      if (prev.pos3 === "姓" && node.pos3 === "名") chain = 0;
      if (before === "名詞" && node.pos3 === "名") chain = 0;
      if (node.pos1 === "接尾") chain = 1;
      if (pos === "名詞" && node.pos1 === "非自立" && includesAny(before, "助動詞", "連体詞", "助詞", "形容詞", "動詞")) chain = 1;
      if (node.pos1 === "固有名詞") chain = 0;
      if (before === "名詞" && includesAny(prev.pos1, "非自立", "代名詞") && pos === "名詞" && includesAny(node.pos1, "一般", "サ変接続")) chain = 0;
      if (before === "感動詞" || pos === "感動詞") chain = 0;
      node.chainFlag = chain;
    });
  }

  // njd_set_accent_type: the nucleus of each accent phrase, kept on its first word.
  accent(nodes) {
    let top = null, morae = 0, topAcc = 0, topMorae = 0;
    nodes.forEach((node, index) => {
      const prev = nodes[index - 1], next = nodes[index + 1];
      if (!prev || node.chainFlag !== 1) {
        top = node;
        morae = 0;
        topAcc = node.acc;
        topMorae = node.mora;
      } else {
        const [rule, add] = accentRule(node.chainRule, prev.pos);
        if (top.chainRule === "P2" && topAcc !== 0 && topMorae > topAcc) top.acc = topAcc;
        else if (rule === "F2") { if (top.acc === 0) top.acc = morae + add; }
        else if (rule === "F3") { if (top.acc !== 0) top.acc = morae + add; }
        else if (rule === "F4") top.acc = morae + add;
        else if (rule === "F5" || rule === "C4" || rule === "P6") top.acc = 0;
        else if (rule === "C1") top.acc = morae + node.acc;
        else if (rule === "C2") top.acc = morae + 1;
        else if (rule === "C3") top.acc = morae;
        else if (rule === "P1") top.acc = node.acc === 0 ? 0 : morae + node.acc;
        else if (rule === "P14") { if (node.acc !== 0) top.acc = morae + node.acc; }
      }
      if (prev && node.chainFlag === 1 && prev.pos1 === "数" && node.pos1 === "数") numeralAccent(prev, node, next);
      if (node.string === "十" && node.chainFlag !== 1 && next && next.pos1 === "数") node.acc = 0;
      morae += node.mora;
    });
  }

  // njd_set_unvoiced_vowel over the morae of every word, in order.
  devoice(nodes, chunk) {
    const morae = [];
    let index = 0, accent = 0;
    for (const node of nodes) {
      const parts = [PAUSE, QUESTION, EXCLAMATION].includes(node.pron) ? [node.pron] : this.split(node.pron, chunk);
      let first = true;
      parts.forEach((kana, at) => {
        if (kana === UNVOICE) return;
        if (first && node.chainFlag !== 1) {
          index = 0;
          accent = node.acc;
        } else index += 1;
        first = false;
        const special = [PAUSE, QUESTION, EXCLAMATION].includes(kana);
        morae.push({ kana, node, index, accent, flag: special ? 0 : parts[at + 1] === UNVOICE ? 1 : -1 });
      });
    }
    const rule5 = (mora, next) => {
      if (!next) return 0;
      const before = this.devoicing[mora.kana];
      return before === undefined ? -1 : before.includes([...next.kana][0]) ? 1 : 0;
    };
    const spoken = (node) => includesAny(node.pos, "動詞", "助動詞");
    morae.forEach((mora, at) => {
      const next = morae[at + 1], after = morae[at + 2];
      if (next && after && mora.node === next.node && next.node !== after.node && includesAny(mora.kana, "マ", "デ") && next.kana === "ス"
          && (spoken(next.node) || next.node.pos === "感動詞")) {
        next.flag = includesAny(after.node.pron, QUESTION, LONG) ? 0 : 1;
      }
      if (mora.flag !== 1 && next && next.flag === -1 && !(after && after.flag === 1) && next.node.pron === "シ"
          && (spoken(next.node) || next.node.pos === "助詞")) {
        next.flag = next.accent === next.index + 1 ? 0 : rule5(next, after);
        if (next.flag === 1) {
          if (mora.flag === -1) mora.flag = 0;
          if (after && after.flag === -1) after.flag = 0;
        }
      }
      if (mora.flag === -1) {
        if (mora.node.pos === "フィラー" || (next && next.flag === 1) || mora.accent === mora.index + 1) mora.flag = 0;
        else mora.flag = rule5(mora, next);
      }
      if (mora.flag === 1 && next && next.flag === -1) next.flag = 0;
    });
    for (const node of nodes) node.pron = "";
    for (const mora of morae) mora.node.pron += mora.kana + (mora.flag === 1 ? UNVOICE : "");
  }

  // Open JTalk's words for a chunk, as pyopenjtalk.run_frontend gives them.
  frontend(chunk) {
    const nodes = this.pronounce(this.words(chunk));
    this.beforeChaining(nodes);
    this.digits(nodes);
    this.chain(nodes);
    this.accent(nodes);
    this.devoice(nodes, chunk);
    const rewritten = [...this.readNani(nodes), ...this.restoreLoanwords(nodes, chunk)];
    if (rewritten.length) this.devoiceAgain(nodes, rewritten, chunk);
    for (const node of nodes) if (node.pos === "フィラー" && node.acc > node.mora) node.acc = 0;  // modify_filler_accent
    this.retreatNuclei(nodes);
    this.nucleiAfterChaining(nodes);
    return nodes;
  }

  // pyopenjtalk-plus's retreat_acc_nuc: a phrase's nucleus on ー, ッ or ン moves one mora earlier, as does one on a
  // word's last mora before a word joined by C3 when that mora is イ after an a-row kana, or devoiced.
  retreatNuclei(nodes) {
    let head = nodes[0], acc = 0;
    nodes.forEach((node, index) => {
      if (node.chainFlag === 0 || node.chainFlag === -1) {
        head = node;
        acc = node.acc;
      }
      if (acc <= 0) return;
      if (acc > node.mora) {
        acc -= node.mora;
        return;
      }
      const spoken = [...node.pron.replace(/’/gu, "")];
      let kana = spoken.filter((char) => !SMALL_KANA.has(char));
      if (!kana.length) kana = [...node.pron];
      const nucleus = kana[acc - 1] ?? kana[0];
      const next = nodes[index + 1];
      const joined = acc === node.mora && next !== undefined && next.chainFlag === 1 && next.chainRule === "C3";
      const before = spoken.length >= 2 ? spoken[spoken.length - 2] : "";
      const quasiSpecial = (kana.length >= 2 && nucleus === "イ" && this.aRow.has(before)) || node.pron.endsWith(UNVOICE);
      if (NOT_NUCLEI.includes(nucleus) || (joined && quasiSpecial)) head.acc -= 1;
      acc = -1;
    });
  }

  // pyopenjtalk-plus's modify_acc_after_chaining: after a verb whose nucleus the phrase's is, ます takes the nucleus
  // (書きます: kakiMAsu; its 未然形 one mora later), ない the verb's last mora, and れる, られる, すぎる, せる, させる their own.
  nucleiAfterChaining(nodes) {
    let head = nodes[0], acc = 0, afterNucleus = false, phraseMorae = 0;
    for (const node of nodes) {
      if (node.chainFlag === 0 || node.chainFlag === -1) {
        head = node;
        acc = node.acc;
        afterNucleus = false;
        phraseMorae = 0;
      }
      if (acc === 0) continue;
      if (afterNucleus) {
        if (node.ctype === "特殊・マス") head.acc = phraseMorae + (node.cform !== "未然形" ? 1 : 2);
        else if (node.ctype === "特殊・ナイ") head.acc = phraseMorae;
        else if (NUCLEUS_AUXILIARIES.includes(node.orig)) head.acc = phraseMorae + node.acc;
        else {
          afterNucleus = false;
          acc = 0;
        }
      } else if (acc <= node.mora) afterNucleus = true;
      else acc -= node.mora;
      phraseMorae += node.mora;
    }
  }

  // pyopenjtalk-plus's predict_nani_reading: 何 read ナニ before を, が, に, も, より, する and the copula で,
  // ナン before the particle で and as a fraction's numerator (三分の何), else as its model says from the
  // word after (japanese.json's nani: a one-hot encoding into a random forest). Returns the words read anew.
  readNani(nodes) {
    const rewritten = [];
    nodes.forEach((node, index) => {
      if (node.orig !== "何" || !this.nani) return;
      const next = nodes[index + 1];
      const sure = next && (includesAny(next.orig, "を", "が", "に", "も", "より", "する")
        || (next.string === "で" && next.pos === "助動詞" && next.ctype === "特殊・ダ"));
      const numerator = index >= 2 && nodes[index - 1].string === "の" && nodes[index - 2].string.endsWith("分")
        && nodes[index - 2].pron.endsWith("ブン");
      let nan;
      if (numerator) nan = true;
      else if (sure) nan = false;
      else if (next && next.orig === "で" && next.pos === "助詞" && next.pos1 === "格助詞") nan = true;
      else nan = next ? this.forestSaysNan(next) : false;
      const reading = nan ? "ナン" : "ナニ";
      if (node.pron !== reading) rewritten.push(index);
      node.read = node.pron = reading;
    });
    return rewritten;
  }

  // The 何 model on the word after it: the sum of its trees' leaf weights for ナニ and for ナン.
  forestSaysNan(next) {
    const { columns, categories, trees } = this.nani;
    const hot = new Set();
    let offset = 0;
    columns.forEach((column, index) => {
      const at = categories[index].indexOf(next[NANI_FIELDS[column]]);
      if (at >= 0) hot.add(offset + at);
      offset += categories[index].length;
    });
    const votes = [0, 0];
    for (const tree of trees) {
      let node = tree[0];
      while (node.length === 4) node = tree[(hot.has(node[0]) ? 1 : 0) <= node[1] ? node[2] : node[3]];
      votes[0] += node[0];
      votes[1] += node[1];
    }
    return votes[1] > votes[0];
  }

  // After words are read anew, their devoicing and that of the end of the word before them are decided again
  // (apply_postprocessing does so with set_unvoiced_vowel).
  devoiceAgain(nodes, rewritten, chunk) {
    for (const index of rewritten) {
      nodes[index].pron = nodes[index].pron.replaceAll(UNVOICE, "");
      if (index) nodes[index - 1].pron = nodes[index - 1].pron.replace(/’$/u, "");
    }
    const again = nodes.map((node) => ({ ...node }));
    this.devoice(again, chunk);
    for (const index of rewritten) {
      for (const at of [index - 1, index]) if (at >= 0) nodes[at].pron = again[at].pron;
    }
  }

  // pyopenjtalk-plus's restore_loanword_kana: a katakana word whose surface spells a sound the dictionary
  // reads otherwise (ヴァイオリン read バイオリン) is read as spelled, when the surface and the pronunciation
  // match kana for kana otherwise (a long vowel may stand for a written イ or ウ). Returns the words read anew.
  restoreLoanwords(nodes, chunk) {
    const rewritten = [];
    nodes.forEach((node, index) => {
      if (![...node.string].every((char) => (char >= "ァ" && char <= "ヴ") || "ーヽヾ".includes(char))) return;
      const pron = this.spelled(node.string, node.pron);
      if (pron === null) return;
      node.pron = pron;
      node.mora = this.split(pron, chunk).filter((kana) => kana !== UNVOICE).length;
      rewritten.push(index);
    });
    return rewritten;
  }

  // The pronunciation with the surface's loanword spellings put back, or null (nothing to restore, or the
  // two do not match).
  spelled(surface, pron) {
    const out = [];
    let at = 0, read = 0, changed = false;
    while (at < surface.length) {
      if (pron[read] === UNVOICE) {
        out.push(UNVOICE);
        read += 1;
        continue;
      }
      const pair = this.loanwords.find(([written, said]) => surface.startsWith(written, at) && pron.startsWith(said, read));
      if (pair) {
        out.push(pair[0]);
        at += pair[0].length;
        read += pair[1].length;
        changed = true;
      } else if ("イウ".includes(surface[at]) && pron[read] === LONG) {
        out.push(LONG);
        at += 1;
        read += 1;
      } else if (pron[read] === surface[at]) {
        out.push(surface[at]);
        at += 1;
        read += 1;
      } else return null;
    }
    if (pron[read] === UNVOICE) {
      out.push(UNVOICE);
      read += 1;
    }
    return read === pron.length && changed ? out.join("") : null;
  }

  // JapanesePhonemizer.phonemize: each chunk between punctuation (iter_chunks) read by chunkPhones, the
  // punctuation tokens between (join_chunks). isSilent(char) and punctuation (char -> token) are the front end's.
  phonemize(text, isSilent, punctuation) {
    return phonemizeChunks(text, isSilent, punctuation, (chunk) => this.chunkPhones(chunk));
  }

  // JapanesePhonemizer.phonemize_marked: phonemize's symbols, each {symbol, accent} (separators and punctuation
  // have none).
  phonemizeMarked(text, isSilent, punctuation) {
    const accents = [];
    const symbols = phonemizeChunks(text, isSilent, punctuation, (chunk) => {
      const marked = this.chunkMarked(chunk);
      for (const [phone, accent] of marked) if (phone !== SEPARATOR) accents.push(accent);
      return marked.map(([phone]) => phone);
    });
    const notPhones = new Set([SEPARATOR, ...Object.values(punctuation)]);
    let next = 0;
    return symbols.map((symbol) => ({ symbol, accent: notPhones.has(symbol) ? "" : accents[next++] }));
  }

  // One chunk's accent phrases of phones (" " between), devoiced vowels upper case; a pause ends a phrase
  // (JPCommon's labels, as JapanesePhonemizer._chunk_marked reads them).
  chunkPhones(chunk) {
    return this.chunkMarked(chunk).map(([phone]) => phone);
  }

  // chunkPhones with each phone's pitch accent, [phone, accent] ("H" or "L": its mora high or low in its accent
  // phrase, as JapanesePhonemizer._label_accent reads JPCommon's labels; "" for a separator). A phrase's nucleus is
  // the accent type njd_set_accent_type left on its first word, a flat one (0) labelled as on the phrase's last mora
  // (which makes a one-mora flat phrase high); ー is a mora of its own, a devoicing mark none.
  chunkMarked(chunk) {
    const out = [];  // [phone, mora within its phrase, phrase] or [SEPARATOR]
    let words = 0, phrase = null;
    const last = () => out[out.length - 1]?.[0];
    for (const node of this.frontend(chunk)) {
      if ([PAUSE, QUESTION, EXCLAMATION].includes(node.pron)) {
        if (out.length && last() !== SEPARATOR) out.push([SEPARATOR]);
        words = 0;
        continue;
      }
      let started = false;
      for (const kana of this.split(node.pron, chunk)) {
        if (kana === LONG) {
          if (out.length && last() !== SEPARATOR) out.push([last(), ++phrase.morae, phrase]);
        } else if (kana === UNVOICE) {
          if (started) out[out.length - 1][0] = DEVOICED[last()] ?? last();
        } else {
          if (!started && (!words || node.chainFlag !== 1)) {
            if (words && last() !== SEPARATOR) out.push([SEPARATOR]);
            phrase = { nucleus: node.acc, morae: 0 };
          }
          if (!started) words += 1;
          started = true;
          phrase.morae += 1;
          for (const phone of this.morae[kana]) out.push([phone, phrase.morae, phrase]);
        }
      }
    }
    while (out.length && last() === SEPARATOR) out.pop();
    return out.map(([phone, mora, phrase]) => {
      if (phone === SEPARATOR) return [phone, ""];
      const nucleus = phrase.nucleus || phrase.morae;
      const high = nucleus === 1 ? mora === 1 : mora > 1 && mora <= nucleus;
      return [phone, high ? "H" : "L"];
    });
  }
}

// The rule of a chain rule field for the part of speech before (``名詞%F1/動詞%F2@0``), with its shift.
function accentRule(field, before) {
  for (const option of (field ?? "*").split("/")) {
    const [condition, rest] = option.includes("%") ? option.split("%") : [null, option];
    if (condition !== null && !before.includes(condition)) continue;
    const [rule, shift] = rest.split("@");
    return [rule, parseInt(shift ?? "0", 10) || 0];
  }
  return ["*", 0];
}

// njd_set_accent_type's numerals: the nucleus of a number before 十, 百, 千, 万, 億, 兆.
function numeralAccent(prev, node, next) {
  const is = (word, ...strings) => word && strings.includes(word.string);
  if (node.string === "十") {
    prev.acc = 1;
    if (is(prev, "五", "六", "八") && is(next, "一", "二", "三", "四", "五", "六", "七", "八", "九")) prev.acc = 0;
  } else if (node.string === "百") {
    prev.acc = is(prev, "七") ? 2 : is(prev, "三", "四", "九", "何") ? 1 : prev.mora + node.mora;
  } else if (node.string === "千" || node.string === "万") {
    prev.acc = prev.mora + 1;
  } else if (node.string === "億") {
    prev.acc = is(prev, "一", "六", "七", "八", "幾") ? 2 : 1;
  } else if (node.string === "兆") {
    prev.acc = is(prev, "六", "七") ? 2 : 1;
  }
}
