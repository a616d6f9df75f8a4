"""GET /metrics on the controller's own console (real Asterisk, PostgreSQL and AMI): the Prometheus
text format, with queues, agents by state, calls by outcome, health and the writers' backlogs."""
import re

import aiohttp
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

# name{label="value",...} number — the text exposition format's sample line.
_SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
                     r'(-?[0-9.e+-]+|NaN|[+-]Inf)$')


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    figures = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert _SAMPLE.match(line), line
        name, _, rest = line.partition("{") if "{" in line.split(" ")[0] else (line.split(" ")[0], "", "")
        labels = frozenset(re.findall(r'([a-zA-Z_]+)="((?:\\.|[^"\\])*)"', rest))
        figures[(name if rest else line.split(" ")[0], labels)] = float(line.rsplit(" ", 1)[1])
    return figures


async def test_metrics_of_the_running_controller(controller, calls):
    number = "0955000001"
    await calls.set_global("TEST_HOLD_S", "3")
    try:
        await calls.caller("4", number)
        await calls.record(number)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{controller.settings.http_port}/metrics") as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            text = await resp.text()
    figures = parse(text)
    assert "# TYPE ivr_agents gauge" in text
    assert figures[("ivr_up", frozenset({("component", "ami")}))] == 1
    assert figures[("ivr_up", frozenset({("component", "database")}))] == 1
    assert figures[("ivr_queue_waiting", frozenset({("queue", "violations")}))] >= 0
    states = {dict(labels)["state"] for (name, labels) in figures if name == "ivr_agents"}
    assert states == {"logged_out", "ready", "ringing", "on_call", "wrap_up", "paused"}   # agents it knows of
    assert figures[("ivr_calls_last_hour", frozenset({("outcome", "abandoned_queue")}))] >= 1
    assert ("ivr_writer_backlog", frozenset({("writer", "calls")})) in figures
    assert figures[("ivr_calls_rebuilt_total", frozenset())] >= 0 and ("ivr_calls_adopted_total", frozenset()) in figures
    assert figures[("ivr_live_clients_dropped_total", frozenset())] == 0
    assert all(v == 1 for (name, _), v in figures.items() if name == "ivr_metrics_source_up")

