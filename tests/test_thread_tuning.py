"""Training measures polyvox's default thread count against one thread and keeps the faster (issue #19)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from polyvox import threads as thread_settings
from polyvox.threads import FREE_CORES, ThreadPlan
from polyvox.train import thread_tuning
from polyvox.train.thread_tuning import ThreadTuning
from polyvox.train.trainer_setup import thread_tuning as tuning_callbacks


@pytest.fixture(autouse=True)
def keep_torch_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


class Clock:
    """A step costs ``seconds[threads]`` per mel frame of the batch, by the thread count torch runs with."""

    def __init__(self, seconds: dict[int, float]) -> None:
        self.now, self.seconds = 0.0, seconds

    def __call__(self) -> float:
        return self.now


def run_steps(tuning: ThreadTuning, clock: Clock, steps: int, adversarial_from: int = 10**9) -> list[int]:
    """Steps through the callback as Lightning would; the thread count each step ran with."""
    module = SimpleNamespace(steps_done=0)
    module.adversarial_active = lambda: module.steps_done >= adversarial_from
    tuning.on_train_start(None, module)
    used = []
    for index in range(steps):
        frames = 100 + 50 * (index % 3)  # batches of different lengths
        batch = SimpleNamespace(mel_lengths=torch.tensor([frames]))
        tuning.on_train_batch_start(None, module, batch, index)
        used.append(torch.get_num_threads())
        clock.now += clock.seconds[torch.get_num_threads()] * frames
        module.steps_done += 1
        tuning.on_train_batch_end(None, module, None, batch, index)
    return used


@pytest.mark.parametrize(("seconds", "chosen"), [({2: 2e-3, 1: 1e-3}, 1), ({2: 1e-3, 1: 1.8e-3}, 2), ({2: 1e-3, 1: 0.98e-3}, 2)])
def test_the_faster_count_is_kept_and_a_close_call_keeps_the_default(monkeypatch, seconds, chosen):
    clock = Clock(seconds)
    monkeypatch.setattr(thread_tuning.time, "perf_counter", clock)
    tuning = ThreadTuning(2, settle_steps=2, trial_steps=3, retrial_every_steps=1000)
    used = run_steps(tuning, clock, 20)
    # Two settling steps, then the trial takes turns 2, 1, 1, 2, 2, 1; then the choice holds.
    assert used[2:8] == [2, 1, 1, 2, 2, 1]
    assert set(used[8:]) == {chosen} and tuning.choices == [(8, chosen)]


def test_the_trial_is_repeated_and_again_when_the_discriminator_joins(monkeypatch):
    clock = Clock({2: 2e-3, 1: 1e-3})
    monkeypatch.setattr(thread_tuning.time, "perf_counter", clock)
    tuning = ThreadTuning(2, settle_steps=0, trial_steps=2, retrial_every_steps=10)
    run_steps(tuning, clock, 30, adversarial_from=6)
    assert [step for step, _ in tuning.choices] == [4, 10, 24]  # start; the discriminator at 6; 10 steps later
    assert all(threads == 1 for _, threads in tuning.choices)


def test_only_polyvox_own_choice_is_measured(monkeypatch):
    def applied(threads: int, source: str) -> None:
        monkeypatch.setattr(thread_settings, "_APPLIED", ThreadPlan(threads=threads, processes=1, cores=2, source=source))

    applied(2, FREE_CORES)
    assert [callback.threads for callback in tuning_callbacks(on_cpu=True)] == [2]
    assert tuning_callbacks(on_cpu=False) == []
    for threads, source in ((2, "--threads"), (2, "OMP_NUM_THREADS"), (1, FREE_CORES)):
        applied(threads, source)
        assert tuning_callbacks(on_cpu=True) == []
