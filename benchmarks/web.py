"""Time to first audio and real-time factor of the exported page in headless Chromium (``polyvox export --web``).

The page is served from localhost and driven through Playwright (``pip install 'polyvox[web]'``, Debian's
chromium; the npm runtime from ``npm ci --prefix src/polyvox/web``). Everything is measured inside the page
with ``performance.now()``: loading the voice (espeak-ng's data, both graphs), the first chunk of
``stream`` after the call (phonemes, encoder, first decoder window), and ``synthesize``'s time over the
audio's length (real-time factor; under 1 is faster than real time). Each figure is the median over
--runs runs after one warm-up, for one short sentence and a five-sentence paragraph, on one thread (a
plain page) and on several (a cross-origin isolated page, where onnxruntime-web may use threads).
Writes benchmarks/results/web.json.

    python benchmarks/web.py                  # exports the bundled voice into a temporary folder
    python benchmarks/web.py --page DIR --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
from pathlib import Path

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.export.web_browser import chromium, open_page, serve
from polyvox.export.web_export import export_web
from polyvox.files import atomic_path

RESULTS = Path(__file__).parent / "results" / "web.json"
TEXTS = {
    "sentence": "The weather is lovely today, so we are going for a walk.",
    "paragraph": (
        "The weather is lovely today, so we are going for a walk. We will take the path along the river. "
        "After lunch, my sister wants to visit the old library in town. It closes early on Saturdays, though. "
        "Maybe we should go there first and walk in the evening."
    ),
}
MEASURE = """async ([texts, runs]) => {
  const { PolyvoxVoice } = await import("./polyvox.js");
  let started = performance.now();
  const voice = await PolyvoxVoice.load("voice.onnx.json");
  const results = { load_s: (performance.now() - started) / 1000, threads: voice.threads };
  for (const [name, text] of Object.entries(texts)) {
    const firsts = [], factors = [];
    let audio_s = 0;
    for (let run = 0; run <= runs; run++) {  // run 0 warms up
      started = performance.now();
      for await (const chunk of voice.stream(text, { language: "en", seed: run })) {
        if (run) firsts.push((performance.now() - started) / 1000);
        break;
      }
      started = performance.now();
      const { samples, sampleRate } = await voice.synthesize(text, { language: "en", seed: run });
      audio_s = samples.length / sampleRate;
      if (run) factors.push((performance.now() - started) / 1000 / audio_s);
    }
    results[name] = { first_audio_s: firsts, real_time_factor: factors, audio_s };
  }
  return results;
}"""


def measure(page_folder: Path, runs: int, isolated: bool) -> dict[str, object]:
    with serve(page_folder, isolated=isolated) as url, chromium() as browser, open_page(browser, url + "index.html") as opened:
        raw = opened.page.evaluate(MEASURE, [TEXTS, runs])
        browser_version = browser.version
    summary: dict[str, object] = {"browser": f"Chromium {browser_version}", "threads": raw["threads"], "load_s": round(raw["load_s"], 3)}
    for name in TEXTS:
        figures = raw[name]
        summary[name] = {
            "audio_s": round(figures["audio_s"], 2),
            "first_audio_s": round(statistics.median(figures["first_audio_s"]), 3),
            "real_time_factor": round(statistics.median(figures["real_time_factor"]), 3),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, help="An exported page (default: export the bundled voice now).")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        page_folder = args.page or export_web(DEFAULT_VOICE, Path(scratch) / "page").directory
        results = {"single_thread": measure(page_folder, args.runs, isolated=False), "isolated": measure(page_folder, args.runs, isolated=True)}
    document = {
        "voice": DEFAULT_VOICE.name,
        "texts": TEXTS,
        "runs": args.runs,
        "machine": {
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        "results": results,
    }
    with atomic_path(RESULTS) as temporary:
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for setting, figures in results.items():
        for name in TEXTS:
            row = figures[name]
            print(f"{setting:13s} {name:9s} first audio {row['first_audio_s']:.3f} s, real-time factor {row['real_time_factor']:.3f} ({row['audio_s']} s of audio); load {figures['load_s']} s")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
