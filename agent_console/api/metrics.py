"""GET /metrics: Prometheus text exposition format (version 0.0.4), loopback clients only.

Figures: queues (waiting, members, available; from Asterisk through QueueView), agents by state
(AgentControl), calls ended in the last hour by outcome (PostgreSQL), each component up or down
(Health), and what the controller hands over (ControllerFigures: the writers' backlogs). A part
that cannot answer leaves its figures out; `ivr_metrics_source_up{source}` says which answered.
No token: the console binds 127.0.0.1, and anything but a loopback client gets 403, so a reverse
proxy in front must not forward /metrics (see docs/operations.md).
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping

from aiohttp import web

from agent_console.keys import AGENT_CONTROL, BACKPRESSURE, CONTROLLER_FIGURES, HEALTH, QUEUE_VIEW, pool_of
from contracts.ports import Sample

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

AGENT_STATES = ("logged_out", "ready", "ringing", "on_call", "wrap_up", "paused")
HELP = {
    "ivr_up": ("gauge", "1 when the component is up (asterisk, ami, agi, database)"),
    "ivr_queue_waiting": ("gauge", "callers waiting in the queue"),
    "ivr_queue_members": ("gauge", "agents in the queue"),
    "ivr_queue_available": ("gauge", "agents in the queue able to take a call"),
    "ivr_agents": ("gauge", "agents by state"),
    "ivr_calls_last_hour": ("gauge", "calls ended in the last hour, by outcome"),
    "ivr_writer_backlog": ("gauge", "records buffered by a writer, not yet in PostgreSQL"),
    "ivr_metrics_source_up": ("gauge", "1 when the source answered this scrape"),
    "ivr_live_clients_dropped_total": ("counter", "live-feed WebSockets closed 1013 for reading too slowly"),
    "ivr_calls_rebuilt_total": ("counter", "calls the reconciler rebuilt from raw rows since start"),
    "ivr_calls_adopted_total": ("counter", "live calls the reconciler adopted after an AMI reconnect"),
    "ivr_raw_rows_loaded_total": ("counter", "raw rows loaded from Asterisk's local files that PostgreSQL missed"),
    "ivr_raw_lines_skipped_total": ("counter", "lines in Asterisk's local raw files that were not raw facts"),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if value != int(value) else str(int(value))


def render(samples: Iterable[Sample]) -> str:
    """Samples grouped by name, each group after its # HELP and # TYPE lines."""
    by_name: dict[str, list[tuple[Mapping[str, str], float]]] = {}
    for name, labels, value in samples:
        by_name.setdefault(name, []).append((labels, value))
    lines = []
    for name, rows in by_name.items():
        kind, text = HELP.get(name, ("gauge", name))
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        for labels, value in rows:
            inside = ",".join(f'{key}="{_escape(str(val))}"' for key, val in labels.items())
            lines.append(f"{name}{{{inside}}} {_number(value)}" if inside else f"{name} {_number(value)}")
    return "\n".join(lines) + "\n"


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


async def _sources(request: web.Request) -> list[Sample]:
    app, samples, up = request.app, [], {}
    try:
        samples += [("ivr_up", {"component": name}, 1.0 if state else 0.0)
                    for name, state in app[HEALTH].components().items()]
        up["health"] = True
    except Exception:
        log.exception("metrics: health provider failed")
        up["health"] = False
    if AGENT_CONTROL in app:
        counts = Counter(str(agent.get("state")) for agent in app[AGENT_CONTROL].snapshot())
        samples += [("ivr_agents", {"state": state}, float(counts.get(state, 0))) for state in AGENT_STATES]
    if QUEUE_VIEW in app:
        try:
            queues = await asyncio.wait_for(app[QUEUE_VIEW].queues(), 5)
            for queue in queues:
                labels = {"queue": str(queue.get("queue"))}
                samples += [(f"ivr_queue_{field}", labels, float(queue.get(field) or 0))
                            for field in ("waiting", "members", "available")]
            up["asterisk_queues"] = True
        except Exception as exc:   # Asterisk away: the other figures still count
            log.warning("metrics: queues unavailable: %r", exc)
            up["asterisk_queues"] = False
    try:
        rows = await pool_of(request).fetch(
            "SELECT outcome, count(*) AS n FROM calls WHERE ended_at > now() - interval '1 hour'"
            " AND outcome IS NOT NULL GROUP BY outcome ORDER BY outcome")
        samples += [("ivr_calls_last_hour", {"outcome": row["outcome"]}, float(row["n"])) for row in rows]
        up["database"] = True
    except Exception as exc:
        log.warning("metrics: database unavailable: %r", exc)
        up["database"] = False
    if CONTROLLER_FIGURES in app:
        samples += app[CONTROLLER_FIGURES].samples()
    if BACKPRESSURE in app:
        samples.append(("ivr_live_clients_dropped_total", {}, float(app[BACKPRESSURE].dropped)))
    samples += [("ivr_metrics_source_up", {"source": name}, 1.0 if ok else 0.0) for name, ok in up.items()]
    return samples


@routes.get("/metrics", name="metrics")
async def metrics(request: web.Request) -> web.Response:
    if not _loopback(request.remote):
        raise web.HTTPForbidden(text="metrics are served to loopback clients only\n")
    return web.Response(text=render(await _sources(request)), content_type="text/plain",
                        headers={"Cache-Control": "no-store"}, charset="utf-8")
