"""The Gradio page of ``polyvox ui``: text, voice, language, speaker (or a reference clip), speed, pitch and, for a
style voice, its style (an emotion or a style clip at a strength, or one sampled from the text) in; audio to play and
download out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.errors import PolyvoxError
from polyvox.speech_request import DEFAULTS, SPECS
from polyvox.ui.voices import AUTO_SPEAKER, NEUTRAL_STYLE, UiInputError, UiVoices, VoiceChoices

if TYPE_CHECKING:
    import gradio

# Errors whose message tells the user what to change; they are shown in the page, not as a traceback.
SHOWN_ERRORS = (PolyvoxError,)


def shown(error: Exception) -> gradio.Error:
    """The message in the page, and no traceback in the console: the visitor's input was at fault, not the program."""
    import gradio as gr

    return gr.Error(str(error), print_exception=False)


def option_slider(name: str, step: float, label: str, value: float | None = None) -> gradio.Slider:
    """A slider over the range of ``SpeechRequest``'s option ``name``, at ``value`` (None: the option's default)."""
    import gradio as gr

    bound = SPECS[name].bound
    assert bound is not None, f"{name} has no range to slide over"
    value = DEFAULTS[name] if value is None else value
    assert value is not None, f"{name}'s default is the voice's own: pass the voice's value"
    return gr.Slider(bound.low, bound.high, value=value, step=step, label=label, info=SPECS[name].doc)


def style_controls(choices: VoiceChoices) -> tuple[Any, Any, Any]:
    """Updates of the style menu, strength slider and style clip for a voice's choices: shown, at neutral and with no
    clip, for a style voice only."""
    import gradio as gr

    shown_now = bool(choices.styles)
    menu = gr.Dropdown(choices=choices.styles, value=NEUTRAL_STYLE if shown_now else None, visible=shown_now)
    return menu, gr.Slider(visible=shown_now), gr.Audio(value=None, visible=shown_now)


def build_ui(default_voice: Path = DEFAULT_VOICE, voices_dir: Path | None = None, text_features: Path | None = None) -> gradio.Blocks:
    """The page, not yet launched (``.launch()`` serves it); raises ``UiInputError`` when no voice can be read, and
    ``TextFeaturesError`` when the first voice needs text features and ``text_features`` (a model folder) is not its model."""
    import gradio as gr

    voices = UiVoices(default_voice, voices_dir, text_features=text_features)
    names = voices.voice_names()
    if not names:
        raise UiInputError(f"no readable voice: {default_voice} and the voices folder have none; check the paths")
    voices.check_text_features(names[0])  # the voice a visitor hears first; the others are checked when picked
    first = voices.choices(names[0])

    def voice_choices(voice_name: str) -> tuple[Any, Any, Any]:
        try:
            choices = voices.choices(voice_name)
        except SHOWN_ERRORS as error:
            raise shown(error) from error
        return (
            gr.Dropdown(choices=choices.languages, value=choices.languages[0]),
            gr.Dropdown(choices=choices.speakers, value=AUTO_SPEAKER),
            gr.Slider(value=choices.speed),
        )

    def style_choices(voice_name: str) -> tuple[Any, Any, Any]:
        try:
            return style_controls(voices.choices(voice_name))
        except SHOWN_ERRORS as error:
            raise shown(error) from error

    def synthesize(
        text: str, voice_name: str, language: str, speaker: str, speed: float, pitch: float, seed: float | None,
        reference: str | None = None, phonemes: str = "", score: str | None = None, style: str | None = None,
        style_strength: float = DEFAULTS["style_strength"], style_reference: str | None = None,
        reference_pitch: bool = DEFAULTS["reference_pitch"],
    ) -> tuple[int, np.ndarray]:
        try:
            return voices.speak(
                text, voice_name, language, speaker, speed, pitch, seed, reference, phonemes or "", score, style, style_strength,
                style_reference, reference_pitch,
            )
        except SHOWN_ERRORS as error:
            raise shown(error) from error

    with gr.Blocks(title="polyvox", analytics_enabled=False) as page:
        gr.Markdown("# polyvox\nMultilingual text-to-speech. Type, pick a voice, press **Speak**.")
        with gr.Row():
            with gr.Column():
                text = gr.Textbox(label="Text", lines=5, placeholder="Hello from polyvox.")
                with gr.Row():
                    voice = gr.Dropdown(names, value=names[0], label="Voice")
                    language = gr.Dropdown(first.languages, value=first.languages[0], label="Language")
                    speaker = gr.Dropdown(first.speakers, value=AUTO_SPEAKER, label="Speaker")
                speed = option_slider("speed", 0.05, "Speed", first.speed)
                pitch = option_slider("pitch", 0.5, "Pitch (semitones)")
                with gr.Row():
                    # Shown for voices trained with style (model.style): its labels, and a sampled style with a sampler.
                    # Any value is let through to the voice, which names its labels (the menu's choices are per page).
                    style = gr.Dropdown(
                        first.styles, value=NEUTRAL_STYLE if first.styles else None, label="Style", visible=bool(first.styles),
                        info="How it is said: one of the voice's style labels, or a style sampled to fit the text.",
                        allow_custom_value=True,
                    )
                    style_strength = option_slider("style_strength", 0.05, "Style strength")
                    style_strength.visible = bool(first.styles)
                style_reference = gr.Audio(
                    sources=["upload"], type="filepath", visible=bool(first.styles),
                    label="Style clip (optional): speak in the style of this clip (leave the Style menu at neutral)",
                )
                seed = gr.Number(None, precision=0, label="Seed (empty: new variation each time)")
                reference = gr.Audio(
                    sources=["upload"], type="filepath",
                    label="Reference clip (optional): speak in this voice instead of the speaker above",
                )
                reference_pitch = gr.Checkbox(
                    DEFAULTS["reference_pitch"], label="Follow the reference clip's pitch",
                    info="Move the speech to the clip's median F0, as the pitch slider moves it; off: the voice's own register.",
                )
                phonemes = gr.Textbox(
                    "", label="Phonemes (optional, in place of the text)", placeholder="h ə l ˈoʊ | w ˈɜː l d .",
                    info="The voice's own symbols, | between words; `polyvox say TEXT --print-phonemes` writes a text's.",
                )
                score = gr.File(
                    label="Score (optional, in place of the text): JSON notes with ms and midi or hz (docs/synthesis.md)",
                    file_types=[".json"], type="filepath",
                )
                speak = gr.Button("Speak", variant="primary")
            with gr.Column():
                audio = gr.Audio(label="Speech", type="numpy", buttons=["download"], interactive=False)
        voice.change(voice_choices, inputs=voice, outputs=[language, speaker, speed], api_name="voice_choices")
        voice.change(style_choices, inputs=voice, outputs=[style, style_strength, style_reference], api_name="style_choices")
        speak.click(
            synthesize,
            inputs=[
                text, voice, language, speaker, speed, pitch, seed, reference, phonemes, score, style, style_strength, style_reference,
                reference_pitch,
            ],
            outputs=audio, api_name="synthesize",
        )
    return page
