// A style voice's style in the browser, as polyvox's OnnxVoice computes it in Python (polyvox/export/style_tables.py,
// polyvox/inference/onnx_style.py): a label's row (or a clip's style) blended with the neutral style, or a style drawn by the exported
// sampler's graphs. Every step is rounded to float32 as numpy and torch compute it, so the same noise gives the same bits.
import * as ort from "./vendor/ort.wasm.min.mjs";

// StyleTables.style: the neutral style moved `strength` of the way to row `label` (null: the neutral style).
export function styleVector(style, label, strength) {
  if (label === null) return Float32Array.from(style.neutral);
  return blendedStyle(style, style.label_vectors[label], strength);
}

// StyleTables.blended: the neutral style moved `strength` of the way to `given` (a label's row or a clip's style).
export function blendedStyle(style, given, strength) {
  const neutral = Float32Array.from(style.neutral), scale = Math.fround(strength);
  return neutral.map((value, i) => Math.fround(value + Math.fround(scale * Math.fround(Math.fround(given[i]) - value))));
}

function int64(values) {
  return new ort.Tensor("int64", BigInt64Array.from(values, (value) => BigInt(value)), [1, values.length]);
}

// OnnxStyleSampler: the condition graph on one sentence, then the Euler loop over the velocity graph.
export class StyleSampler {
  constructor(condition, velocity, channels) { this.condition = condition; this.velocity = velocity; this.channels = channels; }

  async sentenceCondition(encoded, speakerId) {
    const length = encoded.phonemeIds.length;
    const feed = {
      phoneme_ids: int64(encoded.phonemeIds), language_ids: int64(encoded.languageIds),
      text_lengths: new ort.Tensor("int64", BigInt64Array.of(BigInt(length)), [1]),
      speaker_ids: new ort.Tensor("int64", BigInt64Array.of(BigInt(speakerId)), [1]),
      prosody_ids: int64(encoded.prosodyIds),
    };
    const inputs = Object.fromEntries(this.condition.inputNames.map((name) => [name, feed[name]]));
    return (await this.condition.run(inputs)).style_condition;
  }

  // A style (Float32Array of `channels`) for one sentence: its starting noise from `noise`, `steps` Euler steps
  // guided by `scale`, checked finite, then clipped to the style encoder's (-1, 1) box.
  async sentenceStyle(encoded, speakerId, { steps, scale }, noise) {
    const styles = Float32Array.from(noise([1, this.channels]));
    const condition = await this.sentenceCondition(encoded, speakerId), guide = Math.fround(scale);
    for (let step = 0; step < steps; step++) {
      const outputs = await this.velocity.run({
        styles: new ort.Tensor("float32", styles, [1, this.channels]),
        times: new ort.Tensor("float32", Float32Array.of(step / steps), [1]),
        style_condition: condition,
      });
      const velocity = outputs.conditioned_velocity.data, free = outputs.free_velocity.data;
      for (let i = 0; i < this.channels; i++) {
        const guided = scale === 1 ? velocity[i] : Math.fround(free[i] + Math.fround(guide * Math.fround(velocity[i] - free[i])));
        styles[i] = Math.fround(styles[i] + Math.fround(guided / steps));
      }
    }
    if (!styles.every(Number.isFinite)) {
      throw new Error(`the exported style sampler drew a non-finite style (style_steps ${steps}, style_scale ${scale}): try a style scale nearer 1`);
    }
    return styles.map((value) => Math.min(1, Math.max(-1, value)));
  }
}
