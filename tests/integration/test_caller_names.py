"""A caller name with ', " and \\ is stored as the caller sent it, live and when rebuilt from CEL.

What Asterisk 22 does (seen on this call): it holds the name unescaped (CEL's cid_name), and
writes it into every channel event through ast_escape_c (O\\'Brien); ivr/ami/protocol.py undoes that."""
import asyncio

import pytest

from db.raw_facts import facts_of
from ivr.calls.reconcile import rebuild

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

NAME = "O'Brien \"Bo\" \\x"
# Originate's CallerID is parsed as a quoted string, where \" and \\ are escapes.
ORIGINATE_NAME = NAME.replace("\\", "\\\\").replace('"', '\\"')


async def test_a_name_with_quotes_and_a_backslash_is_stored_as_sent(calls):
    number = "0933000417"
    heard: list[str] = []
    calls.controller.ami.subscribe(
        lambda message: heard.append(message["CallerIDName"])
        if message.get("CallerIDNum") == number and message.event == "QueueCallerJoin" else None)
    await calls.set_global("TEST_HOLD_S", "3")
    try:
        await calls.caller("4", number, ORIGINATE_NAME)
        live = await calls.record(number)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    assert live["caller_name"] == NAME
    assert heard == [NAME]                                   # the live feed's screen pop reads the same
    for _ in range(50):
        cel, queue_log = await facts_of(calls.pool, [live["linkedid"]])
        if "LINKEDID_END" in {row["eventtype"] for row in cel}:
            break
        await asyncio.sleep(0.2)
    assert {row["cid_name"] for row in cel if row["cid_name"]} == {NAME}    # what Asterisk itself holds
    [rebuilt] = rebuild(cel, queue_log, short_abandon_s=calls.controller.settings.short_abandon_s)
    assert rebuilt.caller_name == live["caller_name"]
