"""One sentence from several polyvox voices, drawn as spectrograms one above the other, each titled with its frame
buzz (polyvox.evaluation.buzz): to see what a figure such as DNSMOS or the frame buzz is made of.

    python benchmarks/voice_spectrograms.py VOICE.safetensors [VOICE ...] --plot OUT.png
        [--text "The birch canoe slid on the smooth planks."] [--language en] [--name TITLE --name TITLE ...]

Each voice speaks with its default speaker and settings, seed 0, at one thread.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from listener_spectrograms import draw_spectrograms

# The first Harvard sentence (benchmarks/listener.py's Harvard part starts with it).
DEFAULT_TEXT = "The birch canoe slid on the smooth planks."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("voices", nargs="+", type=Path)
    parser.add_argument("--plot", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--text", default=DEFAULT_TEXT)
    parser.add_argument("--language", default="en")
    parser.add_argument("--name", dest="names", action="append", help="a panel's title, one per voice in order (default: the files' names)")
    arguments = parser.parse_args()
    names = arguments.names or [path.stem for path in arguments.voices]
    if len(names) != len(arguments.voices):
        parser.error(f"--name gives {len(names)} titles for {len(arguments.voices)} voices")
    from polyvox.inference.voice import Voice

    panels, rate = {}, 0
    for name, path in zip(names, arguments.voices):
        result = Voice.load(path, threads=1).synthesize(arguments.text, language=arguments.language, seed=0)
        if rate and result.sample_rate != rate:
            parser.error(f"{path} speaks at {result.sample_rate} Hz, the voices before it at {rate} Hz")
        panels[name], rate = result.samples, result.sample_rate
    draw_spectrograms(panels, rate, arguments.plot, f"seconds ({arguments.text!r}, seed 0)")
    print(f"wrote {arguments.plot}")


if __name__ == "__main__":
    main()
