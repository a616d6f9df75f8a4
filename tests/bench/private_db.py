"""A bench's own PostgreSQL: a private cluster in a temporary folder, one database, removed afterwards."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


async def on_private_database(name: str, bench: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """Runs `bench(dsn)` on database `name` of a fresh private cluster, then stops and removes it."""
    from runtime.postgres import PrivateCluster
    from tests.ports import free_port

    root = Path(tempfile.mkdtemp(prefix="ivr1022-bench-"))
    os.chmod(root, 0o711)   # PostgreSQL runs as the postgres user when we are root: it must enter
    cluster = PrivateCluster(root / "data", free_port())
    try:
        await cluster.start()
        await cluster.create_database(name)
        return await bench(cluster.dsn(name))
    finally:
        await cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
