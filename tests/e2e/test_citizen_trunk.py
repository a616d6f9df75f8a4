"""The citizens' trunk (IVR_OUTBOUND_URI, endpoint citizen-trunk, dialplan citizen-out): the
controller's Originate reaches a sipp UAS with the number as the request-URI user; a caller who
dials a citizen's number from the trunk network gets nowhere near it."""
from __future__ import annotations

import pytest

from ivr.constants import CONTEXT_CITIZEN_OUT
from runtime.asterisk import AsteriskInstance
from tests.fixtures.asterisk import AmiProbe
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = pytest.mark.e2e


def _invites(run) -> list[str]:
    return [m.first_line for m in run.messages() if not m.sent and m.first_line.startswith("INVITE ")]


async def test_only_an_originate_reaches_the_citizens_trunk(asterisk_pbx: AsteriskInstance,
                                                            ami_probe: AmiProbe,
                                                            sipp_runner: SippRunner) -> None:
    port = int(asterisk_pbx.options.outbound_uri.rsplit(":", 1)[1])
    trunk = await sipp_runner.start_citizen_trunk(port, hold_s=2, calls=1, timeout=60)
    # A caller on the trunk network dials a citizen's number instead of 1022: refused by from-trunk.
    caller = await sipp_runner.sipp_call("", hold_s=3, caller="0988000999", service="0987001002")
    assert await caller.wait() != 0
    assert caller.first("SIP/2.0 404", sent=False)
    assert _invites(trunk) == []
    # The controller's way: Originate into citizen-out.
    reply = await ami_probe.action({"Action": "Originate", "Channel": f"Local/0987001001@{CONTEXT_CITIZEN_OUT}/n",
                                    "Application": "Wait", "Data": "3", "Async": "true"})
    assert reply["Response"] == "Success", reply
    invites = await until(lambda: _invites(trunk), 20, "an INVITE on the citizens' trunk")
    assert invites[0].startswith(f"INVITE sip:0987001001@127.0.0.1:{port}"), invites
    assert await trunk.wait(30) == 0, trunk.errors()
    assert len(_invites(trunk)) == 1
