"""`make test-repeat N=3`: the integration and end-to-end tests N times in a row, then every test
that failed (or errored) in any run, with the runs it failed in — a flake fails once, not always.

    python -m tests.repeat --runs 3 [pytest args, e.g. -k live_listen or a test path]

Each run is a separate pytest process (fresh Asterisk instances and PostgreSQL clusters) writing
JUnit XML to a temporary directory; after each run a line gives its counts, its duration and the
machine's load (a skip is counted too: a run that skipped the browser tests did not test them).
The exit status is 1 when any test failed in any run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATHS = ["tests/integration", "tests/e2e"]


def failures(junit: Path) -> set[str]:
    """Test ids that failed or errored in one JUnit XML report."""
    if not junit.exists():
        return {"<the run wrote no report: pytest crashed or was interrupted>"}
    failed = set()
    for case in ET.parse(junit).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(f"{case.get('classname')}::{case.get('name')}")
    return failed


@dataclass(frozen=True)
class RunCounts:
    tests: int
    failed: int
    errors: int
    skipped: int
    seconds: float

    @property
    def passed(self) -> int:
        return self.tests - self.failed - self.errors - self.skipped


def counts(junit: Path) -> RunCounts | None:
    """The totals pytest wrote in one JUnit XML report (None when it wrote none)."""
    if not junit.exists():
        return None
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    tests, failed, errors, skipped = (int(suite.get(name, "0")) for name in ("tests", "failures", "errors", "skipped"))
    return RunCounts(tests, failed, errors, skipped, float(suite.get("time", "0")))


def summary(run: int, runs: int, found: RunCounts | None, load: tuple[float, float, float]) -> str:
    if found is None:
        return f"==> run {run}/{runs}: no report"
    return (f"==> run {run}/{runs}: {found.passed} passed, {found.failed} failed, {found.errors} errors, "
            f"{found.skipped} skipped in {found.seconds:.0f} s; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options, pytest_args = parser.parse_known_args(argv)
    if not any(not a.startswith("-") for a in pytest_args):
        pytest_args += DEFAULT_PATHS
    failed_in: dict[str, list[int]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="ivr1022-repeat-") as tmp:
        for run in range(1, options.runs + 1):
            junit = Path(tmp) / f"run{run}.xml"
            print(f"==> run {run}/{options.runs}: pytest {' '.join(pytest_args)}", flush=True)
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            f"--junitxml={junit}", *pytest_args])
            for test in failures(junit):
                failed_in[test].append(run)
            print(summary(run, options.runs, counts(junit), os.getloadavg()), flush=True)
    print(f"==> {options.runs} runs")
    if not failed_in:
        print("no test failed in any run")
        return 0
    for test, runs in sorted(failed_in.items()):
        kind = "FLAKY" if len(runs) < options.runs else "FAILS"
        print(f"{kind}  {test}  (failed in run {', '.join(map(str, runs))} of {options.runs})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
