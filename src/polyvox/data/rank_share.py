"""One stream of batches shared by the processes of a run: which batches each takes, and where a resumed run goes on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def rank_share(sampler: Any, stream: Iterable[list[int]]) -> Iterator[list[int]]:
    """``sampler``'s batches of the whole ``stream``: from position ``start`` (where the run stood when it
    resumed, in batches of every process), rank r of w takes positions start + r, start + r + w, ...,
    skipping the first ``batches_done`` of its own. So w processes together take each batch once, and a run
    resumed with another number of processes goes on at the first batch no process has taken."""
    for position, batch in enumerate(stream):
        offset = position - sampler.start
        if offset >= 0 and offset % sampler.world_size == sampler.rank:
            local_index = offset // sampler.world_size
            if local_index >= sampler.batches_done:
                sampler.batches_done = local_index + 1
                yield batch


def stream_position(state: dict[str, Any], world_size: int) -> int:
    """A checkpoint's position in the batch stream; an older checkpoint without it was resumed with as many
    processes as trained it (nothing else worked then): its steps times the processes now."""
    return int(state.get("stream_position", int(state["steps_done"]) * world_size))
