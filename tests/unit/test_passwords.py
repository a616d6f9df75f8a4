"""db/agents.py password hashing: format, verification, malformed input."""
from __future__ import annotations

import pytest

from db.agents import DEFAULT_ITERATIONS, check_credentials, hash_password, verify_password

FAST = 1_000  # the hash format is what is under test here, not the work factor


def test_hash_format_and_roundtrip():
    stored = hash_password("mật khẩu 1022", iterations=FAST)
    algorithm, iterations, salt, digest = stored.split("$")
    assert algorithm == "pbkdf2_sha256" and iterations == str(FAST) and salt and digest
    assert verify_password(stored, "mật khẩu 1022") is True
    assert verify_password(stored, "mật khẩu 1023") is False
    assert verify_password(stored, "") is False


def test_default_work_factor_and_random_salt():
    first, second = hash_password("same"), hash_password("same")
    assert int(first.split("$")[1]) == DEFAULT_ITERATIONS >= 600_000
    assert first != second  # salted
    assert verify_password(first, "same") and verify_password(second, "same")


def test_known_vector():
    # The published PBKDF2-HMAC-SHA256 vector P="password", S="salt", c=4096, dkLen=32:
    # c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a (here urlsafe base64).
    stored = hash_password("password", iterations=4096, salt=b"salt")
    assert stored == "pbkdf2_sha256$4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o"
    assert verify_password(stored, "password")


@pytest.mark.parametrize("stored", [
    "", "plain", "pbkdf2_sha256$x$c2FsdA$YQ", "md5$1000$c2FsdA$YQ", "pbkdf2_sha256$10$c2FsdA$YQ",
    "pbkdf2_sha256$1000$c2FsdA$", "pbkdf2_sha256$1000$%%%$YQ", "pbkdf2_sha256$placeholder",
])
def test_malformed_stored_hash_never_verifies(stored):
    assert verify_password(stored, "anything") is False


def test_unknown_account_is_rejected():
    assert check_credentials(None, "demo1001") is False


def test_too_few_iterations_refused():
    with pytest.raises(ValueError):
        hash_password("x", iterations=10)
