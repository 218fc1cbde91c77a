// espeak-ng compiled to WebAssembly (Echogarden's build, vendored by the export), called the way polyvox's
// Python front end calls libespeak-ng through phonemizer-fork: espeak_TextToPhonemes (no intonation pass,
// which would promote a stress), IPA with stress, phones separated by "_", punctuation hidden from espeak
// and put back afterwards.
import ESpeakNG from "./vendor/espeak-ng.js";

// The build's text_to_phonemes joins the clauses of one text with this; phonemizer joins them with " ".
const CLAUSE_JOINER = " | ";

function escapeClass(chars) {
  return [...chars].map((char) => char.replace(/[\\\]\[\-^]/g, "\\$&")).join("");
}

// phonemizer's EspeakBackend._postprocess_line (strip=True, with stress, "remove-flags"), "|" between phones.
function postprocess(line) {
  line = line.trim().replaceAll("\n", " ").replaceAll("  ", " ");
  line = line.replace(/_+/g, "_").replace(/_ /g, " ").replace(/\(.+?\)/g, "");
  if (!line) return "";
  return line.split(" ").map((word) => word.trim().replaceAll("_", "|")).join(" ");
}

export class Espeak {
  constructor(module, punctuationMarks) {
    this.module = module;
    this.worker = new module.eSpeakNGWorker();
    this.voice = null;
    this.marks = new RegExp(`(\\s*[${escapeClass(punctuationMarks)}]+\\s*)+`, "gu");
  }

  // vendor: the folder's url with espeak-ng.js and espeak-ng.data (~24 MB of dictionaries, fetched once).
  static async load(vendor, punctuationMarks) {
    const module = await ESpeakNG({ locateFile: (name) => new URL(name, vendor).href, print: () => {}, printErr: () => {} });
    return new Espeak(module, punctuationMarks);
  }

  // The first of voices (names of one language's voice, Python's first) that this build has.
  setVoice(voices) {
    if (voices.includes(this.voice)) return;
    const voice = voices.find((name) => this.worker.set_voice(name) === 0);
    if (voice === undefined) throw new Error(`espeak-ng in the browser has none of the voices ${voices.join(", ")}`);
    this.voice = voice;
  }

  // phonemizer's EspeakWrapper.text_to_phonemes: every clause of text, IPA, "_" between phones.
  textToPhonemes(text, voices) {
    this.setVoice(voices);
    const pointer = this.module.getPointer(this.worker.text_to_phonemes(text, 1));
    const heap = this.module.HEAPU8;
    let end = pointer;
    while (heap[end]) end++;
    return new TextDecoder().decode(heap.subarray(pointer, end)).split(CLAUSE_JOINER).join(" ");
  }

  phonemizeChunks(chunks, voices) {
    return chunks.map((chunk) => postprocess(this.textToPhonemes(chunk, voices)));
  }

  // phonemizer's Punctuation.preserve on one line: [chunks, marks].
  preserve(line) {
    const matches = [...line.matchAll(this.marks)];
    if (!matches.length) return [[line], []];
    if (matches.length === 1 && matches[0][0] === line) return [[], [{ mark: line, position: "A" }]];
    const marks = matches.map((match, index) => {
      let position = "I";
      if (index === 0 && line.startsWith(match[0])) position = "B";
      else if (index === matches.length - 1 && line.endsWith(match[0])) position = "E";
      return { mark: match[0], position };
    });
    const chunks = [];
    for (const { mark } of marks) {
      const at = line.indexOf(mark);
      chunks.push(line.slice(0, at));
      line = line.slice(at + mark.length);
    }
    chunks.push(line);
    return [chunks.filter((chunk) => chunk), marks];
  }

  // phonemizer's Punctuation.restore (word separator " ", strip=True), all marks on line 0.
  static restore(text, marks) {
    text = [...text];
    marks = [...marks];
    const punctuated = [];
    let position = 0;
    while (text.length || marks.length) {
      if (!marks.length) {
        punctuated.push(...text);
        text = [];
      } else if (!text.length) {
        punctuated.push(marks.map((mark) => mark.mark).join(""));
        marks = [];
      } else if (position === 0) {
        const current = marks.shift();
        const mark = current.mark;
        if (text[0].endsWith(" ")) text[0] = text[0].slice(0, -1);
        if (current.position === "B") text[0] = mark + text[0];
        else if (current.position === "E") {
          punctuated.push(text.shift() + mark);
          position += 1;
        } else if (current.position === "A") {
          punctuated.push(mark);
          position += 1;
        } else if (text.length === 1) text[0] = text[0] + mark;
        else {
          const first = text.shift();
          text[0] = first + mark + text[0];
        }
      } else {
        punctuated.push(text.shift());
        position += 1;
      }
    }
    return punctuated;
  }

  // EspeakBackend.phonemize([text], preserve_punctuation=True)[0] (polyvox reads the first line only).
  async phonemize(text, voices) {
    const [chunks, marks] = this.preserve(text);
    const phonemized = this.phonemizeChunks(chunks, voices);
    return Espeak.restore(phonemized, marks)[0] ?? "";
  }
}
