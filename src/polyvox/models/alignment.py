"""Monotonic alignment search (VITS) and conversions between hard paths and durations.

A *path* is a 0/1 tensor ``(batch, text_len, frames)`` with ``path[b, token, frame] == 1`` when the
frame belongs to the token. Every valid frame belongs to exactly one valid token and the tokens
follow the text order.

The search is a dynamic programme over frames, vectorised with numpy over the batch and text axes
(no numba or cython needed); only the loop over frames is in Python. It runs on the CPU whatever
the device of the input, and the path comes back on the input's device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor


# What a frame outside its token's window scores: never chosen while a path inside the windows exists.
OUTSIDE_WINDOW_SCORE = -1e9


def within_windows(log_likelihood: Tensor, windows: Tensor) -> Tensor:
    """``log_likelihood`` (batch, text_len, frames) with every frame outside its token's ``windows``
    (batch, text_len, 2: first and past-the-last frame) scored ``OUTSIDE_WINDOW_SCORE``."""
    frames = torch.arange(log_likelihood.shape[-1], device=log_likelihood.device)
    inside = (frames >= windows[..., :1]) & (frames < windows[..., 1:])
    return log_likelihood.masked_fill(~inside, OUTSIDE_WINDOW_SCORE)


def monotonic_alignment_search(log_likelihood: Tensor, text_mask: Tensor, frame_mask: Tensor) -> Tensor:
    """The monotone path with the largest summed ``log_likelihood``.

    Args:
        log_likelihood: ``(batch, text_len, frames)`` score of each frame under each token.
        text_mask: ``(batch, text_len)`` bool, true for real tokens (a prefix of each row).
        frame_mask: ``(batch, frames)`` bool, true for real frames (a prefix of each row).

    Returns:
        ``(batch, text_len, frames)`` 0/1 path with the dtype and device of ``log_likelihood``.

    With ``n_frames >= n_tokens`` (the normal case) the path is the VITS alignment: the first frame
    goes to the first token, the last frame to the last token, each token gets at least one frame
    and consecutive frames move on by at most one token.

    With ``n_frames < n_tokens`` no such path exists. The path is then the best monotone one that may
    skip tokens (those get 0 frames): the first frame still goes to the first token and, when there
    are at least two frames, the last frame to the last token. Items with no tokens or no frames get
    an all-zero path.
    """
    batch, text_len, n_frames = log_likelihood.shape
    text_lengths = text_mask.to(torch.long).sum(dim=1).cpu().numpy()
    frame_lengths = frame_mask.to(torch.long).sum(dim=1).cpu().numpy()
    valid = text_mask[:, :, None].bool() & frame_mask[:, None, :].bool()
    scores = torch.where(valid, log_likelihood.detach(), 0.0).to(device="cpu", dtype=torch.float64).numpy()

    path = np.zeros((batch, text_len, n_frames), dtype=np.float32)
    non_empty = (text_lengths > 0) & (frame_lengths > 0)
    regular = np.flatnonzero(non_empty & (frame_lengths >= text_lengths))
    degenerate = np.flatnonzero(non_empty & (frame_lengths < text_lengths))
    if regular.size > 0:
        path[regular] = _search_one_step(scores[regular], text_lengths[regular], frame_lengths[regular])
    if degenerate.size > 0:
        path[degenerate] = _search_with_skips(scores[degenerate], text_lengths[degenerate], frame_lengths[degenerate])
    return torch.from_numpy(path).to(device=log_likelihood.device, dtype=log_likelihood.dtype)


def _search_one_step(scores: np.ndarray, text_lengths: np.ndarray, frame_lengths: np.ndarray) -> np.ndarray:
    """VITS search for items with ``frames >= tokens``. scores (batch, text_len, frames) -> path."""
    batch, text_len, n_frames = scores.shape
    frame_count = int(frame_lengths.max())
    # best[b, token]: best score of a path over frames 0..frame that ends on ``token``.
    best = np.full((batch, text_len), -np.inf)
    best[:, 0] = scores[:, 0, 0]
    # advanced[b, frame, token]: the best path into (frame, token) came from token - 1.
    advanced = np.zeros((batch, frame_count, text_len), dtype=bool)
    from_previous_token = np.full((batch, text_len), -np.inf)
    for frame in range(1, frame_count):
        from_previous_token[:, 1:] = best[:, :-1]
        advanced[:, frame] = from_previous_token > best
        best = np.maximum(best, from_previous_token) + scores[:, :, frame]

    def step_back(frame: int, token: np.ndarray, items: np.ndarray) -> np.ndarray:
        return token - advanced[items, frame, token]

    return _backtrack(step_back, text_lengths, frame_lengths, (batch, text_len, n_frames))


def _search_with_skips(scores: np.ndarray, text_lengths: np.ndarray, frame_lengths: np.ndarray) -> np.ndarray:
    """Search for items with ``frames < tokens``: a frame may jump any number of tokens ahead."""
    batch, text_len, n_frames = scores.shape
    frame_count = int(frame_lengths.max())
    token_index = np.arange(text_len)
    best = np.full((batch, text_len), -np.inf)
    best[:, 0] = scores[:, 0, 0]
    # came_from[b, frame, token]: token at frame - 1 on the best path into (frame, token).
    came_from = np.zeros((batch, frame_count, text_len), dtype=np.int64)
    for frame in range(1, frame_count):
        running_best = np.maximum.accumulate(best, axis=1)
        # The latest token that reaches the running maximum is where that maximum comes from.
        came_from[:, frame] = np.maximum.accumulate(np.where(best >= running_best, token_index, 0), axis=1)
        best = running_best + scores[:, :, frame]

    def step_back(frame: int, token: np.ndarray, items: np.ndarray) -> np.ndarray:
        return came_from[items, frame, token]

    # A single frame cannot reach the last token and stays on the first one.
    last_tokens = np.where(frame_lengths >= 2, text_lengths - 1, 0)
    return _backtrack(step_back, last_tokens + 1, frame_lengths, (batch, text_len, n_frames))


def _backtrack(
    step_back: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
    end_token_counts: np.ndarray,
    frame_lengths: np.ndarray,
    shape: tuple[int, int, int],
) -> np.ndarray:
    """Walk from (last frame, token ``end_token_counts - 1``) back to frame 0, every item at once.

    ``step_back(frame, token, items)`` gives the token at ``frame - 1`` for the given items.
    """
    batch = shape[0]
    path = np.zeros(shape, dtype=np.float32)
    items = np.arange(batch)
    token = end_token_counts.astype(np.int64) - 1
    for frame in range(int(frame_lengths.max()) - 1, -1, -1):
        active = frame < frame_lengths
        path[items[active], token[active], frame] = 1.0
        if frame > 0:
            token = np.where(active, step_back(frame, token, items), token)
    return path


def durations_to_path(durations: Tensor, text_mask: Tensor, frame_mask: Tensor) -> Tensor:
    """Hard path from whole frame counts.

    Args:
        durations: ``(batch, text_len)`` frames per token (cast to long; padding tokens are ignored).
        text_mask: ``(batch, text_len)`` bool.
        frame_mask: ``(batch, frames)`` bool; the path is cut to it, so frames beyond the summed
            durations stay unassigned and durations beyond the frame count are truncated.

    Returns:
        ``(batch, text_len, frames)`` float 0/1 path on the device of ``durations``.
    """
    token_mask = text_mask.bool()
    whole_durations = durations.long().clamp(min=0) * token_mask
    token_ends = torch.cumsum(whole_durations, dim=1)  # (batch, text_len), exclusive end frame
    token_starts = token_ends - whole_durations
    frame_index = torch.arange(frame_mask.shape[1], device=durations.device)  # (frames,)
    inside = (frame_index[None, None, :] >= token_starts[:, :, None]) & (frame_index[None, None, :] < token_ends[:, :, None])
    inside = inside & token_mask[:, :, None] & frame_mask.bool()[:, None, :]
    return inside.to(torch.float32)


def path_to_durations(path: Tensor) -> Tensor:
    """Frames per token ``(batch, text_len)`` (long) from a ``(batch, text_len, frames)`` path."""
    return path.sum(dim=2).round().long()
