"""``GET /v1/models``: the server's voices as OpenAI's model list, since OpenAI clients list models
first and then send one of the ids as ``model``."""

from __future__ import annotations

from polyvox.server.errors import ApiError
from polyvox.server.schemas import ModelInfo, ModelList
from polyvox.server.speech_plan import POLYVOX_MODEL
from polyvox.server.voice_catalog import DEFAULT_VOICE_NAME, VoiceCatalog, VoiceFile

_NANOSECONDS = 1_000_000_000


def _written(voice_file: VoiceFile) -> int:
    return voice_file.version // _NANOSECONDS


def model_list(catalog: VoiceCatalog) -> ModelList:
    """``polyvox`` (the voice field chooses; the default voice without one) first, then every readable voice by name."""
    voices = [voice_file for voice_file, _metadata in catalog.readable()]
    models = [ModelInfo(id=voice_file.name, created=_written(voice_file)) for voice_file in voices]
    if all(voice_file.name != POLYVOX_MODEL for voice_file in voices):  # a voice of that name wins, as in requests
        default = next((voice_file for voice_file in voices if voice_file.name == DEFAULT_VOICE_NAME), None)
        models.insert(0, ModelInfo(id=POLYVOX_MODEL, created=_written(default) if default is not None else 0))
    return ModelList(data=models)


def find_model(catalog: VoiceCatalog, model_id: str) -> ModelInfo:
    """``GET /v1/models/{id}``: one entry of the list, or a 404 naming the ids there are."""
    models = model_list(catalog).data
    found = next((model for model in models if model.id == model_id), None)
    if found is None:
        raise ApiError(404, "model_not_found", f"no model {model_id!r}; this server has: {', '.join(model.id for model in models)}")
    return found
