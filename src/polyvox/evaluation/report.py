"""The evaluation report: report.json (everything), report.md (tables), PNG figures, and a terminal summary."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from polyvox.evaluation import listener_report
from polyvox.evaluation.aggregate import MetricSummary, Summaries, summarize_by
from polyvox.evaluation.run import EvaluationResult
from polyvox.evaluation.scores import METRICS
from polyvox.files import atomic_path

# Column headings of the tables, per metric.
HEADINGS = {
    "mcd_db": "MCD-DTW dB",
    "f0_rmse_hz": "F0 RMSE Hz",
    "f0_rmse_cents": "F0 RMSE cents",
    "voicing_error": "V/UV error",
    "duration_ratio": "duration ratio",
    "frame_buzz": "frame buzz",
}


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    markdown: Path
    figures: tuple[Path, ...]


def by_language(result: EvaluationResult) -> Summaries:
    return summarize_by(result.results, lambda item: item.language)


def by_speaker(result: EvaluationResult) -> Summaries:
    return summarize_by(result.results, lambda item: item.speaker)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def _summaries_dict(summaries: Summaries) -> dict[str, Any]:
    return {
        system: {group: {metric: summary.to_dict() for metric, summary in metrics.items()} for group, metrics in groups.items()}
        for system, groups in summaries.items()
    }


def _cell(summary: MetricSummary, digits: int) -> str:
    if summary.count == 0:
        return "n/a"
    if math.isnan(summary.interval_low):
        return f"{summary.mean:.{digits}f}"
    return f"{summary.mean:.{digits}f} ± {(summary.interval_high - summary.interval_low) / 2:.{digits}f}"


_DIGITS = {"mcd_db": 2, "f0_rmse_hz": 1, "f0_rmse_cents": 0, "voicing_error": 3, "duration_ratio": 2, "frame_buzz": 3}


def _markdown_table(summaries: Summaries, group_name: str) -> list[str]:
    lines = [
        f"| {group_name} | system | n | " + " | ".join(HEADINGS[metric] for metric in METRICS) + " |",
        "|---|---|---:|" + "---:|" * len(METRICS),
    ]
    groups = list(dict.fromkeys(group for system_groups in summaries.values() for group in system_groups))
    for group in groups:
        for system, system_groups in summaries.items():
            if group not in system_groups:
                continue
            metrics = system_groups[group]
            cells = [_cell(metrics[metric], _DIGITS[metric]) for metric in METRICS]
            lines.append(f"| {group} | {system} | {metrics['mcd_db'].count} | " + " | ".join(cells) + " |")
    return lines


def summary_table(result: EvaluationResult) -> str:
    """Means per language and system, for the terminal (one line each)."""
    summaries = by_language(result)
    width = max(len(system) for system in result.systems)
    header = f"{'language':8}  {'system':{width}}  {'n':>3}  " + "  ".join(f"{HEADINGS[m]:>14}" for m in METRICS)
    lines = [header]
    languages = list(dict.fromkeys(item.language for item in result.results))
    for language in languages:
        for system in result.systems:
            metrics = summaries[system][language]
            values = "  ".join(
                f"{metrics[m].mean:>14.{_DIGITS[m]}f}" if metrics[m].count else f"{'n/a':>14}" for m in METRICS
            )
            lines.append(f"{language:8}  {system:{width}}  {metrics['mcd_db'].count:>3}  {values}")
    return "\n".join(lines)


def write_report(result: EvaluationResult, folder: Path, info: dict[str, Any] | None = None) -> ReportFiles:
    """Write report.json, report.md, metrics.png and spectrograms/<id>.png into ``folder``.

    ``info``: provenance stated at the top (voice file, its training steps, manifest of recordings).
    """
    from polyvox.evaluation import plots

    languages = by_language(result)
    speakers = by_speaker(result)
    figures = [plots.metric_bars(languages, folder / "metrics.png")]
    if result.heard:
        figures.append(plots.listener_bars(listener_report.summarize_heard(result.heard, lambda clip: clip.language),
                                           folder / "listener.png"))
    figures += [
        plots.spectrograms(example, result.sample_rate, folder / "spectrograms" / f"{example.utterance_id}.png")
        for example in result.examples
    ]
    document = {
        "info": info or {},
        "systems": list(result.systems),
        "analysis": result.settings,
        "by_language": _summaries_dict(languages),
        "by_speaker": _summaries_dict(speakers),
        "overall": _summaries_dict(summarize_by(result.results, lambda item: "all")),
        "utterances": [
            {
                "id": item.utterance_id, "system": item.system, "language": item.language, "speaker": item.speaker,
                "text": item.text, **{name: _finite(value) if isinstance(value, float) else value
                                      for name, value in asdict(item.scores).items()},
            }
            for item in result.results
        ],
        "figures": [str(path.relative_to(folder)) for path in figures],
    }
    if result.heard:
        document["listener"] = _listener_dict(result)
    json_path = folder / "report.json"
    with atomic_path(json_path) as temporary:
        temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path = folder / "report.md"
    with atomic_path(markdown_path) as temporary:
        temporary.write_text(_markdown(result, languages, speakers, info or {}, figures, folder), encoding="utf-8")
    return ReportFiles(json_path, markdown_path, tuple(figures))


def _markdown(
    result: EvaluationResult, languages: Summaries, speakers: Summaries, info: dict[str, Any], figures: list[Path], folder: Path
) -> str:
    lines = ["# Evaluation report", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["- analysis: " + ", ".join(f"{key} {value}" for key, value in result.settings.items()), ""]
    lines += ["Mean ± half-width of the 95 % confidence interval; medians are in report.json.", ""]
    lines += ["## Per language", "", *_markdown_table(languages, "language"), ""]
    lines += ["## Per speaker", "", *_markdown_table(speakers, "speaker"), ""]
    if result.heard:
        lines += _listener_markdown(result)
    lines += ["## Figures", ""]
    lines += [f"![{path.stem}]({path.relative_to(folder).as_posix()})" for path in figures]
    texts = {example.utterance_id: example.text for example in result.examples}
    lines += ["", *[f"- {identifier}: {text}" for identifier, text in texts.items()], ""]
    return "\n".join(lines)


def _listener_dict(result: EvaluationResult) -> dict[str, Any]:
    def summaries(group_of: Any) -> dict[str, Any]:
        grouped = listener_report.summarize_heard(result.heard, group_of)
        return {system: {group: summary.to_dict() for group, summary in groups.items()} for system, groups in grouped.items()}

    return {
        **result.listener,
        "by_language": summaries(lambda clip: clip.language),
        "by_speaker": summaries(lambda clip: clip.speaker),
        "overall": summaries(lambda clip: "all"),
        "clips": [listener_report.heard_dict(clip) for clip in result.heard],
    }


def _listener_markdown(result: EvaluationResult) -> list[str]:
    languages = listener_report.summarize_heard(result.heard, lambda clip: clip.language)
    speakers = listener_report.summarize_heard(result.heard, lambda clip: clip.speaker)
    lines = ["## Listener", ""]
    lines += [f"- {key}: {value}" for key, value in result.listener.items()]
    lines += ["", listener_report.units_note(item.language for item in result.heard)
              + " Rates pool every clip's errors; DNSMOS is a mean (1-5). The `recordings` rows are the recordings themselves.", ""]
    lines += [*listener_report.markdown_table(languages, "language"), ""]
    lines += [*listener_report.markdown_table(speakers, "speaker"), ""]
    return lines


def listener_summary(result: EvaluationResult) -> str:
    """The listener's figures per language and system for the terminal ('' without a listener)."""
    if not result.heard:
        return ""
    return listener_report.terminal_table(listener_report.summarize_heard(result.heard, lambda clip: clip.language))
