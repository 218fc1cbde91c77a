"""The cleaned signal of one recording, kept in a temporary file instead of memory, so that a
recording hours long needs memory for one block of it: loudness, voice activity and the clips read
it back a slice at a time."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np

from polyvox.audio.io import AudioError
from polyvox.files import write_failure

_ITEM = np.dtype(np.float32).itemsize


class Samples(Protocol):
    """Mono samples read by slices: a numpy array or a ``SignalFile``."""

    @property
    def size(self) -> int: ...

    def __getitem__(self, index: slice, /) -> np.ndarray: ...


class SignalFile:
    """Mono float32 samples at ``rate`` in an unnamed temporary file in ``folder`` (gone when closed
    or when the process dies, so nothing is left behind). Reads apply ``gain``.

    Slices are copied out with ``readinto`` rather than read through a memory map of the whole file:
    every page of a map once touched stays resident, so one pass over a mapped 2-hour signal would
    hold all of it in the process's memory again."""

    def __init__(self, rate: int, folder: str | Path | None = None) -> None:
        self.rate = rate
        self.size = 0
        self.peak = 0.0
        self.gain = 1.0
        self._folder = Path(folder) if folder is not None else Path(tempfile.gettempdir())
        self._folder.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=self._folder, prefix=".polyvox-signal-")

    def append(self, samples: np.ndarray) -> None:
        block = np.ascontiguousarray(samples, dtype=np.float32)
        if block.size == 0:
            return
        self._file.seek(self.size * _ITEM)
        try:
            self._file.write(memoryview(block).cast("B"))
        except OSError as error:
            raise AudioError(write_failure(self._folder / "temporary signal", error, block.nbytes)) from error
        self.size += block.size
        self.peak = max(self.peak, float(block.max()), -float(block.min()))

    def replace(self, samples: np.ndarray) -> None:
        """Start again with ``samples`` (the whole signal)."""
        self._file.seek(0)
        self._file.truncate()
        self.size, self.peak = 0, 0.0
        self.append(samples)

    def __getitem__(self, index: slice, /) -> np.ndarray:
        start, stop, step = index.indices(self.size)
        if step != 1:
            raise ValueError("a SignalFile is read in contiguous slices")
        out = np.empty(max(0, stop - start), dtype=np.float32)
        self._file.seek(start * _ITEM)
        read = self._file.readinto(memoryview(out).cast("B"))
        if read != out.nbytes:
            raise AudioError(f"the temporary signal in {self._folder} gave {read} of {out.nbytes} bytes; was it removed?")
        # The same float32 product as scaling the whole array.
        return out * np.float32(self.gain) if self.gain != 1.0 else out

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SignalFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()
