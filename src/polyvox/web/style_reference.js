// A style reference clip in the browser, as polyvox's OnnxVoice reads it in Python (polyvox/inference/reference_clips.py,
// polyvox/audio/numpy_mel.py): decoded by the Web Audio API at the voice's rate and down-mixed, checked with Python's
// messages, its log-mel computed in float64 and rounded to float32, then encoded by the exported style encoder graph.
import * as ort from "./vendor/ort.wasm.min.mjs";

// reference_clips.py's limits: at least MIN_REFERENCE_S, only the first MAX_REFERENCE_S, silent below SILENCE_RMS.
const MIN_REFERENCE_S = 0.5, MAX_REFERENCE_S = 30, SILENCE_RMS = 1e-4;
// numpy_mel.py's floors: under the magnitude's square root, and before the log.
const POWER_FLOOR = 1e-9, LOG_FLOOR = 1e-5;
// The Slaney mel scale (numpy_mel.py): linear below 1 kHz, logarithmic above.
const HZ_PER_MEL = 200 / 3, MIN_LOG_HZ = 1000, LOG_STEP = Math.log(6.4) / 27;

export class ReferenceClipError extends Error {}

const hzToMel = (hz) => (hz >= MIN_LOG_HZ ? MIN_LOG_HZ / HZ_PER_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / HZ_PER_MEL);
const melToHz = (mel) => (mel >= MIN_LOG_HZ / HZ_PER_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_HZ / HZ_PER_MEL)) : HZ_PER_MEL * mel);

// numpy.linspace's values: start + i * step, the last exactly stop.
function linspace(start, stop, count) {
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : i * step + start));
}

// numpy_mel.mel_filter_bank: Slaney-normalised triangular filters, rows of n_freqs float32 values.
export function melFilterBank(audio) {
  const freqs = Math.floor(audio.n_fft / 2) + 1, nyquist = audio.sample_rate / 2;
  const points = linspace(hzToMel(audio.mel_fmin), hzToMel(audio.mel_fmax), audio.n_mels + 2).map(melToHz);
  const hz = linspace(0, nyquist, freqs);
  return Array.from({ length: audio.n_mels }, (_, m) => Float32Array.from({ length: freqs }, (_, k) => {
    const [lower, center, upper] = points.slice(m, m + 3);
    const rising = (hz[k] - lower) / (center - lower), falling = (upper - hz[k]) / (upper - center);
    return Math.max(Math.min(rising, falling), 0) * (2 / (upper - lower));
  }));
}

// A discrete Fourier transform of size n in float64: radix 2, or for other sizes Bluestein's chirp through one.
class Fourier {
  constructor(n) {
    this.n = n;
    this.size = 2 ** Math.ceil(Math.log2(n === 1 ? 1 : n));
    if (this.size === n) return;
    this.size = 2 ** Math.ceil(Math.log2(2 * n - 1));
    // The chirp exp(-i pi k^2 / n), k^2 taken modulo 2n so its angle stays exact.
    this.chirp = Array.from({ length: n }, (_, k) => -Math.PI * ((k * k) % (2 * n)) / n);
    const re = new Float64Array(this.size), im = new Float64Array(this.size);
    for (let k = 0; k < n; k++) {
      re[k] = Math.cos(this.chirp[k]); im[k] = -Math.sin(this.chirp[k]);
      if (k) { re[this.size - k] = re[k]; im[this.size - k] = im[k]; }
    }
    radix2(re, im);
    this.kernel = [re, im];
  }

  // The transform of (re, im), each of n values, in place.
  transform(re, im) {
    if (!this.chirp) return radix2(re, im);
    const n = this.n, size = this.size, [kernelRe, kernelIm] = this.kernel;
    const a = new Float64Array(size), b = new Float64Array(size);
    for (let k = 0; k < n; k++) {
      const c = Math.cos(this.chirp[k]), s = Math.sin(this.chirp[k]);
      a[k] = re[k] * c - im[k] * s; b[k] = re[k] * s + im[k] * c;
    }
    radix2(a, b);
    for (let k = 0; k < size; k++) {
      const x = a[k] * kernelRe[k] - b[k] * kernelIm[k];
      b[k] = -(a[k] * kernelIm[k] + b[k] * kernelRe[k]); a[k] = x;  // conjugated: the inverse through the forward
    }
    radix2(a, b);
    for (let k = 0; k < n; k++) {
      const x = a[k] / size, y = -b[k] / size, c = Math.cos(this.chirp[k]), s = Math.sin(this.chirp[k]);
      re[k] = x * c - y * s; im[k] = x * s + y * c;
    }
  }
}

// The forward transform of a power-of-two length, in place (iterative Cooley-Tukey).
function radix2(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
  }
  for (let length = 2; length <= n; length *= 2) {
    const angle = (-2 * Math.PI) / length;
    for (let start = 0; start < n; start += length) {
      for (let k = 0; k < length / 2; k++) {
        const c = Math.cos(angle * k), s = Math.sin(angle * k), p = start + k, q = p + length / 2;
        const x = re[q] * c - im[q] * s, y = re[q] * s + im[q] * c;
        re[q] = re[p] - x; im[q] = im[p] - y; re[p] += x; im[p] += y;
      }
    }
  }
}

// NumpyMelSpectrogram: samples -> log-mel {data (n_mels x frames, float32), frames}, frames = samples / hop.
export class LogMel {
  constructor(audio) {
    this.audio = audio;
    this.bank = melFilterBank(audio);
    this.fourier = new Fourier(audio.n_fft);
    // torch.hann_window (periodic, float32) centred in n_fft.
    this.window = new Float64Array(audio.n_fft);
    const left = Math.floor((audio.n_fft - audio.win_length) / 2);
    for (let i = 0; i < audio.win_length; i++) this.window[left + i] = Math.fround(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / audio.win_length));
  }

  of(samples) {
    const { n_fft: size, hop_length: hop, n_mels: mels } = this.audio, frames = Math.floor(samples.length / hop);
    const length = Math.max(samples.length, Math.max(frames, 1) * hop), pad = Math.floor((size - hop) / 2);
    const reflect = length > pad, data = new Float32Array(mels * frames), freqs = Math.floor(size / 2) + 1;
    const at = (i) => {  // the centred signal: zeros appended to a whole frame, then reflected (or zero) pads
      const j = !reflect ? i : i < 0 ? -i : i >= length ? 2 * (length - 1) - i : i;
      return j >= 0 && j < samples.length ? samples[j] : 0;
    };
    const re = new Float64Array(size), im = new Float64Array(size), magnitude = new Float64Array(freqs);
    for (let frame = 0; frame < frames; frame++) {
      for (let i = 0; i < size; i++) { re[i] = at(frame * hop + i - pad) * this.window[i]; im[i] = 0; }
      this.fourier.transform(re, im);
      for (let k = 0; k < freqs; k++) magnitude[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k] + POWER_FLOOR);
      for (let m = 0; m < mels; m++) {
        let mel = 0;
        for (let k = 0; k < freqs; k++) mel += this.bank[m][k] * magnitude[k];
        data[m * frames + frame] = Math.log(Math.max(mel, LOG_FLOOR));
      }
    }
    return { data, frames };
  }
}

// Python's f"{value:.1e}": one decimal and an exponent of two digits at least (1.0e-05).
const scientific = (value) => value.toExponential(1).replace(/e([+-])(\d)$/, "e$10$2");

// A clip's samples at `sampleRate` and its name in messages, as reference_clips._samples reads it: a Float32Array
// is taken as already at the rate; a File, Blob or ArrayBuffer is decoded (the browser resamples it) and down-mixed.
export async function clipSamples(clip, sampleRate) {
  const longest = Math.trunc(MAX_REFERENCE_S * sampleRate);
  if (clip instanceof Float32Array) return { samples: clip.subarray(0, longest), name: "the reference samples" };
  const name = clip.name ?? "the reference clip";
  let decoded;
  try {
    const bytes = clip instanceof ArrayBuffer ? clip : await clip.arrayBuffer();
    decoded = await new OfflineAudioContext(1, 1, sampleRate).decodeAudioData(bytes);
  } catch (error) {
    throw new ReferenceClipError(`cannot read audio file ${name}: ${error.message ?? error}; it may be corrupt or in a format the browser cannot decode (convert it to WAV or FLAC)`);
  }
  const length = Math.min(decoded.length, longest), samples = new Float32Array(length);
  for (let channel = 0; channel < decoded.numberOfChannels; channel++) {
    const data = decoded.getChannelData(channel);
    for (let i = 0; i < length; i++) samples[i] = Math.fround(samples[i] + data[i]);
  }
  return { samples: samples.map((value) => value / decoded.numberOfChannels), name };
}

// reference_clips.checked_clips for one clip: Python's messages for a non-finite, too short or silent clip.
export function checkClip(samples, name, sampleRate) {
  if (!samples.every(Number.isFinite)) throw new ReferenceClipError(`${name} contains NaN or infinite samples; give a clip of the voice speaking`);
  const duration = samples.length / sampleRate;
  if (duration < MIN_REFERENCE_S) {
    throw new ReferenceClipError(`${name} is ${duration.toFixed(2)} s long; a reference clip needs at least ${MIN_REFERENCE_S} s of speech`);
  }
  const rms = Math.sqrt(samples.reduce((total, value) => total + value * value, 0) / samples.length);
  if (rms < SILENCE_RMS) throw new ReferenceClipError(`${name} is silent (RMS ${scientific(rms)}); give a clip of the voice speaking`);
}

// OnnxStyleEncoder: clips -> their style (a Float32Array, several clips averaged) through the style encoder graph.
export class StyleEncoder {
  constructor(session, audio) { this.session = session; this.audio = audio; this.logMel = new LogMel(audio); }

  async clipStyle(clips) {
    clips = Array.isArray(clips) ? clips : [clips];
    if (!clips.length) throw new ReferenceClipError("no reference clip given");
    const checked = [];
    for (const clip of clips) {
      const { samples, name } = await clipSamples(clip, this.audio.sample_rate);
      checkClip(samples, name, this.audio.sample_rate);
      checked.push(samples);
    }
    let total = null;
    for (const samples of checked) {
      const { data, frames } = this.logMel.of(samples);
      const mel = new ort.Tensor("float32", data, [1, this.audio.n_mels, frames]);
      const style = (await this.session.run({ reference_mel: mel })).clip_style.data;
      total = total ? total.map((value, i) => Math.fround(value + style[i])) : Float32Array.from(style);
    }
    return total.map((value) => value / checked.length);
  }
}
