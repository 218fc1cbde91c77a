"""Time to first audio and real-time factor of the exported page in headless Chromium (``polyvox export --web``).

The page is served from localhost and driven through Playwright (``pip install 'polyvox[web]'``, Debian's
chromium; the npm runtime from ``npm ci --prefix src/polyvox/web``). Everything is measured inside the page
with ``performance.now()``: loading the voice (espeak-ng's data, both graphs), the first chunk of
``stream`` after the call (phonemes, encoder, first decoder window), and ``synthesize``'s time over the
audio's length (real-time factor; under 1 is faster than real time). Each figure is the median over
--runs runs after one warm-up, for one short sentence and a five-sentence paragraph, on one thread (a
plain page) and on several (a cross-origin isolated page, where onnxruntime-web may use threads).
The bundled voice's page is exported with float32, int8 and fp16 graphs (``--quantize``) and the three
are measured in turns, --rounds times (each round a fresh browser per page and setting), so that the
load of a shared machine falls on each alike; the medians pool every round's runs.
Writes benchmarks/results/web.json.

    python benchmarks/web.py                  # exports the three pages into a temporary folder
    python benchmarks/web.py --models float32 int8 --runs 3 --rounds 1
    python benchmarks/web.py --page DIR       # one exported page only
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
from polyvox.export.quantize import QUANTIZATIONS
from polyvox.export.web_export import export_web
from polyvox.files import atomic_path

RESULTS = Path(__file__).parent / "results" / "web.json"
FLOAT32 = "float32"  # the page without --quantize
MODELS = (FLOAT32, *QUANTIZATIONS)
SETTINGS = {"single_thread": False, "isolated": True}  # name -> cross-origin isolated
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
    """One browser session's raw figures (lists of seconds per run) and the browser's name."""
    with serve(page_folder, isolated=isolated) as url, chromium() as browser, open_page(browser, url + "index.html") as opened:
        raw = opened.page.evaluate(MEASURE, [TEXTS, runs])
        raw["browser"] = f"Chromium {browser.version}"
    return raw


def summarize(sessions: list[dict[str, object]]) -> dict[str, object]:
    """Medians over every run of every round's session of one page and setting."""
    first = sessions[0]
    summary: dict[str, object] = {
        "browser": first["browser"], "threads": first["threads"],
        "load_s": round(statistics.median(session["load_s"] for session in sessions), 3),
    }
    for name in TEXTS:
        summary[name] = {
            "audio_s": round(first[name]["audio_s"], 2),
            "first_audio_s": round(statistics.median(x for session in sessions for x in session[name]["first_audio_s"]), 3),
            "real_time_factor": round(statistics.median(x for session in sessions for x in session[name]["real_time_factor"]), 3),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, help="An exported page to measure alone (default: export the bundled voice's pages now).")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS), help="The graphs of the exported pages.")
    parser.add_argument("--runs", type=int, default=5, help="Runs per browser session, after one warm-up.")
    parser.add_argument("--rounds", type=int, default=2, help="Turns over the pages.")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        if args.page:
            pages = {"page": args.page}
        else:
            pages = {
                model: export_web(DEFAULT_VOICE, Path(scratch) / model, quantize=None if model == FLOAT32 else model).directory
                for model in args.models
            }
        sessions: dict[tuple[str, str], list[dict[str, object]]] = {}
        for _ in range(args.rounds):
            for model, folder in pages.items():
                for setting, isolated in SETTINGS.items():
                    sessions.setdefault((model, setting), []).append(measure(folder, args.runs, isolated))
    results = {model: {setting: summarize(sessions[model, setting]) for setting in SETTINGS} for model in pages}
    document = {
        "voice": DEFAULT_VOICE.name if not args.page else str(args.page),
        "texts": TEXTS,
        "runs": args.runs,
        "rounds": args.rounds,
        "machine": {
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        "results": results,
    }
    with atomic_path(RESULTS) as temporary:
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for model, by_setting in results.items():
        for setting, figures in by_setting.items():
            for name in TEXTS:
                row = figures[name]
                print(
                    f"{model:8s} {setting:13s} {name:9s} first audio {row['first_audio_s']:.3f} s, "
                    f"real-time factor {row['real_time_factor']:.3f} ({row['audio_s']} s of audio); load {figures['load_s']} s"
                )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
