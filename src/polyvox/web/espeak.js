// espeak-ng compiled to WebAssembly (the npm package's command-line program, vendored by the export),
// called the way polyvox's Python front end calls libespeak-ng through phonemizer-fork: IPA with stress,
// phones separated by "_", punctuation hidden from espeak and put back afterwards.
import ESpeakNG from "./vendor/espeak-ng.js";

const INPUT = "/polyvox-input.txt";
const OUTPUT = "/polyvox-phonemes.txt";

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
  // module: the compiled espeak-ng.wasm; one program instance is made from it per call (its main() runs once).
  constructor(module, punctuationMarks) {
    this.module = module;
    this.marks = new RegExp(`(\\s*[${escapeClass(punctuationMarks)}]+\\s*)+`, "gu");
  }

  static async load(base, punctuationMarks) {
    const response = await fetch(new URL("vendor/espeak-ng.wasm", base));
    if (!response.ok) throw new Error(`espeak-ng.wasm could not be fetched (HTTP ${response.status}); export the page again`);
    const module = await WebAssembly.compile(await response.arrayBuffer());
    return new Espeak(module, punctuationMarks);
  }

  // espeak-ng's lines for text (one per clause; a blank line in text ends a clause).
  async clauses(text, voice) {
    const errors = [];
    const program = await ESpeakNG({
      arguments: ["-f", INPUT, "--phonout", OUTPUT, "--sep=_", "-q", "--ipa", "-v", voice],
      preRun: [(instance) => instance.FS.writeFile(INPUT, text)],
      instantiateWasm: (imports, done) => {
        WebAssembly.instantiate(this.module, imports).then((instance) => done(instance, this.module));
        return {};
      },
      print: () => {},
      printErr: (line) => errors.push(line),
    });
    let output;
    try {
      output = program.FS.readFile(OUTPUT, { encoding: "utf8" });
    } catch (error) {
      throw new Error(`espeak-ng could not phonemize with voice ${voice}: ${errors.join(" ") || error.message}`);
    }
    return output.split("\n").filter((line) => line.length > 0);
  }

  // One phonemized string per chunk, as phonemizer's text_to_phonemes + _postprocess_line give it.
  async phonemizeChunks(chunks, voice) {
    if (!chunks.length) return [];
    const lines = await this.clauses(chunks.join("\n\n"), voice);
    if (lines.length === chunks.length) return lines.map(postprocess);
    // Some chunk made several clauses (or none): one program run each, clauses joined as phonemizer does.
    const phonemized = [];
    for (const chunk of chunks) phonemized.push(postprocess((await this.clauses(chunk, voice)).join(" ")));
    return phonemized;
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
  async phonemize(text, voice) {
    const [chunks, marks] = this.preserve(text);
    const phonemized = await this.phonemizeChunks(chunks, voice);
    return Espeak.restore(phonemized, marks)[0] ?? "";
  }
}
