"""Free loopback ports for the real servers the tests start."""
from __future__ import annotations

import socket

_taken_ports: set[int] = set()


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1, never handed out twice in a run."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            if port in _taken_ports:
                continue
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken_ports.add(port)
        return port
    raise RuntimeError("no free port on 127.0.0.1")
