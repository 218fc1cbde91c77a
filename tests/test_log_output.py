"""#19 item 5: the logs read as the program's own, once each: Lightning's lines through polyvox's format
alone, no adverts or deprecation notes about Lightning's code, validation figures that mean something,
and Ctrl-C during training ending with exit status 130 and how to go on."""

from __future__ import annotations

import io
import logging
import math
import signal
import warnings
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.manifest import Utterance, write_manifest
from polyvox.train import run as run_module
from polyvox.train.language_validation import LanguageValidation
from polyvox.train.lightning_output import lightning_output
from polyvox.train.trainer_setup import TrainingLoop, fit

RANK_ZERO = "lightning.pytorch.utilities.rank_zero"


@pytest.fixture
def consoles() -> tuple[io.StringIO, io.StringIO]:
    """polyvox's root handler (as setup_logging makes it) and a console handler on 'lightning' (as Lightning's import adds)."""
    import lightning  # noqa: F401  (its loggers and handlers exist once it is imported)

    ours, theirs = io.StringIO(), io.StringIO()
    root, lightning_logger = logging.getLogger(), logging.getLogger("lightning")
    root_handler, lightning_handler = logging.StreamHandler(ours), logging.StreamHandler(theirs)
    root_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    level = root.level
    root.addHandler(root_handler)
    lightning_logger.addHandler(lightning_handler)
    root.setLevel(logging.INFO)
    try:
        yield ours, theirs
    finally:
        root.removeHandler(root_handler)
        lightning_logger.removeHandler(lightning_handler)
        root.setLevel(level)


def test_a_lightning_line_is_printed_once_in_the_programs_format_and_adverts_not_at_all(consoles):
    ours, theirs = consoles
    with lightning_output():
        logging.getLogger(RANK_ZERO).info("GPU available: False, used: False")
        logging.getLogger(RANK_ZERO).info("💡 Tip: For seamless cloud logging, try installing [litlogger]")
    printed = ours.getvalue() + theirs.getvalue()
    assert printed.count("GPU available") == 1 and f"INFO {RANK_ZERO}: GPU available" in ours.getvalue()
    assert "Tip" not in printed and "litlogger" not in printed
    # Afterwards Lightning's own handler is back, as the library left it.
    logging.getLogger(RANK_ZERO).info("after")
    assert "after" in theirs.getvalue()


def test_only_the_deprecation_about_lightnings_code_is_hidden():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lightning_output():
            warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use `treespec.is_leaf()` instead.", FutureWarning)
            warnings.warn("some other deprecation", FutureWarning)
    assert [str(warning.message) for warning in caught] == ["some other deprecation"]


def test_figures_that_could_not_be_measured_are_left_out_and_a_tiny_start_gives_a_difference():
    validation = LanguageValidation({}, margin=0.1)
    validation.start = {"en": {"mel_loss": 2.0, "f0_rmse_cents": math.nan, "frame_buzz": 0.006}}
    now = {"mel_loss": 1.5, "f0_rmse_cents": math.nan, "frame_buzz": 0.4966}
    line = validation._describe("en", now, since_start=True)
    assert line == "mel_loss 1.5 (-25.0% since start), frame_buzz 0.4966 (+0.491 since start)"
    assert validation._describe("en", validation.start["en"], since_start=False) == "mel_loss 2, frame_buzz 0.006"


def test_ctrl_c_during_fit_comes_out_as_keyboard_interrupt_not_exit_1(tmp_path: Path):
    import lightning as L

    class Interrupted(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(1, 1)

        def training_step(self, batch: torch.Tensor, index: int) -> torch.Tensor:
            if index == 1:
                raise KeyboardInterrupt
            return self.layer(batch).sum()

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    trainer = L.Trainer(
        accelerator="cpu", max_steps=3, logger=False, enable_progress_bar=False, enable_checkpointing=False,
        enable_model_summary=False, default_root_dir=str(tmp_path),
    )
    loader = torch.utils.data.DataLoader(torch.ones(4, 1), batch_size=1)
    loop = TrainingLoop(trainer, None, loader, None, tmp_path)  # type: ignore[arg-type]
    handler = signal.getsignal(signal.SIGINT)
    with lightning_output(), pytest.raises(KeyboardInterrupt):
        fit(loop, Interrupted(), None)
    assert signal.getsignal(signal.SIGINT) is handler  # Lightning ignores a second Ctrl-C while it stops; not after


def test_ctrl_c_during_train_exits_130_and_says_how_to_go_on(tmp_path: Path, monkeypatch):
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, [Utterance(audio="a.wav", text="hello", speaker="a", language="en", duration=1.0)])

    def interrupted(*arguments: object, **options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "train", interrupted)
    result = CliRunner().invoke(app, ["train", "-d", str(manifest), "-o", str(tmp_path / "run"), "--preset", "tiny"])
    assert result.exit_code == 130, result.output
    assert result.output.strip() == (
        f"error: interrupted; polyvox train -d {manifest} -o {tmp_path / 'run'} --resume continues the run from its newest checkpoint"
    )
