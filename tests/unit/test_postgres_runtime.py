"""runtime/postgres.py pure parts: finding the server binaries, names, DSN."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.postgres import PrivateCluster, _version_key, find_bindir


def test_newest_version_sorts_first():
    paths = ["/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/13/bin"]
    assert sorted(paths, key=_version_key, reverse=True)[0] == "/usr/lib/postgresql/15/bin"


def test_find_bindir_has_initdb_and_postgres():
    bindir = find_bindir()
    assert (bindir / "initdb").is_file() and (bindir / "postgres").is_file()


def test_dsn_is_loopback_tcp(tmp_path):
    cluster = PrivateCluster(tmp_path / "data", 54999)
    assert cluster.dsn("calls") == "postgresql://postgres@127.0.0.1:54999/calls"
    assert cluster.running is False and cluster.pid is None


async def test_create_database_rejects_unsafe_names(tmp_path):
    with pytest.raises(ValueError):
        await PrivateCluster(Path(tmp_path), 1).create_database('x"; DROP DATABASE postgres; --')


@pytest.mark.skipif(os.geteuid() != 0 and os.environ.get("CI") != "true",
                    reason="only root runs PostgreSQL as another user (the `postgres` user); run as root to check it")
def test_data_dir_moves_out_of_a_state_dir_postgres_cannot_enter(tmp_path, monkeypatch):
    from runtime import postgres

    # In CI this test must run: a CI job that is not root fails here rather than passing unchecked.
    assert os.geteuid() == 0, "CI must run the tests as root: PostgreSQL then runs as the `postgres` user"
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    monkeypatch.setattr(postgres, "SHARED_DATA_ROOT", tmp_path / "shared" / "postgres")
    os.chmod(tmp_path, 0o711)
    link = postgres.data_dir_for(closed / "state")
    assert link == closed / "state" / "postgres" and link.is_symlink()
    assert link.resolve().parent == tmp_path / "shared" / "postgres"
    assert (tmp_path / "shared" / "postgres").stat().st_mode & 0o777 == 0o755
    assert not postgres.searchable_by(closed / "state" / "postgres", "postgres")
    assert postgres.data_dir_for(closed / "state") == link  # the second start reuses it
