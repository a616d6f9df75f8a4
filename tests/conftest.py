"""Shared fixtures live in tests/fixtures/, one module per real part."""
import os
import signal

# The tests use the demo people (db/demo_data.csv), whose passwords are public: they load only with
# IVR_DEMO on (db/demo.py), so the suite turns it on, for itself and the `make run` it starts.
os.environ.setdefault("IVR_DEMO", "1")

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.asterisk",
    "tests.fixtures.controller",
    "tests.fixtures.browser",
    "tests.fixtures.console",
    "tests.fixtures.kannel",
]


def pytest_configure(config):
    """SIGTERM (a CI time limit, `kill <pid>`) ends the run as Ctrl-C does: the fixtures' finalizers
    still stop the Asterisk instances and PostgreSQL clusters the tests started, which run in their
    own process groups on purpose and would otherwise outlive the run."""
    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
