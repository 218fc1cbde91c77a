"""What a training run folder remembers of its configuration (run.json), so that ``--resume`` needs
no option repeated and compares only the ones given."""

from __future__ import annotations

import json
from pathlib import Path

from polyvox.voice_file import VoiceMetadata
from polyvox.config import VoiceConfig
from polyvox.errors import TrainingSetupError
from polyvox.fingerprint import CompatibilityError, Difference, require_compatible

RUN_FILE = "run.json"
# Written when a resume asks for another architecture: the one-line error points here for the full list.
DIFFERENCES_FILE = "config_differences.txt"


class ResumeConfigError(TrainingSetupError):
    """A resume asked for another architecture than the run's; the message is one line, every difference is in a file."""

    def __init__(self, run_dir: Path, differences: list[Difference], listed_in: Path) -> None:
        self.differences = differences
        super().__init__(
            f"the run in {run_dir} was trained with a different configuration ({len(differences)} difference(s), "
            f"first {differences[0].describe()}; all listed in {listed_in}); leave out --preset, --config and --set "
            "of model fields to resume with the run's own configuration"
        )


def stored_run_metadata(run_dir: Path) -> VoiceMetadata | None:
    """The tables and configuration the run in ``run_dir`` started with; None when it has not started."""
    path = run_dir / RUN_FILE
    if not path.is_file():
        return None
    return VoiceMetadata.from_strings(json.loads(path.read_text(encoding="utf-8")), str(path))


def stored_run_config(run_dir: Path) -> VoiceConfig | None:
    """The configuration ``--resume`` starts from when no --preset or --config is given."""
    stored = stored_run_metadata(run_dir)
    return None if stored is None else stored.config


def require_same_architecture(stored: VoiceMetadata, config: VoiceConfig, run_dir: Path) -> None:
    """Refuse to resume with another architecture; the schedule (``config.training``) may change."""
    listed_in = run_dir / DIFFERENCES_FILE
    try:
        require_compatible(
            stored, config, f"the run in {run_dir}", include_discriminator=True,
            partial_option="--init-from with the run's voice.safetensors into a new run folder",
        )
    except CompatibilityError as error:
        listed_in.write_text(f"{error}\n", encoding="utf-8")
        raise ResumeConfigError(run_dir, error.differences, listed_in) from None
    listed_in.unlink(missing_ok=True)  # the list of an earlier refused attempt no longer holds
