"""ivr/constants.py and dialplan/ name the same contexts, queues, channel variables and UserEvent."""
from __future__ import annotations

import re
from pathlib import Path

from ivr import constants

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan"


def dialplan_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DIALPLAN.glob("*.conf")))


def sections(name: str) -> set[str]:
    return set(re.findall(r"^\[([^\]]+)\]", (DIALPLAN / name).read_text(encoding="utf-8"), re.M))


def test_every_context_is_defined_in_the_dialplan() -> None:
    contexts = {name for path in DIALPLAN.glob("extensions*.conf") for name in sections(path.name)}
    for context in (constants.CONTEXT_TRUNK, constants.CONTEXT_MENU, constants.CONTEXT_AGENTS,
                    constants.CONTEXT_IVR_STEP, constants.CONTEXT_LISTEN,
                    constants.CONTEXT_CITIZEN_OUT, constants.CONTEXT_AGENT_TRANSFER,
                    constants.CONTEXT_AGENCY_OUT):
        assert context in contexts, context


def test_every_queue_is_defined_in_queues_conf() -> None:
    queues = sections("queues.conf")
    for queue in constants.QUEUES:
        assert queue in queues, queue
    assert {b.queue for b in constants.BRANCHES.values() if b.queue} <= set(constants.QUEUES)


def test_every_variable_and_the_step_event_appear_in_the_dialplan() -> None:
    text = dialplan_text()
    for name in (constants.VAR_BRANCH, constants.VAR_LANGUAGE, constants.VAR_PRIORITY, constants.VAR_EMERGENCY,
                 constants.VAR_REPEAT_CALLER, constants.VAR_AGENCY_NUMBER, constants.USEREVENT_STEP):
        assert re.search(rf"\b{name}\b", text), name
    assert re.search(rf"^exten = {constants.MENU_EXTEN},", text, re.M), constants.MENU_EXTEN


def test_citizen_out_is_included_by_no_context() -> None:
    """Only the controller (AMI Originate into citizen-out) and an agent's transfer to an agency (agency-out,
    reached from agent-transfer's realtime extensions) reach the citizens' trunk: no context includes either,
    and they are the only contexts that dial the citizen-trunk endpoint."""
    text = dialplan_text()
    for context in (constants.CONTEXT_CITIZEN_OUT, constants.CONTEXT_AGENCY_OUT):
        assert not re.search(rf"^\s*include\s*=>?\s*{context}\b", text, re.M), context
    dialling = sorted(path.name for path in DIALPLAN.glob("extensions*.conf")
                      if f"@{constants.ENDPOINT_CITIZEN_TRUNK}" in path.read_text(encoding="utf-8"))
    assert dialling == ["extensions_citizen_out.conf", "extensions_transfer.conf"]
    transfer = (DIALPLAN / "extensions_transfer.conf").read_text(encoding="utf-8")
    dials = [line for line in transfer.splitlines()
             if f"@{constants.ENDPOINT_CITIZEN_TRUNK}" in line and not line.startswith(";")]
    assert dials and all(f"${{FILTER(0-9,${{{constants.VAR_AGENCY_NUMBER}}})}}" in line for line in dials), dials
