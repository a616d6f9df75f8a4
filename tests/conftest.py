"""Shared fixtures live in tests/fixtures/, one module per real part."""
pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.asterisk",
    "tests.fixtures.controller",
    "tests.fixtures.browser",
]
