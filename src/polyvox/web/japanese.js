// A Japanese front end on kuromoji (IPADIC) in the shape of Open JTalk's, which polyvox's Python front end
// runs through pyopenjtalk: words and their pronunciations from kuromoji, accent phrases by Open JTalk's
// chaining rules (njd_set_accent_phrase), devoiced vowels by its rules (njd_set_unvoiced_vowel, without the
// accent nucleus: IPADIC has no accents) and each mora's phones from a table pyopenjtalk itself wrote
// (japanese.json). NOT used by the page yet: its ids match Python's for too few sentences (42 %, 67 % of
// held-out written ones; tests/test_web_japanese.py, docs/web.md).

export class JapaneseError extends Error {}

const SEPARATOR = " ";
const VOICELESS = new Set(["k", "ky", "s", "sh", "t", "ty", "ch", "ts", "h", "f", "hy", "p", "py"]);
// Rule 5's exceptions: a devoiceable vowel stays voiced before these (s->s, s->sh, f->f, f->h, f->hy, h->f, h->h, h->hy).
const KEEPS_VOICE = { s: new Set(["s", "sh"]), f: new Set(["f", "h", "hy"]), h: new Set(["f", "h", "hy"]) };
const DEVOICED = { i: "I", u: "U" };
// The rows a devoiced vowel may come before (カ, サ, タ, ハ, パ and their small-kana morae).
const NEXT_VOICELESS = new Set([...VOICELESS, "kw", "fy"]);

function katakana(text) {
  return text.replace(/[\u3041-\u3096]/gu, (char) => String.fromCodePoint(char.codePointAt(0) + 0x60));
}

// Chain flags Open JTalk's dictionary sets and IPADIC lacks, as pyopenjtalk's phrases show them: する joins the
// word before it (ひるねを|します is one phrase), and so does an auxiliary verb after て or で (忘れてしまう).
function chainsByDictionary(prev, node) {
  if (node.base === "する") return true;
  return node.pos === "動詞" && node.pos1 === "非自立" && prev.pos1 === "接続助詞" && (prev.surface === "て" || prev.surface === "で");
}

// njd_set_accent_phrase: whether a word joins the accent phrase before it (IPADIC has no chain flags of its
// own, so every rule applies; the rules are Open JTalk's, in its order).
function chains(prev, node) {
  if (chainsByDictionary(prev, node)) return true;
  const pos = node.pos, before = prev.pos;
  let chain = true;
  if (before === "形容詞" && pos === "名詞") chain = false;
  if (before === "名詞" && prev.pos1 === "形容動詞語幹" && pos === "名詞") chain = false;
  if (before === "動詞" && (pos === "形容詞" || pos === "名詞")) chain = false;
  const free = ["副詞", "接続詞", "連体詞"];
  if (free.includes(pos) || free.includes(before)) chain = false;
  if ((before === "名詞" && prev.pos1 === "副詞可能") || (pos === "名詞" && node.pos1 === "副詞可能")) chain = false;
  if (pos === "助動詞" || pos === "助詞") chain = true;
  if ((before === "助動詞" || before === "助詞") && pos !== "助動詞" && pos !== "助詞") chain = false;
  if (prev.pos1 === "接尾" && pos === "名詞") chain = false;
  const renyou = prev.cform.startsWith("連用");
  if (pos === "形容詞" && node.pos1 === "非自立") {
    if ((before === "動詞" || before === "形容詞") && renyou) chain = true;
    else if (before === "助詞" && prev.pos1 === "接続助詞" && (prev.surface === "て" || prev.surface === "で")) chain = true;
  }
  if (pos === "動詞" && node.pos1 === "非自立") {
    if (before === "動詞" && renyou) chain = true;
    else if (before === "名詞" && prev.pos1 === "サ変接続") chain = true;
  }
  if (before === "名詞" && (pos === "動詞" || pos === "形容詞" || node.pos1 === "形容動詞語幹")) chain = false;
  if (pos === "記号" || before === "記号") chain = false;
  if (pos === "接頭詞") chain = false;
  if (prev.pos3 === "姓" && pos === "名詞") chain = false;
  if (before === "名詞" && node.pos3 === "名") chain = false;
  if (node.pos1 === "接尾") chain = true;
  return chain;
}

export class Japanese {
  // tokenizer: kuromoji's; morae: japanese.json's {katakana mora: [phones]}.
  constructor(tokenizer, morae) {
    this.tokenizer = tokenizer;
    this.morae = morae;
    this.longest = Math.max(...Object.keys(morae).map((mora) => [...mora].length));
  }

  // A chunk's words: {surface, pos..., pron, morae: [{kana, phones}]}. The morae are cut from the words'
  // pronunciations joined, as kuromoji may cut a word before a small kana (き|ょう); each mora goes to the
  // word it starts in. A word kuromoji does not know is read from its kana, o-row + ウ as a long vowel.
  words(chunk) {
    const words = this.tokenizer.tokenize(chunk).map((token) => {
      const word = {
        surface: token.surface_form, pos: token.pos, pos1: token.pos_detail_1, pos2: token.pos_detail_2,
        pos3: token.pos_detail_3, cform: token.conjugated_form, base: token.basic_form, morae: [],
      };
      if (word.pos === "記号") return { ...word, pron: "" };
      const known = token.pronunciation && token.pronunciation !== "*";
      let pron = known ? token.pronunciation : katakana(token.surface_form).replace(/(?<=[オコゴソゾトドノホボポモヨョロ])ウ/gu, "ー");
      // A word written in kanji: e-row + イ is a long vowel, as pyopenjtalk's dictionary has it (映画 エーガ).
      if (/\p{Script=Han}/u.test(token.surface_form)) pron = pron.replace(/(?<=[エケゲセゼテデネヘベペメレ])イ/gu, "ー");
      return { ...word, pron: pron === "ヲ" ? "オ" : pron };
    });
    const owner = words.flatMap((word) => [...word.pron].map(() => word));
    let start = 0;
    for (const mora of this.split(words.map((word) => word.pron).join(""), chunk)) {
      owner[start].morae.push(mora);
      start += [...mora.kana].length;
    }
    return words;
  }

  // Katakana -> morae, the longest of the table at each place; ー is a mora of its own (the vowel again).
  split(pron, chunk) {
    const chars = [...pron], morae = [];
    for (let start = 0; start < chars.length;) {
      let size = chars[start] === "ー" ? 1 : Math.min(this.longest, chars.length - start);
      while (size > 0 && chars[start] !== "ー" && !(chars.slice(start, start + size).join("") in this.morae)) size--;
      if (!size) throw new JapaneseError(`no reading for '${chars[start]}' in '${chunk}' in the browser's dictionary`);
      const kana = chars.slice(start, start + size).join("");
      morae.push({ kana, phones: kana === "ー" ? null : [...this.morae[kana]] });
      start += size;
    }
    return morae;
  }

  // Accent phrases of phones, devoiced vowels upper case (I, U); a pause (space, symbol) ends a phrase.
  phonemize(chunk) {
    const words = this.words(chunk), phrases = [];
    let previous = null;
    for (const word of words) {
      if (!word.pron) {
        previous = null;
        continue;
      }
      if (!previous || !chains(previous, word)) phrases.push([]);
      phrases[phrases.length - 1].push(word);
      previous = word;
    }
    const morae = phrases.flatMap((phrase, index) => phrase.flatMap((word) => word.morae.map((mora) => ({ ...mora, word, phrase: index }))));
    this.devoice(morae);
    const out = [];
    morae.forEach((mora, index) => {
      if (index && mora.phrase !== morae[index - 1].phrase) out.push(SEPARATOR);
      if (mora.kana === "ー") {
        if (out.length && out[out.length - 1] !== SEPARATOR) out.push(out[out.length - 1]);
      } else out.push(...mora.phones);
    });
    return out;
  }

  // njd_set_unvoiced_vowel's rules 1, 3 and 5 (2 in part; rule 4, no devoicing on the accent nucleus, needs accents).
  devoice(morae) {
    const flags = morae.map(() => -1);
    const devoiceable = (mora) => mora.phones && mora.phones.length === 2 && VOICELESS.has(mora.phones[0]) && mora.phones[1] in DEVOICED;
    const rule5 = (index) => {
      const mora = morae[index], next = morae[index + 1];
      if (!next || !devoiceable(mora) || !next.phones || !NEXT_VOICELESS.has(next.phones[0])) return 0;
      return KEEPS_VOICE[mora.phones[0]]?.has(next.phones[0]) ? 0 : 1;
    };
    morae.forEach((mora, index) => {
      const next = morae[index + 1], after = morae[index + 2];
      // Rule 1: the す of です and ます before the next word (pyopenjtalk-plus: or at the end), unless a long vowel follows.
      if (next && (mora.kana === "マ" || mora.kana === "デ") && next.kana === "ス" && next.word === mora.word
          && (!after || after.word !== next.word) && ["動詞", "助動詞", "感動詞"].includes(next.word.pos)) {
        flags[index + 1] = after && after.kana === "ー" ? 0 : 1;
      }
      // Rule 2: し of a verb, auxiliary or particle.
      if (flags[index] !== 1 && next && flags[index + 1] === -1 && flags[index + 2] !== 1 && next.word.pron === "シ"
          && ["動詞", "助動詞", "助詞"].includes(next.word.pos)) {
        flags[index + 1] = rule5(index + 1);
        if (flags[index + 1] === 1) {
          if (flags[index] === -1) flags[index] = 0;
          if (index + 2 < morae.length && flags[index + 2] === -1) flags[index + 2] = 0;
        }
      }
      if (flags[index] === -1) flags[index] = mora.word.pos === "フィラー" || flags[index + 1] === 1 ? 0 : rule5(index);
      if (flags[index] === 1 && index + 1 < morae.length && flags[index + 1] === -1) flags[index + 1] = 0;
      if (flags[index] === 1) mora.phones = [mora.phones[0], DEVOICED[mora.phones[1]]];
    });
  }
}
