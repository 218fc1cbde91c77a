"""DNSMOS P.835 (SIG, BAK, OVRL, 1-5) with the ONNX model bundled in the ``speechmos`` package.

Only the model file is taken from speechmos (its Python module imports librosa, which polyvox does not
need); it runs here with onnxruntime, scored the way speechmos and Microsoft's reference script do it:
9.01 s windows one second apart (a shorter clip is repeated until it fills one), each window's raw
scores mapped by the published polynomials, then averaged. Not a naturalness model for synthesized
speech, but buzz and metallic artefacts lower SIG and OVRL.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from polyvox.evaluation.errors import EvaluationError

DNSMOS_SAMPLE_RATE = 16000
WINDOW_SECONDS = 9.01
# Polynomials (highest power first) from raw model outputs to P.835 scores, non-personalised model.
_SIG_POLYNOMIAL = (-0.08397278, 1.22083953, 0.0052439)
_BAK_POLYNOMIAL = (-0.13166888, 1.60915514, -0.39604546)
_OVRL_POLYNOMIAL = (-0.06766283, 1.11546468, 0.04602535)


@dataclass(frozen=True)
class DnsmosScores:
    sig: float  # speech signal quality
    bak: float  # background noise (higher: less noise)
    ovrl: float  # overall quality


def bundled_model_path() -> Path:
    """speechmos's ``dnsmos_models/sig_bak_ovr.onnx``, found without importing speechmos."""
    spec = importlib.util.find_spec("speechmos")
    if spec is None or not spec.submodule_search_locations:
        raise EvaluationError("DNSMOS needs the 'listen' extra (its model ships in speechmos): pip install 'polyvox[listen]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "dnsmos_models" / "sig_bak_ovr.onnx"
    if not path.is_file():
        raise EvaluationError(f"speechmos is installed but its DNSMOS model is missing ({path}); reinstall speechmos")
    return path


class Dnsmos:
    """The DNSMOS P.835 model in an onnxruntime session of ``threads`` threads."""

    def __init__(self, threads: int = 1, model_path: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session: Any = onnxruntime.InferenceSession(
            str(model_path or bundled_model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, samples: np.ndarray) -> DnsmosScores:
        """Scores of mono float32 ``samples`` at 16 kHz (clipped to [-1, 1])."""
        audio = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
        if audio.size == 0:
            raise EvaluationError("DNSMOS cannot score an empty clip")
        window = int(WINDOW_SECONDS * DNSMOS_SAMPLE_RATE)
        while audio.size < window:
            audio = np.concatenate([audio, audio])
        hops = int(np.floor(audio.size / DNSMOS_SAMPLE_RATE) - WINDOW_SECONDS) + 1
        raw = []
        for hop in range(hops):
            start = hop * DNSMOS_SAMPLE_RATE
            segment = audio[start : start + window]
            if segment.size < window:
                continue
            raw.append(self.session.run(None, {self.input_name: segment[np.newaxis, :]})[0][0])
        sig, bak, ovrl = np.asarray(raw, dtype=np.float64).T
        return DnsmosScores(
            sig=float(np.polyval(_SIG_POLYNOMIAL, sig).mean()),
            bak=float(np.polyval(_BAK_POLYNOMIAL, bak).mean()),
            ovrl=float(np.polyval(_OVRL_POLYNOMIAL, ovrl).mean()),
        )
