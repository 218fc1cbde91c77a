"""One speech request: every synthesis option with its default, its range and what it does.

The CLI (``polyvox say``), the HTTP schema, the web UI, batch synthesis, evaluation and both engines
(``Voice``, ``OnnxVoice``) build and accept this one request, and read their defaults, ranges and help
from it. Adding an option is a field here, the lines of the engines that use it, and one line for each
front end that offers it (a ``say`` option, an HTTP field, a UI control). Nothing here imports torch,
so the CLI reads it before anything heavy loads.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from polyvox.audio.pitch import MAX_SEMITONES
from polyvox.inference.result import SynthesisError
from polyvox.inference.score import Score
from polyvox.synthesis_settings import STANDARD

# torch and numpy random generators take seeds up to 2**63 - 1 as a signed 64-bit integer.
MAX_SEED = 2**63 - 1
# What style="sample" draws with: the style sampler's default number of Euler steps.
STYLE_STEPS = 10
SAMPLED_STYLE = "sample"


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"  # an exact seed, not 9.22337e+18


@dataclass(frozen=True)
class Bound:
    """The closed range of a numeric option; outside it a voice speaks nothing useful (a 0.01 s file,
    full-scale noise, a pitch WORLD cannot resynthesise) or a seed does not fit a 64-bit generator."""

    low: float
    high: float
    unit: str = ""  # " semitones": said after the range

    def problem(self, option: str, value: float) -> str | None:
        """None when ``value`` is finite and within the bound; else one line saying what is accepted."""
        # Integers compare exactly: 2**63 - 1 as a float would be 2**63, past the largest seed.
        if (isinstance(value, int) or math.isfinite(value)) and self.low <= value <= self.high:
            return None
        return f"{option} must be between {_number(self.low)} and {_number(self.high)}{self.unit}, got {_number(value)}"


@dataclass(frozen=True)
class OptionSpec:
    """What the CLI help, the OpenAPI schema and the UI show of one option."""

    doc: str
    bound: Bound | None = None

    def help(self) -> str:
        """The doc with the accepted range, for a command's help."""
        if self.bound is None:
            return self.doc
        return f"{self.doc.rstrip('.')} ({_number(self.bound.low)} to {_number(self.bound.high)})."


def _option(default: Any, doc: str, low: float | None = None, high: float | None = None, unit: str = "") -> Any:
    bound = Bound(low, high, unit) if low is not None and high is not None else None
    return field(default=default, metadata={"spec": OptionSpec(doc, bound)})


@dataclass(frozen=True)
class SpeechRequest:
    """What to say and how. Fields keep the order of ``Voice.synthesize``'s former positional arguments.

    Building one checks every range (``SynthesisError`` with one line); the voice checks language and
    speaker against its own tables when it speaks (``polyvox.inference.request.VoiceText.options``).
    """

    text: str = _option("", "Text to speak; long text is split into sentences, spoken with a pause between.")
    language: str | None = _option(None, "Language code, e.g. en, zh, ja; default: the voice's first language.")
    speaker: str | int | None = _option(None, "Speaker name or index; default: one trained on the language.")
    # None: the voice's own setting (``SynthesisSettings``: its info's, else the standard one).
    speed: float | None = _option(
        None, f"Speaking rate; 1.0 is the trained rate; default: the voice's own setting, else {STANDARD.speed:g}.", 0.25, 4.0
    )
    noise_scale: float | None = _option(
        None, f"Variation in the voice; 0 is deterministic; default: the voice's own setting, else {STANDARD.noise_scale:g}.",
        0.0, 2.0,
    )
    noise_scale_duration: float | None = _option(
        None, "Variation in timing (stochastic durations); default: the voice's own "
        f"setting, else {STANDARD.noise_scale_duration:g}.", 0.0, 2.0,
    )
    seed: int | None = _option(None, "Random seed for repeatable output.", 0, MAX_SEED)
    pitch: float = _option(
        0.0, "Pitch shift in semitones; keeps the timing and the formants.", -MAX_SEMITONES, MAX_SEMITONES, " semitones"
    )
    # Audio file(s), or samples at the voice's rate (``polyvox.inference.reference.ReferenceAudio``).
    reference: Any = _option(
        None, "Speak in the voice of this clip (>= 0.5 s of speech, any language) instead of a trained speaker."
    )
    # Phoneme-level control (docs/synthesis.md): what to say written in the voice's own symbols, bypassing the front end.
    phonemes: str | None = _option(
        None, "Say these phonemes of the voice instead of a text: symbols separated by spaces, | between words "
        "(polyvox say TEXT --print-phonemes writes a text's)."
    )
    # A ``Score``, or its JSON object ({"notes": [...]}): parsed and checked when the request is built.
    score: Any = _option(
        None, "Sing a score instead of a text (JSON, docs/synthesis.md): each phoneme with its duration in ms and a pitch "
        "(midi or hz), optionally energy_db."
    )
    # Style, apart from the speaker (voices trained with model.style; docs/synthesis.md). Audio as ``reference`` takes it.
    style_reference: Any = _option(
        None, "Speak in the style of this clip (how it is said: rate, pitch range, energy); the speaker or reference "
        "still sets the voice."
    )
    emotion: str | None = _option(None, "Speak in this style label of the voice (its training manifest's style field).")
    style_strength: float = _option(
        1.0, "How much of the emotion or style reference: 0 is the voice's neutral style, 1 as given, above 1 exaggerated.",
        0.0, 2.0,
    )
    # The style sampler (voices trained with model.style_sampler): a style drawn for each sentence from its text.
    style: str | None = _option(
        None, "sample: draw a style that fits each sentence from the voice's style sampler (varied prosody with no "
        "reference or emotion; --seed repeats it)."
    )
    style_steps: int = _option(
        STYLE_STEPS, "Steps the style sampler takes from noise to a style: more are smoother, fewer are faster.", 1, 200
    )
    style_scale: float = _option(
        1.0, "How closely a sampled style follows the text: 0 ignores it, 1 as trained, above 1 more.", 0.0, 10.0
    )
    # After the fields above: they keep the order of ``Voice.synthesize``'s former positional arguments.
    reference_pitch: bool = _option(
        True, "With a reference clip, move each sentence's pitch to the clip's (its median F0, as pitch moves it); "
        "false keeps the register of the trained voice the clip's timbre lies near."
    )

    def __post_init__(self) -> None:
        if self.score is not None:
            object.__setattr__(self, "score", Score.parse(self.score))
        problem = first_problem(_values(self)) or _input_problem(self)
        if problem is not None:
            raise SynthesisError(problem)


def _input_problem(request: SpeechRequest) -> str | None:
    """What to say is given once: a text, phonemes, or a score (which carries its own phonemes)."""
    if request.score is not None and (request.text.strip() or request.phonemes is not None):
        return "give a text, phonemes or a score, not two of them: a score carries its own phonemes"
    if request.score is not None and request.speed not in (None, 1.0):
        return "a score sets its own durations: leave speed at 1 and scale the notes' ms instead"
    if request.phonemes is not None and request.text.strip():
        return "give a text or phonemes, not both"
    if not isinstance(request.reference_pitch, bool):
        return f"reference_pitch must be true or false, got {request.reference_pitch!r}"
    if request.emotion is not None and request.style_reference is not None:
        return "give an emotion or a style reference, not both: each sets the style"
    style_problem = _sampled_style_problem(request)
    if style_problem is not None:
        return style_problem
    if request.style_strength != 1.0 and request.emotion is None and request.style_reference is None:
        return "style_strength scales an emotion or a style reference; give one of them (without, the voice speaks its neutral style)"
    # --pitch transposes a score: its notes must stay where WORLD can follow them.
    return None if request.score is None else request.score.transposition_problem(request.pitch)


def _sampled_style_problem(request: SpeechRequest) -> str | None:
    """style is "sample" or left out; it replaces an emotion or a style reference, and its steps and scale tune it alone."""
    if request.style is not None and request.style != SAMPLED_STYLE:
        return f"style must be {SAMPLED_STYLE!r} (draw one from the voice's style sampler) or left out, got {request.style!r}"
    if isinstance(request.style_steps, bool) or not isinstance(request.style_steps, int):
        return f"style_steps must be a whole number of steps, got {request.style_steps!r}"
    if request.style is None:
        tuned = request.style_steps != STYLE_STEPS or request.style_scale != 1.0
        return f"style_steps and style_scale tune style {SAMPLED_STYLE!r}; ask for it too, or leave them out" if tuned else None
    if request.emotion is not None or request.style_reference is not None:
        return f"give style {SAMPLED_STYLE!r}, an emotion or a style reference, not two of them: each sets the style"
    if request.style_strength != 1.0:
        return "style_strength scales an emotion or a style reference; a sampled style follows the text by style_scale instead"
    return None


def _values(request: SpeechRequest) -> dict[str, Any]:
    # Not dataclasses.asdict: that deep-copies the reference samples.
    return {name: getattr(request, name) for name in SPECS}


# Each option's doc and range, and its default, by field name.
SPECS: Mapping[str, OptionSpec] = {item.name: item.metadata["spec"] for item in dataclasses.fields(SpeechRequest)}
DEFAULTS: Mapping[str, Any] = {item.name: item.default for item in dataclasses.fields(SpeechRequest)}


def first_problem(values: Mapping[str, Any], name_of: Callable[[str], str] = str) -> str | None:
    """The first value outside its option's range, as one line naming the option by ``name_of``; None when all fit."""
    for name, value in values.items():
        bound = SPECS[name].bound
        problem = None if bound is None or value is None else bound.problem(name_of(name), value)
        if problem is not None:
            return problem
    return None


def as_request(text: str | SpeechRequest, args: tuple[Any, ...], options: Mapping[str, Any]) -> SpeechRequest:
    """The request of ``engine.synthesize(request)`` or of the keyword form ``engine.synthesize(text, language=..., ...)``."""
    if isinstance(text, SpeechRequest):
        if args or options:
            raise TypeError("give a SpeechRequest or the text with its options, not both")
        return text
    return SpeechRequest(text, *args, **options)
