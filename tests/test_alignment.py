"""Monotonic alignment search against brute force, and path <-> durations conversions."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor

from polyvox.models.alignment import durations_to_path, monotonic_alignment_search, path_to_durations

MAX_TOKENS = 4
MAX_FRAMES = 7
PADDING_SCORE = 1e3  # large scores in padding: the search must ignore them


def _allowed_assignments(n_tokens: int, n_frames: int) -> list[tuple[int, ...]]:
    """Every frame -> token assignment the search may return (see its docstring)."""
    assignments = []
    for assignment in itertools.combinations_with_replacement(range(n_tokens), n_frames):
        if assignment[0] != 0:
            continue
        last_token = n_tokens - 1 if n_frames >= 2 or n_tokens == 1 else 0
        if assignment[-1] != last_token:
            continue
        steps = [after - before for before, after in zip(assignment, assignment[1:])]
        if n_frames >= n_tokens and any(step > 1 for step in steps):
            continue
        assignments.append(assignment)
    return assignments


def _brute_force_best(scores: Tensor, n_tokens: int, n_frames: int) -> tuple[float, tuple[int, ...]]:
    """scores (text_len, frames) -> best summed score and its assignment."""
    best = max(
        _allowed_assignments(n_tokens, n_frames),
        key=lambda assignment: sum(float(scores[token, frame]) for frame, token in enumerate(assignment)),
    )
    return sum(float(scores[token, frame]) for frame, token in enumerate(best)), best


def _masks(text_lengths: Tensor, frame_lengths: Tensor, text_len: int, n_frames: int) -> tuple[Tensor, Tensor]:
    text_mask = torch.arange(text_len)[None, :] < text_lengths[:, None]
    frame_mask = torch.arange(n_frames)[None, :] < frame_lengths[:, None]
    return text_mask, frame_mask


def test_search_matches_brute_force_on_every_small_size() -> None:
    generator = torch.Generator().manual_seed(0)
    sizes = [(tokens, frames) for tokens in range(1, MAX_TOKENS + 1) for frames in range(1, MAX_FRAMES + 1)]
    for repeat in range(3):
        order = torch.randperm(len(sizes), generator=generator).tolist()
        text_lengths = torch.tensor([sizes[index][0] for index in order])
        frame_lengths = torch.tensor([sizes[index][1] for index in order])
        text_mask, frame_mask = _masks(text_lengths, frame_lengths, MAX_TOKENS, MAX_FRAMES)
        scores = torch.randn(len(sizes), MAX_TOKENS, MAX_FRAMES, generator=generator) * (1 + repeat)
        padded_scores = torch.where(text_mask[:, :, None] & frame_mask[:, None, :], scores, PADDING_SCORE)

        path = monotonic_alignment_search(padded_scores, text_mask, frame_mask)

        assert path.shape == scores.shape
        for item in range(len(sizes)):
            n_tokens, n_frames = int(text_lengths[item]), int(frame_lengths[item])
            item_path = path[item]
            assert item_path[n_tokens:].sum() == 0 and item_path[:, n_frames:].sum() == 0
            assert torch.all(item_path[:n_tokens, :n_frames].sum(dim=0) == 1), "each frame needs exactly one token"
            assignment = tuple(int(token) for token in item_path[:, :n_frames].argmax(dim=0))
            assert assignment in _allowed_assignments(n_tokens, n_frames)
            best_score, best_assignment = _brute_force_best(scores[item], n_tokens, n_frames)
            found_score = float((item_path * scores[item]).sum())
            assert found_score == pytest.approx(best_score, abs=1e-4)
            assert assignment == best_assignment


def test_every_token_gets_a_frame_when_frames_suffice() -> None:
    scores = torch.randn(3, 5, 9)
    text_mask, frame_mask = _masks(torch.tensor([5, 3, 2]), torch.tensor([9, 3, 8]), 5, 9)
    durations = path_to_durations(monotonic_alignment_search(scores, text_mask, frame_mask))
    assert torch.all(durations[text_mask] >= 1)
    assert torch.equal(durations.sum(dim=1), torch.tensor([9, 3, 8]))


def test_empty_items_and_dtype_device() -> None:
    scores = torch.randn(2, 3, 4, dtype=torch.float64)
    text_mask, frame_mask = _masks(torch.tensor([0, 3]), torch.tensor([4, 0]), 3, 4)
    path = monotonic_alignment_search(scores, text_mask, frame_mask)
    assert path.dtype == torch.float64 and path.sum() == 0


def test_durations_path_round_trip() -> None:
    generator = torch.Generator().manual_seed(1)
    durations = torch.randint(0, 5, (4, 6), generator=generator)
    text_lengths = torch.tensor([6, 1, 3, 4])
    text_mask = torch.arange(6)[None, :] < text_lengths[:, None]
    durations = durations * text_mask
    frame_lengths = durations.sum(dim=1)
    frame_mask = torch.arange(int(frame_lengths.max()))[None, :] < frame_lengths[:, None]

    path = durations_to_path(durations, text_mask, frame_mask)

    assert path.shape == (4, 6, int(frame_lengths.max()))
    assert torch.equal(path_to_durations(path), durations)
    assert torch.all(path.sum(dim=1) == frame_mask.float()), "each real frame has one token, padding none"
    # Monotone: the token index of each frame never decreases.
    token_of_frame = path.argmax(dim=1)
    for item in range(4):
        assigned = token_of_frame[item, : int(frame_lengths[item])]
        assert torch.all(assigned[1:] >= assigned[:-1])


def test_search_path_round_trips_through_durations() -> None:
    scores = torch.randn(4, 7, 20)
    text_mask, frame_mask = _masks(torch.tensor([7, 5, 1, 3]), torch.tensor([20, 11, 4, 2]), 7, 20)
    path = monotonic_alignment_search(scores, text_mask, frame_mask)
    rebuilt = durations_to_path(path_to_durations(path), text_mask, frame_mask)
    assert torch.equal(rebuilt, path)
