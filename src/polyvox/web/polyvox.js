// PolyvoxVoice: a voice exported by `polyvox export VOICE --web DIR`, spoken in the browser.
//   const voice = await PolyvoxVoice.load("voice.onnx.json");
//   for await (const chunk of voice.stream(text, { language, speaker, speed })) play(chunk);  // Float32Array
//   const { samples, sampleRate } = await voice.synthesize(text, options);
// A style voice also takes { emotion, styleStrength } (one of voice.styleLabels, scaled from its neutral style), and
// one with a style sampler { style: "sample", styleSteps, styleScale } (a style drawn for each sentence), and one whose
// export has a style encoder { styleReference, styleStrength } (a clip's style: a File, Blob or ArrayBuffer of audio, or a
// Float32Array of samples at voice.sampleRate; style_reference.js).
// It does what polyvox's OnnxVoice does in Python: the encoder graph per sentence, the prior sampled,
// the decoder graph on the whole latent (synthesize) or on windows of it with their context (stream).
import * as ort from "./vendor/ort.wasm.min.mjs";
import { Espeak } from "./espeak.js";
import { Japanese } from "./japanese.js";
import { Mandarin } from "./mandarin.js";
import { StyleSampler, blendedStyle, styleVector } from "./style.js";
import { StyleEncoder } from "./style_reference.js";
import { TextError, TextRules } from "./text.js";

export { TextError };

const VOICE_FORMAT = "polyvox-onnx-voice";
const TABLES_FORMAT = "polyvox-web-frontend";

export class VoiceLoadError extends Error {}

// SpeechRequest's first style check, before the sampled style's (so before VoiceText's too).
const EMOTION_AND_REFERENCE = "give an emotion or a style reference, not both: each sets the style";
const given = (value) => value !== undefined && value !== null && value !== "";

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new VoiceLoadError(`${what} could not be fetched from ${url}: ${error.message}`);
  }
  if (!response.ok) throw new VoiceLoadError(`${what} could not be fetched from ${url} (HTTP ${response.status})`);
  return response;
}

// pypinyin's dictionaries for the Mandarin front end (mandarin.json, ~0.8 MB).
async function loadMandarin(url) {
  const response = await fetchOk(url, "the Mandarin dictionaries");
  try {
    return new Mandarin(await response.json());
  } catch (error) {
    throw new VoiceLoadError(`${url} is not the Mandarin dictionaries the export writes (${error.message}); export the voice again`);
  }
}

// The Japanese front end: kuromoji (vendor/kuromoji.js, which sets globalThis.kuromoji) on pyopenjtalk's
// dictionary converted to kuromoji's format (~37 MB, gzipped), and pyopenjtalk's tables (japanese.json).
// kuromoji joins the dictionary path as a file path, so the dictionary is fetched from the page's own origin.
async function loadJapanese(tablesUrl, dictionaryUrl) {
  const tables = await (await fetchOk(tablesUrl, "the Japanese tables")).json();
  await import(new URL("vendor/kuromoji.js", import.meta.url).href);
  let tokenizer;
  try {
    tokenizer = await new Promise((resolve, reject) => globalThis.kuromoji.builder({ dicPath: dictionaryUrl.pathname })
      .build((error, built) => (error ? reject(error) : resolve(built))));
  } catch (error) {
    throw new VoiceLoadError(`the Japanese dictionary at ${dictionaryUrl} could not be loaded (${error.message ?? error}); export the voice again`);
  }
  return new Japanese(tokenizer, tables);
}

async function openGraph(url) {
  const bytes = new Uint8Array(await (await fetchOk(url, "the model")).arrayBuffer());
  try {
    return await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  } catch (error) {
    throw new VoiceLoadError(`${url} is not a usable ONNX graph (${error.message ?? error}); export the voice again`);
  }
}

// Standard-normal noise from a seeded generator (mulberry32 + Box-Muller), or Math.random without a seed.
function gaussian(seed) {
  let state = seed >>> 0;
  const uniform = seed === undefined ? Math.random : () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (shape) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) {
      values[i] = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    }
    return values;
  };
}

function int64(values, dims) {
  return new ort.Tensor("int64", BigInt64Array.from(values, (value) => BigInt(value)), dims);
}

function clip(samples) {
  return samples.map((value) => Math.min(1, Math.max(-1, value)));
}

// polyvox.inference.windows: window sizes doubling from `first` to `largest`, and each window's context.
class ChunkSchedule {
  constructor(first, largest) { this.first = first; this.largest = largest; this.next = first; }
  take() { const size = this.next; this.next = Math.min(2 * size, this.largest); return size; }
}

function* planWindows(frames, streaming, schedule) {
  const [flowLeft, flowRight] = streaming.flow_context, [decoderLeft, decoderRight] = streaming.decoder_context;
  let start = 0;
  while (start < frames) {
    let end = Math.min(frames, start + schedule.take());
    if (frames - end < schedule.first) end = frames;
    const decoderStart = Math.max(0, start - decoderLeft), decoderEnd = Math.min(frames, end + decoderRight);
    yield { start, end, decoderStart, decoderEnd, flowStart: Math.max(0, decoderStart - flowLeft), flowEnd: Math.min(frames, decoderEnd + flowRight) };
    start = end;
  }
}

export class PolyvoxVoice {
  constructor(metadata, tables, rules, encoder, decoder, styleSampler = null, styleEncoder = null) {
    this.metadata = metadata;
    this.tables = tables;
    this.rules = rules;
    this.encoder = encoder;
    this.decoder = decoder;
    this.styleSampler = styleSampler;
    this.styleEncoder = styleEncoder;
    this.sampleRate = metadata.audio.sample_rate;
    this.samplesPerFrame = metadata.audio.samples_per_frame;
    this.threads = ort.env.wasm.numThreads;  // onnxruntime-web's threads (1 unless the page is cross-origin isolated)
  }

  // url: the export's voice.onnx.json; web.json, the graphs and vendor/ are beside it.
  static async load(url = "voice.onnx.json", { threads } = {}) {
    const base = new URL(url, globalThis.location?.href);
    let metadata, tables;
    try {
      metadata = await (await fetchOk(base, "the voice")).json();
      tables = await (await fetchOk(new URL("web.json", base), "the front end's tables")).json();
    } catch (error) {
      throw error instanceof VoiceLoadError ? error : new VoiceLoadError(`the voice at ${base} is not readable JSON: ${error.message}`);
    }
    if (metadata.format !== VOICE_FORMAT || tables.format !== TABLES_FORMAT) {
      throw new VoiceLoadError(`${base} is not a polyvox web export; write one with 'polyvox export VOICE --web DIR'`);
    }
    if (metadata.text.token_unit !== "phoneme") {
      throw new VoiceLoadError(`voices that number characters (token_unit '${metadata.text.token_unit}') are not spoken in the browser yet`);
    }
    ort.env.wasm.wasmPaths = new URL("vendor/", import.meta.url).href;
    // Threads need a cross-origin isolated page (COOP/COEP headers); one thread otherwise.
    ort.env.wasm.numThreads = threads ?? (globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1);
    const japanese = tables.languages.ja, sampler = metadata.graphs.style_velocity ? metadata.graphs : null;
    const clips = metadata.graphs.style_encoder;
    const [espeak, mandarin, japaneseReader, encoder, decoder, condition, velocity, clipEncoder] = await Promise.all([
      Espeak.load(new URL("vendor/", import.meta.url), tables.phonemizer_marks),
      tables.languages.zh ? loadMandarin(new URL(tables.languages.zh.mandarin, base)) : null,
      japanese ? loadJapanese(new URL(japanese.japanese, base), new URL(japanese.dictionary, base)) : null,
      openGraph(new URL(metadata.graphs.encoder.file, base)),
      openGraph(new URL(metadata.graphs.decoder.file, base)),
      sampler ? openGraph(new URL(sampler.style_condition.file, base)) : null,
      sampler ? openGraph(new URL(sampler.style_velocity.file, base)) : null,
      clips ? openGraph(new URL(clips.file, base)) : null,
    ]);
    const styleSampler = sampler && new StyleSampler(condition, velocity, metadata.style.neutral.length);
    const styleEncoder = clips && new StyleEncoder(clipEncoder, metadata.config.audio);
    const rules = new TextRules(metadata, tables, espeak, mandarin, japaneseReader);
    return new PolyvoxVoice(metadata, tables, rules, encoder, decoder, styleSampler, styleEncoder);
  }

  get languages() { return this.metadata.languages; }
  get speakers() { return this.metadata.speakers; }
  // Languages of the voice the page phonemizes, and the others with the reason.
  get browserLanguages() { return this.languages.filter((language) => language in this.tables.languages); }
  // A style voice's labels (what `emotion` takes); empty for a voice without style labels.
  get styleLabels() { return this.metadata.style?.labels ?? []; }
  get hasStyleSampler() { return this.styleSampler !== null; }
  // Whether the voice takes a style reference clip (a style voice exported with its style encoder).
  get hasStyleEncoder() { return this.styleEncoder !== null; }
  get unsupportedLanguages() { return this.tables.unsupported_languages; }

  // VoiceText.speaker_id: a name or index, else the voice's default for the language.
  speakerId(speaker, language) {
    const speakers = this.speakers;
    if (speaker === undefined || speaker === null || speaker === "") {
      let defaults = {};
      try { defaults = JSON.parse(this.metadata.info?.default_speakers ?? "{}") ?? {}; } catch { defaults = {}; }
      if (speakers.includes(defaults[language])) return speakers.indexOf(defaults[language]);
      const index = speakers.findIndex((name) => name.split("_")[0] === language);
      return Math.max(index, 0);
    }
    if (typeof speaker === "number" || /^\d+$/.test(speaker)) {
      const index = Number(speaker);
      if (!(index >= 0 && index < speakers.length)) throw new TextError(`speaker index ${index} out of range: this voice has ${speakers.length} speakers`);
      return index;
    }
    if (!speakers.includes(speaker)) throw new TextError(`unknown speaker '${speaker}'; this voice has: ${speakers.join(", ")}`);
    return speakers.indexOf(speaker);
  }

  // The style vector the graphs take (null for a voice without style, or one of a style reference, which
  // referenceStyle encodes), as OnnxVoice.request_style gives it; SpeechRequest's and VoiceText's messages.
  styleOf(emotion, styleStrength, styleReference = null) {
    const style = this.metadata.style, named = given(emotion), referenced = given(styleReference);
    if (!(styleStrength >= 0 && styleStrength <= 2)) throw new TextError(`style_strength must be between 0 and 2, got ${styleStrength}`);
    if (named && referenced) throw new TextError(EMOTION_AND_REFERENCE);
    if (!style) {
      if (named || referenced || styleStrength !== 1) {
        throw new TextError("this voice has no style component (model.style.enabled is false), so it takes no emotion, style reference or style strength; train a voice with model.style.enabled (docs/training.md)");
      }
      return null;
    }
    if (referenced) {
      if (!this.styleEncoder) throw new TextError("this export has no style encoder graph (it was written by an older polyvox), so it takes no style reference; export the voice again with 'polyvox export'");
      return null;
    }
    if (!named) {
      if (styleStrength !== 1) throw new TextError("style_strength scales an emotion or a style reference; give one of them (without, the voice speaks its neutral style)");
      return styleVector(style, null, 1);
    }
    if (!style.labels.includes(emotion)) {
      const known = style.labels.length ? style.labels.join(", ") : "none (it was trained without style labels: give a style reference clip)";
      throw new TextError(`unknown emotion '${emotion}'; this voice knows: ${known}`);
    }
    return styleVector(style, style.labels.indexOf(emotion), styleStrength);
  }

  // { steps, scale } of a sampled style (style "sample"), or null; checked as SpeechRequest checks them.
  sampling(style, emotion, styleSteps, styleScale, styleReference) {
    if (style === undefined || style === null) {
      if (styleSteps !== 10 || styleScale !== 1) throw new TextError("style_steps and style_scale tune style 'sample'; ask for it too, or leave them out");
      return null;
    }
    if (style !== "sample") throw new TextError(`style must be 'sample' (draw one from the voice's style sampler) or left out, got '${style}'`);
    if (!this.styleSampler) throw new TextError("this voice has no style sampler (model.style_sampler.enabled is false), so it cannot sample a style");
    if (given(emotion) || given(styleReference)) throw new TextError("give style 'sample', an emotion or a style reference, not two of them: each sets the style");
    if (!(Number.isInteger(styleSteps) && styleSteps >= 1 && styleSteps <= 200)) throw new TextError(`style_steps must be between 1 and 200, got ${styleSteps}`);
    if (!(styleScale >= 0 && styleScale <= 10)) throw new TextError(`style_scale must be between 0 and 10, got ${styleScale}`);
    return { steps: styleSteps, scale: styleScale };
  }

  options({
    language, speaker, speed, noiseScale, noiseScaleDuration, seed, noise, emotion, styleStrength = 1, style, styleSteps = 10, styleScale = 1,
    styleReference = null,
  } = {}) {
    language = language ?? this.languages[0];
    this.rules.requireLanguage(language);
    if (given(emotion) && given(styleReference)) throw new TextError(EMOTION_AND_REFERENCE);
    if (given(speed) && !(speed > 0 && Number.isFinite(speed))) throw new TextError(`speed must be a positive number, got ${speed}`);
    // Left out: the voice's own settings, which the export writes under "inference" (as Piper's .onnx.json does).
    const defaults = this.metadata.inference;
    return {
      language,
      speakerId: this.speakerId(speaker, language),
      sampling: this.sampling(style, emotion, styleSteps, styleScale, styleReference),
      style: this.styleOf(emotion, styleStrength, styleReference),
      styleReference,
      styleStrength,
      lengthScale: given(speed) ? 1 / speed : defaults.length_scale,
      noiseScale: noiseScale ?? defaults.noise_scale,
      noiseScaleDuration: noiseScaleDuration ?? defaults.noise_scale_duration,
      noise: noise ?? gaussian(seed),
    };
  }

  async encode(sentence, language) { return this.rules.encode(sentence, language); }

  // The options with a style reference's style in place (its clips read, checked and encoded once per request).
  async referenceStyle(options) {
    if (!given(options.styleReference)) return options;
    const clipStyle = await this.styleEncoder.clipStyle(options.styleReference);
    return { ...options, style: blendedStyle(this.metadata.style, clipStyle, options.styleStrength) };
  }

  // The request's style, or for style "sample" one drawn for this sentence, before its other noise (as OnnxVoice).
  async sentenceStyle(encoded, options) {
    if (!options.sampling) return options.style;
    return this.styleSampler.sentenceStyle(encoded, options.speakerId, options.sampling, options.noise);
  }

  // One sentence's prior latent {data, channels, frames}: noise drawn as OnnxVoice draws it (duration, then prior).
  async sentenceLatent(encoded, options, style) {
    const length = encoded.phonemeIds.length;
    const durationNoise = options.noise([1, this.metadata.model.duration_noise_channels, length]);
    const feed = {
      phoneme_ids: int64(encoded.phonemeIds, [1, length]),
      language_ids: int64(encoded.languageIds, [1, length]),
      text_lengths: int64([length], [1]),
      speaker_ids: int64([options.speakerId], [1]),
      length_scale: new ort.Tensor("float32", Float32Array.of(options.lengthScale), [1]),
      noise_scale_duration: new ort.Tensor("float32", Float32Array.of(options.noiseScaleDuration), [1]),
      duration_noise: new ort.Tensor("float32", durationNoise, [1, this.metadata.model.duration_noise_channels, length]),
      prosody_ids: int64(encoded.prosodyIds, [1, length]),
      ...this.styleFeed(style),
    };
    const inputs = Object.fromEntries(this.encoder.inputNames.map((name) => [name, feed[name]]));
    const prior = await this.encoder.run(inputs);
    const means = prior.prior_means.data, logScales = prior.prior_log_scales.data, mask = prior.frame_mask.data;
    const [, channels, frames] = prior.prior_means.dims;
    const noise = options.noise([1, channels, frames]);
    const data = new Float32Array(means.length);
    for (let i = 0; i < data.length; i++) {
      data[i] = (means[i] + noise[i] * Math.exp(logScales[i]) * options.noiseScale) * mask[i % frames];
    }
    return { data, channels, frames };
  }

  // A style voice's graphs take its style last (style_vectors); a voice without style has no such input.
  styleFeed(style) {
    return style ? { style_vectors: new ort.Tensor("float32", style, [1, style.length]) } : {};
  }

  // The decoder graph on frames [from, to) of the latent, trim frames dropped each side after the flow. A voice with a
  // harmonic source also takes its phase (cycles) `lead` frames into the decoder's input and gives the F0 it read:
  // {waveform, f0}, f0 null for other voices.
  async decode(latent, from, to, speakerId, trim, style = null, phase = 0, lead = 0) {
    const frames = to - from;
    const piece = new Float32Array(latent.channels * frames);
    for (let channel = 0; channel < latent.channels; channel++) {
      piece.set(latent.data.subarray(channel * latent.frames + from, channel * latent.frames + to), channel * frames);
    }
    const sourced = this.decoder.inputNames.includes("source_phase");
    const outputs = await this.decoder.run({
      latent: new ort.Tensor("float32", piece, [1, latent.channels, frames]),
      frame_mask: new ort.Tensor("float32", new Float32Array(frames).fill(1), [1, 1, frames]),
      speaker_ids: int64([speakerId], [1]),
      trim: int64(trim, [2]),
      ...this.styleFeed(style),
      ...(sourced ? {
        source_phase: new ort.Tensor("float32", Float32Array.of(phase - Math.floor(phase)), [1]),
        source_lead: int64([lead], [1]),
      } : {}),
    });
    return { waveform: outputs.waveform.data, f0: sourced ? outputs.source_f0.data : null };
  }

  pause() { return new Float32Array(Math.trunc(this.tables.sentence_pause_s * this.sampleRate)); }

  // Float32Array chunks at this.sampleRate: the first comes after the first window of the first sentence.
  async *stream(text, options = {}) {
    const speech = await this.referenceStyle(this.options(options));
    const sentences = this.rules.sentences(text, speech.language);
    const schedule = new ChunkSchedule(this.tables.first_chunk_frames, this.tables.max_chunk_frames);
    for (const [index, sentence] of sentences.entries()) {
      if (index) yield this.pause();
      const encoded = await this.encode(sentence, speech.language), style = await this.sentenceStyle(encoded, speech);
      const latent = await this.sentenceLatent(encoded, speech, style);
      let phase = 0;  // a harmonic source's, in cycles, where the next window starts
      for (const window of planWindows(latent.frames, this.metadata.streaming, schedule)) {
        const trim = [window.decoderStart - window.flowStart, window.flowEnd - window.decoderEnd];
        const lead = window.start - window.decoderStart, frames = window.end - window.start;
        const { waveform, f0 } = await this.decode(latent, window.flowStart, window.flowEnd, speech.speakerId, trim, style, phase, lead);
        if (f0) {
          for (let frame = lead; frame < lead + frames; frame++) phase += f0[frame] * this.samplesPerFrame;
        }
        const first = lead * this.samplesPerFrame;
        yield clip(waveform.slice(first, first + frames * this.samplesPerFrame));
      }
    }
  }

  // The whole text at once: {samples, sampleRate}, sentences joined with a pause.
  async synthesize(text, options = {}) {
    const speech = await this.referenceStyle(this.options(options));
    const parts = [];
    for (const [index, sentence] of this.rules.sentences(text, speech.language).entries()) {
      if (index) parts.push(this.pause());
      const encoded = await this.encode(sentence, speech.language), style = await this.sentenceStyle(encoded, speech);
      const latent = await this.sentenceLatent(encoded, speech, style);
      parts.push(clip((await this.decode(latent, 0, latent.frames, speech.speakerId, [0, 0], style)).waveform));
    }
    const samples = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
    let offset = 0;
    for (const part of parts) { samples.set(part, offset); offset += part.length; }
    return { samples, sampleRate: this.sampleRate };
  }
}
