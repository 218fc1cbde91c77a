"""`polyvox finetune --warmup-steps/--warmup-learning-rate` reach the fine-tune's options (#18 item 3)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.errors import TrainingSetupError
from polyvox.finetune.defaults import DEFAULTS


def test_the_warm_up_options_reach_the_plan_and_their_help_gives_the_defaults(tmp_path: Path, monkeypatch) -> None:
    import polyvox.finetune

    seen = []

    def plan(source, data, target, run_dir, options):
        seen.append(options)
        raise TrainingSetupError("stopped by the test")

    monkeypatch.setattr(polyvox.finetune, "plan_finetune", plan)
    arguments = ["finetune", "-d", str(tmp_path / "m.jsonl"), "--run-dir", str(tmp_path / "run"), "--threads", "1"]
    result = CliRunner().invoke(app, [*arguments, "--warmup-steps", "50", "--warmup-learning-rate", "1e-4"])
    assert "stopped by the test" in result.output
    assert (seen[0].warmup_steps, seen[0].warmup_learning_rate) == (50, 1e-4)
    CliRunner().invoke(app, arguments)
    assert (seen[1].warmup_steps, seen[1].warmup_learning_rate) == (None, None)  # the plan's defaults apply
    help_text = " ".join(CliRunner().invoke(app, ["finetune", "--help"], terminal_width=200).output.split())
    # The help states the defaults the plan uses (written out there: the command imports no torch).
    stated = help_text.split("--warmup-steps")[1]
    assert f"(default {DEFAULTS.warmup_steps})" in stated
    assert float(stated.split("--warmup-learning-rate")[1].split("(default ")[1].split(")")[0]) == DEFAULTS.warmup_learning_rate


def test_a_bad_warm_up_option_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    arguments = ["finetune", "-d", str(tmp_path / "m.jsonl"), "--run-dir", str(run_dir), "--threads", "1"]
    for option, value, message in (("--warmup-steps", "-5", "warm-up steps must be 0 or more"),
                                   ("--warmup-learning-rate", "0", "warm-up learning rate must be positive")):
        result = CliRunner().invoke(app, [*arguments, option, value])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
        assert not run_dir.exists()
