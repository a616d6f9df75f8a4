"""`make bench` part `channels` (issue 14): a burst of SMS through a real Kannel and a burst of portal
submissions, into one console on its own PostgreSQL; the time until all are tickets; none lost or doubled.

SMS: one fakesmsc sends BENCH_SMS (1000) MO messages at most BENCH_SMS_RATE (100) a second into
bearerbox, each from a random sender (fakesmsc -z 1), so some senders repeat and their later messages
are follow-ups on their open request. Checked: every message sent is stored once (sms_inbound), each
distinct sender has one sms ticket, and the fake SMSC received one answer per message.
Portal: BENCH_PORTAL (1000) POSTs /api/v1/public/requests, 20 at a time, each a distinct phone:
1000 web tickets with 1000 distinct codes. Loopback only; each burst has a wall-clock limit.
"""
from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from db.migrate import migrate
from runtime.kannel import KannelGateway, KannelOptions
from tests.bench.private_db import on_private_database
from tests.fixtures.console import AllUp
from tests.fixtures.kannel import FakeSmsc
from tests.ports import free_port

LIMIT_S = 600.0


async def bench_channels(sms: int, portal: int, sms_rate: float) -> dict[str, Any]:
    return await on_private_database("ivr1022_bench_channels", lambda dsn: _bench(dsn, sms, portal, sms_rate))


async def _bench(dsn: str, sms: int, portal: int, sms_rate: float) -> dict[str, Any]:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=8)
    await migrate(pool)
    await load_demo_data(pool)
    secret, port = secrets.token_urlsafe(16), free_port()
    config = ConsoleConfig(sms_secret=secret, portal_address_limit=portal + 10, portal_phone_limit=10)
    runner = web.AppRunner(init_app(config, lambda: pool, AllUp()))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state = Path(tempfile.mkdtemp(prefix="ivr1022-bench-sms-"))
    base = f"http://127.0.0.1:{port}"
    options = KannelOptions(admin_port=free_port(), smsbox_port=free_port(), sendsms_port=free_port(),
                            smsc_port=free_port(), inbound_url=f"{base}/api/v1/sms/inbound?secret={secret}",
                            dlr_url=f"{base}/api/v1/sms/delivery?secret={secret}",
                            send_password=secrets.token_urlsafe(8), admin_password=secrets.token_urlsafe(8))
    kannel = KannelGateway(state, options)
    try:
        await kannel.start()
        result = {"sms": await _sms_burst(pool, FakeSmsc(options.smsc_port, state), sms, sms_rate),
                  "portal": await _portal_burst(pool, base, portal)}
    finally:
        await kannel.stop()
        await runner.cleanup()
        await pool.close()
        shutil.rmtree(state, ignore_errors=True)
    return result


async def _sms_burst(pool: asyncpg.Pool, smsc: FakeSmsc, count: int, rate: float) -> dict[str, Any]:
    started = time.monotonic()
    smsc.inject_random(count, 1 / rate, "09<rand> 1022 text CDC hoi lich tiem so <rand>")
    try:
        while time.monotonic() - started < LIMIT_S:
            if await pool.fetchval("SELECT count(*) FROM sms_inbound") >= count:
                break
            await asyncio.sleep(0.2)
        all_stored_s = time.monotonic() - started
        while time.monotonic() - started < LIMIT_S and len(smsc.replies()) < count:
            await asyncio.sleep(0.2)
        answered_s = time.monotonic() - started
    finally:
        smsc.stop()
    row = await pool.fetchrow(
        """SELECT count(*) AS stored, count(DISTINCT message_id) AS ids, count(DISTINCT sender) AS senders,
                  count(*) FILTER (WHERE joined) AS follow_ups, count(*) FILTER (WHERE ticket_id IS NULL) AS orphans
           FROM sms_inbound""")
    tickets = await pool.fetchval("SELECT count(*) FROM tickets WHERE channel = 'sms'")
    return {"sent": smsc.sent_count(), "stored": row["stored"], "tickets": tickets, "follow_ups": row["follow_ups"],
            "senders": row["senders"], "lost": smsc.sent_count() - row["stored"],
            "doubled": (row["stored"] - row["ids"]) + (tickets - row["senders"]) + row["orphans"],
            "answers_at_smsc": len(smsc.replies()), "rate_offered_per_s": rate,
            "all_stored_s": round(all_stored_s, 1), "all_answered_s": round(answered_s, 1),
            "per_s": round(row["stored"] / all_stored_s, 1) if all_stored_s else None}


async def _portal_burst(pool: asyncpg.Pool, base: str, count: int) -> dict[str, Any]:
    phones = random.sample(range(10**7), count)
    gate = asyncio.Semaphore(20)
    codes: list[str] = []
    errors = 0

    async def submit(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal errors
        body = {"subject": "doctors", "phone": f"091{phones[n]:07d}", "text": f"Xin tư vấn điều trị F0 tại nhà, số {n}"}
        async with gate, session.post(f"{base}/api/v1/public/requests", json=body) as resp:
            if resp.status == 201:
                codes.append((await resp.json())["tracking_code"])
            else:
                errors += 1

    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=LIMIT_S)) as session:
        await asyncio.wait_for(asyncio.gather(*(submit(session, n) for n in range(count))), LIMIT_S)
    elapsed = time.monotonic() - started
    tickets = await pool.fetchval("SELECT count(*) FROM tickets WHERE channel = 'web'")
    return {"submitted": count, "tickets": tickets, "distinct_codes": len(set(codes)), "errors": errors,
            "lost": count - tickets, "doubled": len(codes) - len(set(codes)), "all_tickets_s": round(elapsed, 1),
            "per_s": round(count / elapsed, 1)}


def channels_from_env() -> tuple[int, int, float]:
    return (int(os.environ.get("BENCH_SMS", 1000)), int(os.environ.get("BENCH_PORTAL", 1000)),
            float(os.environ.get("BENCH_SMS_RATE", 100)))
