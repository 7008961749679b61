"""Only the user's input is "bad input" (exit 2, one line); a bug is exit 1, with its traceback kept."""
import pytest

from conftest import minimal_study, write_study
from dcnn.cli import main


def _study(tmp_path):
    return ["--study", str(write_study(tmp_path / "study.yaml", minimal_study())), "--build", str(tmp_path / "build")]


def test_a_value_error_inside_collect_is_a_bug_not_bad_input(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug deep in the results")
    monkeypatch.setattr("dcnn.results.collect.collect", broken)
    assert main(["report", "--no-pdf", *_study(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("internal error: ValueError: a bug deep in the results — this is a bug in dcnn")
    log = tmp_path / "build" / "logs"
    [written] = list(log.glob("error-*.log"))
    assert str(written) in err and 'raise ValueError("a bug deep in the results")' in written.read_text()


def test_a_bug_in_a_command_without_a_build_keeps_its_traceback_in_the_temporary_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr("dcnn.analysis.judge.judge", lambda *a, **k: {}["missing"])
    assert main(["judge", "lower", "--a", "1,2", "--b", "3,4"]) == 1
    err = capsys.readouterr().err
    assert "internal error: KeyError" in err and list(tmp_path.glob("error-*.log"))


@pytest.mark.parametrize("argv, message", [
    (["judge", "lower", "--a", "1", "--b", "3,4"], "error: a: needs at least two values, one per seed (got 1)"),
    (["run", "--device", "mps"], "error: --device mps: MPS is not available here (allowed: auto, cpu)"),
])
def test_the_users_mistakes_stay_one_line_with_exit_2(tmp_path, capsys, argv, message):
    if argv[0] == "run":
        argv = [*argv, *_study(tmp_path)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == message
