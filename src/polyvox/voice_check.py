"""A voice file's tensors checked against the generator its own metadata builds: every shape, floating
point where the model computes in floating point, and finite values. A hand-edited or damaged voice is
one ``VoiceFileError`` naming what does not fit, before anything is spoken."""

from __future__ import annotations

from pathlib import Path

import torch

from polyvox.errors import VoiceFileError

# Problems named in the one-line error; polyvox doctor lists them all.
LISTED_PROBLEMS = 3


def tensor_problems(generator: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> list[str]:
    """What keeps ``tensors`` from being the weights of ``generator``: shapes, dtypes, NaN or Inf."""
    expected = generator.state_dict()
    problems = []
    for name, tensor in tensors.items():
        wanted = expected.get(name)
        if wanted is None:
            continue  # unexpected names are reported by load_state_dict's caller
        if tuple(tensor.shape) != tuple(wanted.shape):
            problems.append(f"{name} has shape {list(tensor.shape)} but the voice's config and tables make {list(wanted.shape)}")
        elif wanted.is_floating_point() and not tensor.is_floating_point():
            problems.append(_not_floating(name, tensor))
        elif tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            problems.append(f"{name} has NaN or infinite values")
    return problems


def non_floating_tensors(generator: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> list[str]:
    """Tensors stored as integers where the model computes in floating point (they load, silently converted)."""
    expected = generator.state_dict()
    return [
        _not_floating(name, tensor)
        for name, tensor in tensors.items()
        if name in expected and expected[name].is_floating_point() and not tensor.is_floating_point()
    ]


def _not_floating(name: str, tensor: torch.Tensor) -> str:
    return f"{name} holds {str(tensor.dtype).removeprefix('torch.')} values, not floating point"


def check_voice_tensors(generator: torch.nn.Module, tensors: dict[str, torch.Tensor], path: str | Path) -> None:
    problems = tensor_problems(generator, tensors)
    if problems:
        more = f" and {len(problems) - LISTED_PROBLEMS} more" if len(problems) > LISTED_PROBLEMS else ""
        raise VoiceFileError(
            f"{path} is damaged or was edited: {'; '.join(problems[:LISTED_PROBLEMS])}{more}; "
            f"polyvox doctor {path} lists every problem"
        )
