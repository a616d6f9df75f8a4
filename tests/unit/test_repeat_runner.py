"""tests/repeat.py reads what a real pytest run wrote: the failed tests and the run's counts."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.repeat import counts, failures, main, summary

SAMPLE = '''
import pytest

def test_passes():
    assert 1 + 1 == 2

def test_fails():
    assert 1 + 1 == 3

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass

@pytest.fixture
def broken():
    raise RuntimeError("setup fails")

def test_errors(broken):
    pass
'''


def run_sample(tmp_path: Path) -> Path:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    junit = tmp_path / "run.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"--rootdir={tmp_path}", "-c", "/dev/null", f"--junitxml={junit}", str(tmp_path)],
                   capture_output=True, check=False)
    return junit


def test_failures_and_counts_of_one_run(tmp_path: Path):
    junit = run_sample(tmp_path)
    assert failures(junit) == {"test_sample::test_fails", "test_sample::test_errors"}
    found = counts(junit)
    assert (found.tests, found.passed, found.failed, found.errors, found.skipped) == (4, 1, 1, 1, 1)
    line = summary(2, 3, found, (1.5, 2.25, 3.0))
    assert line.startswith("==> run 2/3: 1 passed, 1 failed, 1 errors, 1 skipped in ")
    assert line.endswith("load average 1.5 2.2 3.0")


def test_a_run_without_a_report_counts_as_failed(tmp_path: Path):
    missing = tmp_path / "none.xml"
    assert failures(missing) == {"<the run wrote no report: pytest crashed or was interrupted>"}
    assert counts(missing) is None and summary(1, 1, None, (0, 0, 0)) == "==> run 1/1: no report"


def test_a_test_failing_in_one_run_of_two_is_named_flaky(tmp_path: Path, capsys):
    flip = tmp_path / "flip"
    (tmp_path / "test_flaky.py").write_text(
        "from pathlib import Path\n"
        f"FLIP = Path({str(flip)!r})\n"
        "def test_flaky():\n"
        "    first = not FLIP.exists()\n"
        "    FLIP.touch()\n"
        "    assert not first\n")
    status = main(["--runs", "2", f"--rootdir={tmp_path}", "-c", "/dev/null", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1
    assert "FLAKY  test_flaky::test_flaky  (failed in run 1 of 2)" in out
    assert "==> run 2/2: 1 passed, 0 failed, 0 errors, 0 skipped" in out
