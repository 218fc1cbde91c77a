"""``polyvox doctor``: check a voice file or training checkpoint before trusting it.

1. The component fingerprint against a config (when one is given) and against the file's own
   recorded fingerprint (an embedded config edited after training shows up here).
2. Every stored tensor for NaN / Inf, by name.
3. The weights load into the architecture the file describes (anything left out is listed).
4. Each module runs on a probe input (a few phonemes of the voice's own symbol table, a random
   mel): per module, is the output finite and of sane size; the first module (in execution order,
   down to sub-modules) that produces NaN or Inf is named. A style sampler draws a style for the probe.
5. A voice trained with text features: its model (name, size, weights hash) is shown, and a model folder given is
   compared with it (each difference listed); the probe feeds the text-feature projection random features.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from polyvox.voice_file import VoiceFileError, VoiceMetadata, build_generator, load_voice_file
from polyvox.checkpoint_reading import load_checkpoint
from polyvox.config import VoiceConfig
from polyvox.fingerprint import FINGERPRINT_KEY, Difference, compare_fingerprints, component_fingerprint, text_feature_model
from polyvox.partial_loading import load_partial_state
from polyvox.speech_request import STYLE_STEPS
from polyvox.synthesis_settings import STANDARD
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID, RESERVED_SYMBOLS
from polyvox.voice_check import non_floating_tensors

# An output whose magnitude exceeds this is flagged as out of range (waveforms are in [-1, 1],
# latents and log-scales of a healthy model stay within tens).
SANE_MAX_ABS = 1e4
# Phonemes of the probe sentence and latent frames given to each.
PROBE_PHONEMES = 5
PROBE_FRAMES_PER_PHONEME = 2
GENERATOR_PREFIX = "generator."


@dataclass(frozen=True)
class ModuleCheck:
    name: str
    finite: bool
    max_abs: float  # over the finite values (nan when none is finite)

    @property
    def sane(self) -> bool:
        return self.finite and self.max_abs <= SANE_MAX_ABS


@dataclass
class DoctorReport:
    path: str
    differences: list[Difference] = field(default_factory=list)
    nonfinite_parameters: list[str] = field(default_factory=list)
    load_problems: list[str] = field(default_factory=list)
    modules: list[ModuleCheck] = field(default_factory=list)
    # The first module (a component, then its innermost sub-module) whose output is not finite.
    first_nonfinite_module: str | None = None
    first_nonfinite_submodule: str | None = None
    # A text-feature voice's model, described (None: the voice has none).
    text_features: str | None = None

    @property
    def passed(self) -> bool:
        return not (self.differences or self.nonfinite_parameters or self.load_problems) and all(m.sane for m in self.modules)


def load_for_diagnosis(path: str | Path) -> tuple[dict[str, Tensor], VoiceMetadata, dict[str, Any] | None]:
    """Tensors, metadata and recorded fingerprint of a voice file (.safetensors) or a training checkpoint (.ckpt)."""
    path = Path(path)
    if path.suffix == ".ckpt":
        if not path.is_file():
            raise VoiceFileError(f"checkpoint not found: {path}")
        checkpoint = load_checkpoint(path)  # one-line errors for a truncated file or a pickle of arbitrary objects
        state = checkpoint.get("polyvox") if isinstance(checkpoint, dict) else None
        if not state or "metadata" not in state:
            raise VoiceFileError(f"{path} is not a polyvox training checkpoint (no 'polyvox' metadata)")
        strings = state["metadata"]
        tensors = {
            name[len(GENERATOR_PREFIX) :]: tensor.float() if tensor.is_floating_point() else tensor
            for name, tensor in checkpoint["state_dict"].items()
            if name.startswith(GENERATOR_PREFIX)
        }
        metadata = VoiceMetadata.from_strings(strings, str(path))
    else:
        from safetensors import safe_open

        tensors, metadata = load_voice_file(path)
        with safe_open(str(path), framework="pt") as handle:
            strings = handle.metadata() or {}
    recorded = json.loads(strings[FINGERPRINT_KEY]) if FINGERPRINT_KEY in strings else None
    return tensors, metadata, recorded


def probe_ids(metadata: VoiceMetadata) -> list[int]:
    """``^ p1 .. pN $`` from the voice's own (non-reserved) symbols, with blanks when the voice uses them."""
    own = [index for index in range(len(RESERVED_SYMBOLS), len(metadata.symbols))][:PROBE_PHONEMES] or [PAD_ID]
    ids = [BOS_ID, *own, EOS_ID]
    if not metadata.config.text.add_blank:
        return ids
    return [PAD_ID] + [value for symbol_id in ids for value in (symbol_id, PAD_ID)]


def _tensors_in(value: Any) -> list[Tensor]:
    if torch.is_tensor(value):
        return [value] if value.is_floating_point() else []
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors_in(item)]
    if is_dataclass(value):
        return [t for f in fields(value) for t in _tensors_in(getattr(value, f.name))]
    return []


def check_output(name: str, value: Any) -> ModuleCheck:
    tensors = _tensors_in(value)
    finite = all(bool(torch.isfinite(t).all()) for t in tensors)
    finite_values = [t[torch.isfinite(t)] for t in tensors]
    maxima = [float(v.abs().max()) for v in finite_values if v.numel()]
    return ModuleCheck(name, finite, max(maxima) if maxima else math.nan)


def run_probe(generator: torch.nn.Module, metadata: VoiceMetadata, seed: int = 0) -> tuple[list[ModuleCheck], str | None]:
    """Run each component once on a probe input; returns the checks and the first non-finite sub-module."""
    torch.manual_seed(seed)
    first_bad: list[str] = []

    def hook(module: torch.nn.Module, inputs: Any, output: Any, name: str = "") -> None:
        if not first_bad and not all(bool(torch.isfinite(t).all()) for t in _tensors_in(output)):
            first_bad.append(name)

    handles = [
        module.register_forward_hook(lambda m, i, o, name=name: hook(m, i, o, name))
        for name, module in generator.named_modules()
        if name
    ]
    checks: list[ModuleCheck] = []
    try:
        with torch.no_grad():
            ids = torch.tensor([probe_ids(metadata)])
            languages = torch.zeros_like(ids)
            lengths = torch.tensor([ids.shape[1]])
            speaker = generator.speaker_vector(torch.zeros(1, dtype=torch.long))
            section = metadata.config.model.text_features
            # Features of the projection's size (BERT-like values), so a broken projection shows up here.
            features = torch.randn(1, ids.shape[1], section.dim) if section.enabled else None
            text = generator.text_encoder(ids, languages, lengths, speaker, text_features=features)
            checks.append(check_output("text_encoder", text))
            checks.append(check_output("speaker_embedding", speaker))
            checks.append(check_output("duration_predictor", generator.duration_predictor(text.hidden, text.text_mask, speaker)))
            stochastic = generator.stochastic_duration_predictor.infer(text.hidden, text.text_mask, speaker, noise_scale=STANDARD.noise_scale_duration)
            checks.append(check_output("stochastic_duration_predictor", stochastic))
            # Fixed durations, so a broken duration predictor does not hide the modules after it.
            durations = torch.where(ids == PAD_ID, 0, PROBE_FRAMES_PER_PHONEME).float() * text.text_mask.squeeze(1)
            frames = int(durations.sum())
            path = torch.zeros(1, ids.shape[1], frames)
            ends = torch.cumsum(durations[0], 0).long()
            for token, (start, end) in enumerate(zip([0, *ends[:-1].tolist()], ends.tolist())):
                path[0, token, start:end] = 1.0
            frame_mask = torch.ones(1, 1, frames)
            prior_latent = torch.matmul(text.prior_means, path)
            latent = generator.flow(prior_latent, frame_mask, speaker, reverse=True)
            checks.append(check_output("flow (reverse)", latent))
            mel = torch.randn(1, metadata.config.audio.n_mels, frames) - 5.0
            checks.append(check_output("posterior_encoder", generator.posterior_encoder(mel, frame_mask, speaker)))
            if generator.style_encoder is not None:
                # Its encoding of the probe mel, the neutral style and every label's row: what synthesis takes.
                style = generator.style_encoder
                rows = [] if style.label_table is None else [style.label_vectors(torch.arange(style.label_table.num_embeddings))]
                checks.append(check_output("style_encoder", [style.encode(mel, frame_mask), style.neutral, *rows]))
            if generator.style_sampler is not None:
                # A style drawn for the probe sentence as style "sample" draws it (its default steps, guided and not).
                condition = generator.style_condition(ids, languages, lengths, speaker, text_features=features)
                sampler = generator.style_sampler
                drawn = [sampler.sample(condition, STYLE_STEPS, scale, torch.Generator().manual_seed(seed)) for scale in (1.0, 2.0)]
                checks.append(check_output("style_sampler", drawn))
            checks.append(check_output("decoder", generator.decoder(latent, speaker)))
    finally:
        for handle in handles:
            handle.remove()
    return checks, (first_bad[0] if first_bad else None)


def diagnose(
    path: str | Path, config: VoiceConfig | None = None, seed: int = 0, text_features: str | Path | None = None
) -> DoctorReport:
    """Every check above on the voice or checkpoint at ``path``; ``config`` is what it will be used with,
    ``text_features`` the model folder it will speak with."""
    tensors, metadata, recorded = load_for_diagnosis(path)
    report = DoctorReport(path=str(path))
    report.differences += _text_feature_differences(metadata, text_features, report)
    own = component_fingerprint(metadata, tensors=tensors)  # a style sampler's weights as they are in the file
    if recorded is not None:
        report.differences += compare_fingerprints(recorded, own)
    if config is not None:
        given_metadata = VoiceMetadata(config, metadata.symbols, metadata.languages, metadata.speakers, {})
        given = component_fingerprint(given_metadata, tensors=tensors)
        report.differences += compare_fingerprints(recorded if recorded is not None else own, given)
    report.nonfinite_parameters = [
        name for name, tensor in tensors.items() if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]
    generator = build_generator(metadata).eval()
    report.load_problems = non_floating_tensors(generator, tensors) + load_partial_state(generator, tensors).lines()
    report.modules, report.first_nonfinite_submodule = run_probe(generator, metadata, seed)
    report.first_nonfinite_module = next((check.name for check in report.modules if not check.finite), None)
    return report


def _text_feature_differences(metadata: VoiceMetadata, folder: str | Path | None, report: DoctorReport) -> list[Difference]:
    """The voice's text-feature model against the one in ``folder`` (none without a folder or a text-feature voice)."""
    from polyvox.text.text_features import describe, model_identity

    wanted = text_feature_model(metadata.config)
    if metadata.config.model.text_features.enabled:
        report.text_features = describe(wanted) + ("" if folder is not None else "; pass --text-features FOLDER to check a folder")
    if folder is None:
        return []
    given = model_identity(folder)
    return [
        Difference(f"text_features.{name}", getattr(wanted, name), getattr(given, name))
        for name in ("name", "dim", "weights_sha256")
        if getattr(wanted, name) != getattr(given, name)
    ]


def format_report(report: DoctorReport) -> str:
    """The report as text: problems first, then one row per module."""
    lines = [f"doctor: {report.path}"]
    if report.text_features:
        lines.append(f"text features: {report.text_features}")
    if report.differences:
        lines.append(f"config differs from the one trained with ({len(report.differences)}):")
        lines += [f"  {difference.describe()}" for difference in report.differences]
    if report.nonfinite_parameters:
        lines.append(f"parameters with NaN or Inf ({len(report.nonfinite_parameters)}):")
        lines += [f"  {name}" for name in report.nonfinite_parameters]
    if report.load_problems:
        lines.append("weights that do not fit the file's own architecture:")
        lines += [f"  {problem}" for problem in report.load_problems]
    width = max(len(check.name) for check in report.modules) if report.modules else 6
    lines.append(f"{'module':<{width}}  finite  max |value|  status")
    for check in report.modules:
        status = "ok" if check.sane else ("NON-FINITE" if not check.finite else f"OUT OF RANGE (> {SANE_MAX_ABS:g})")
        lines.append(f"{check.name:<{width}}  {'yes' if check.finite else 'no':<6}  {check.max_abs:>11.4g}  {status}")
    if report.first_nonfinite_module:
        lines.append(
            f"first module producing NaN/Inf: {report.first_nonfinite_module} "
            f"(innermost: {report.first_nonfinite_submodule or 'unknown'})"
        )
    lines.append("PASS" if report.passed else "FAIL")
    return "\n".join(lines)
