"""A real Asterisk with the project's dialplan: boot, modules, contexts, queues, AMI, the menu.

Callers here are Local channels originated through AMI (tests/dialplan/test_contexts.conf):
Local/<digits>@test-press/n dials 1022 from from-trunk and presses <digits>.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import replace

import pytest

from ivr.constants import CONTEXT_AGENTS, CONTEXT_IVR_STEP, CONTEXT_MENU, CONTEXT_TRUNK, QUEUES
from runtime.asterisk import AgentEndpoint, AsteriskError, AsteriskInstance
from tests.fixtures.asterisk import AmiProbe, agent_complete

pytestmark = pytest.mark.integration


async def originate_caller(ami: AmiProbe, digits: str, caller: str = "0912345678") -> str:
    """A Local-channel caller who dials 1022 and presses `digits`; returns the ;1 channel's
    uniqueid (the caller leg the menu runs on)."""
    channel_id = uuid.uuid4().hex[:16]
    reply = await ami.action({
        "Action": "Originate", "Channel": f"Local/{digits}@test-press/n",
        "Context": CONTEXT_TRUNK, "Exten": "1022", "Priority": "1",
        "CallerID": f'"Test caller" <{caller}>', "Async": "true",
        "ChannelId": channel_id, "OtherChannelId": channel_id + "b",
    })
    assert reply["Response"] == "Success", reply
    return channel_id


async def queue_event(probe: AmiProbe, pbx: AsteriskInstance, name: str, linkedid: str,
                      member: str | None = None, timeout: float = 45) -> dict[str, str]:
    """The queue event `name` of call `linkedid` (AgentComplete: see `agent_complete`); on a timeout
    the failure shows the `name` events seen, Asterisk's channels and its log (a liveness bound, not
    a speed goal: the Local agent talks 3 s)."""
    if name == "AgentComplete":
        predicate = agent_complete(linkedid, member or "")
    else:
        def predicate(e: dict[str, str]) -> bool:
            return e.get("Event") == name and e.get("Linkedid") == linkedid
    try:
        return await probe.wait_event(predicate, timeout)
    except asyncio.TimeoutError:
        seen = [e for e in probe.events if e.get("Event") == name]
        channels = await pbx.cli("core show channels verbose")
        raise AssertionError(f"no {name} for {linkedid} within {timeout} s; {name} events seen: {seen}\n"
                             f"{channels}\n{pbx.log_tail(60)}") from None


def step(kind: str, value: str | None = None, uniqueid: str | None = None):
    def matches(event: dict[str, str]) -> bool:
        return (event.get("Event") == "UserEvent" and event.get("UserEvent") == "IvrStep"
                and event.get("Step") == kind
                and (value is None or event.get("Value") == value)
                and (uniqueid is None or event.get("Linkedid") == uniqueid))
    return matches


async def test_boots_with_project_dialplan(asterisk_pbx: AsteriskInstance) -> None:
    assert asterisk_pbx.running and asterisk_pbx.pid
    menu = await asterisk_pbx.cli(f"dialplan show {CONTEXT_MENU}")
    for key in ("'s'", "'i'", "'t'", "'h'", "'9'", "'0'", "'_[1-4]'"):
        assert key in menu, key
    for context in (CONTEXT_TRUNK, CONTEXT_AGENTS, CONTEXT_IVR_STEP, "test-press", "test-agent"):
        out = await asterisk_pbx.cli(f"dialplan show {context}")
        assert f"Context '{context}'" in out
    queues = await asterisk_pbx.cli("queue show")
    for queue in QUEUES:
        assert f"{queue} has 0 calls" in queues
    assert "W:100" in await asterisk_pbx.cli("queue show emergency")
    modules = await asterisk_pbx.cli("module show like res_agi")
    assert "Running" in modules
    for module in ("app_queue", "chan_pjsip", "app_mixmonitor", "res_musiconhold", "pbx_realtime"):
        assert "1 modules loaded" in await asterisk_pbx.cli(f"module show like {module}.so")
    assert "0 modules loaded" in await asterisk_pbx.cli("module show like cel_pgsql")
    endpoints = await asterisk_pbx.cli("pjsip show endpoints")
    assert "trunk" in endpoints and "emergency" in endpoints
    assert f"127.0.0.1:{asterisk_pbx.options.sip_port}" in endpoints


async def test_ami_login_with_generated_secret(asterisk_pbx: AsteriskInstance) -> None:
    options = asterisk_pbx.options
    probe = await AmiProbe.connect(options.ami_port, options.ami_user, options.ami_secret)
    try:
        assert probe.banner.startswith("Asterisk Call Manager")
        reply = await probe.action({"Action": "Ping"})
        assert reply["Response"] == "Success"
    finally:
        await probe.close()
    with pytest.raises(PermissionError):
        bad = await AmiProbe.connect(options.ami_port, options.ami_user, "wrong-secret")
        await bad.close()
    generated = (asterisk_pbx.etc_dir / "generated_manager.conf").read_text()
    assert options.ami_secret in generated
    assert oct((asterisk_pbx.etc_dir / "generated_manager.conf").stat().st_mode & 0o777) == "0o600"


async def test_local_caller_pressing_2_waits_in_cdc(asterisk_pbx: AsteriskInstance,
                                                     ami_probe: AmiProbe) -> None:
    channel_id = await originate_caller(ami_probe, "2")
    join = await ami_probe.wait_event(
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == channel_id, 15)
    assert join["Queue"] == "cdc"
    assert join.get("ChanVariable(IVR_BRANCH)") == "2"
    assert join.get("ChanVariable(IVR_LANG)") == "vi"
    # The path so far: language=vi, key=2, branch=2 (the AGI found nobody: priority 0).
    await ami_probe.wait_event(step("language", "vi", channel_id), 1)
    await ami_probe.wait_event(step("key", "2", channel_id), 1)
    await ami_probe.wait_event(step("branch", "2", channel_id), 1)
    assert join.get("ChanVariable(IVR_PRIORITY)") == "0"
    shown = await asterisk_pbx.cli("queue show cdc")
    assert "1 call" in shown and "Local/2@test-press" in shown
    await ami_probe.action({"Action": "Hangup", "Channel": shown.split("1. ")[1].split()[0]})
    await ami_probe.wait_event(
        lambda e: e.get("Event") == "QueueCallerAbandon" and e.get("Uniqueid") == channel_id, 10)


async def test_language_switch_then_branch_3(asterisk_pbx: AsteriskInstance,
                                             ami_probe: AmiProbe) -> None:
    channel_id = await originate_caller(ami_probe, "9w3")
    join = await ami_probe.wait_event(
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == channel_id, 15)
    assert join["Queue"] == "doctors"
    assert join.get("ChanVariable(IVR_LANG)") == "en"
    await ami_probe.wait_event(step("language", "en", channel_id), 1)
    await ami_probe.action({"Action": "Hangup", "Channel": join["Channel"]})


async def test_three_invalid_keys_go_to_default_branch(asterisk_pbx: AsteriskInstance,
                                                       ami_probe: AmiProbe) -> None:
    channel_id = await originate_caller(ami_probe, "5w7w8")
    join = await ami_probe.wait_event(
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == channel_id, 20)
    assert join["Queue"] == "cdc"          # DEFAULT_BRANCH 2
    invalid = [e for e in ami_probe.events if step("invalid", None, channel_id)(e)]
    assert [e["Value"] for e in invalid] == ["5", "7", "8"]
    await ami_probe.action({"Action": "Hangup", "Channel": join["Channel"]})


async def test_queued_call_answered_by_local_agent_is_recorded(
        asterisk_pbx: AsteriskInstance, ami_probe: AmiProbe) -> None:
    reply = await ami_probe.action({
        "Action": "QueueAdd", "Queue": "violations", "Interface": "Local/9001@test-agent/n",
        "MemberName": "9001", "Paused": "false"})
    assert reply["Response"] == "Success", reply
    try:
        channel_id = await originate_caller(ami_probe, "4")
        connect = await queue_event(ami_probe, asterisk_pbx, "AgentConnect", channel_id)
        assert connect["Queue"] == "violations"
        complete = await queue_event(ami_probe, asterisk_pbx, "AgentComplete", channel_id, "9001")
        assert int(complete["TalkTime"]) >= 2
        recording = asterisk_pbx.recordings_dir / f"{channel_id}.wav"
        for _ in range(50):
            if recording.exists() and recording.stat().st_size > 44:
                break
            await asyncio.sleep(0.1)
        assert recording.stat().st_size > 44
    finally:
        await ami_probe.action({"Action": "QueueRemove", "Queue": "violations",
                                "Interface": "Local/9001@test-agent/n"})


async def test_two_instances_side_by_side_and_stop_leaves_no_process(asterisk_factory) -> None:
    first = await asterisk_factory(agents=(AgentEndpoint("1001", "secret-1001"),))
    second = await asterisk_factory()
    try:
        assert first.pid != second.pid
        assert first.dir != second.dir
        assert "1001" in await first.cli("pjsip show endpoints")
        assert "1001" not in await second.cli("pjsip show endpoints")
        assert f"127.0.0.1:{second.options.sip_port}" in await second.cli("pjsip show transports")
    finally:
        pids = (first.pid, second.pid)
        await first.stop()
        await second.stop()
        await first.stop()                      # idempotent
    assert not first.running and not second.running
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")
    with pytest.raises(AsteriskError):
        await first.cli("core show version")


async def test_reload_pjsip_adds_agent(asterisk_factory) -> None:
    instance = await asterisk_factory()
    assert "1007" not in await instance.cli("pjsip show endpoints")
    instance.options = replace(instance.options, agents=(AgentEndpoint("1007", "pw-1007"),))
    instance.render()
    await instance.reload("res_pjsip.so")
    assert "1007" in await instance.cli("pjsip show endpoints")
    await instance.stop()


async def test_start_failure_reports_log_tail(asterisk_factory) -> None:
    instance = asterisk_factory.make()
    instance.render()
    # A module directory without modules and a required module: Asterisk exits at boot.
    conf = instance.etc_dir / "asterisk.conf"
    conf.write_text(conf.read_text().replace("astmoddir => ", "astmoddir => /nonexistent"))
    (instance.etc_dir / "modules.conf").write_text("[modules]\nautoload = no\n"
                                                   "require = pbx_config.so\n")
    with pytest.raises(AsteriskError) as failure:
        await instance.start(timeout=15)
    assert "did not boot" in str(failure.value)
    assert not instance.running


async def test_emergency_fallback_when_115_unreachable(asterisk_pbx: AsteriskInstance,
                                                       ami_probe: AmiProbe) -> None:
    # Nobody listens on the emergency URI's port: Dial fails (or times out after 5 s).
    channel_id = await originate_caller(ami_probe, "1")
    fallback = await ami_probe.wait_event(step("fallback", None, channel_id), 20)
    assert fallback["Value"] in ("CHANUNAVAIL", "CONGESTION", "NOANSWER", "BUSY")
    join = await ami_probe.wait_event(
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == channel_id, 5)
    assert join["Queue"] == "emergency"
    assert join.get("ChanVariable(IVR_EMERGENCY)") == "1"
    assert join.get("ChanVariable(IVR_BRANCH)") == "1"
    await ami_probe.action({"Action": "Hangup", "Channel": join["Channel"]})


async def test_max_wait_offers_a_message(asterisk_factory) -> None:
    instance = await asterisk_factory(queue_max_wait_s=2)
    options = instance.options
    probe = await AmiProbe.connect(options.ami_port, options.ami_user, options.ami_secret)
    try:
        # Keep the recording short: a global for this instance only.
        await probe.action({"Action": "Setvar", "Variable": "MESSAGE_MAX_S", "Value": "2"})
        channel_id = await originate_caller(probe, "2")
        leave = await probe.wait_event(
            lambda e: e.get("Event") == "QueueCallerAbandon" and e.get("Uniqueid") == channel_id
            or e.get("Event") == "QueueCallerLeave" and e.get("Uniqueid") == channel_id, 15)
        assert leave["Queue"] == "cdc"
        message = await probe.wait_event(step("message", None, channel_id), 15)
        assert message["Value"] == f"{channel_id}.wav"
        assert (instance.messages_dir / message["Value"]).exists()
    finally:
        await probe.close()
        await instance.stop()
    queue_log = instance.queue_log_file.read_text()
    assert f"|{channel_id}|cdc|NONE|EXITWITHTIMEOUT|" in queue_log


async def test_cel_and_queue_log_written_to_postgres(asterisk_factory, database_url) -> None:
    import asyncpg

    from runtime.asterisk import DbParams

    instance = await asterisk_factory(db=DbParams.from_url(database_url))
    assert "1 modules loaded" in await instance.cli("module show like cel_pgsql")
    options = instance.options
    probe = await AmiProbe.connect(options.ami_port, options.ami_user, options.ami_secret)
    try:
        # A fresh Asterisk answers AMI before app_queue is loaded: retry until the member is in.
        for _ in range(50):
            added = await probe.action({"Action": "QueueAdd", "Queue": "violations",
                                        "Interface": "Local/9002@test-agent/n", "MemberName": "9002"})
            if added.get("Response") == "Success":
                break
            await asyncio.sleep(0.2)
        assert added.get("Response") == "Success", added
        channel_id = await originate_caller(probe, "4", caller="0911000444")
        await queue_event(probe, instance, "AgentComplete", channel_id, "9002")
        await probe.wait_event(lambda e: e.get("Event") == "Hangup"
                               and e.get("Uniqueid") == channel_id, 5)
    finally:
        await probe.close()
    con = await asyncpg.connect(database_url)
    try:
        for _ in range(30):                  # cel_pgsql writes asynchronously
            steps = await con.fetch(
                "SELECT extra FROM cel WHERE linkedid = $1 AND eventtype = 'ivr_step' "
                "ORDER BY id", channel_id)
            ended = await con.fetchval(
                "SELECT count(*) FROM cel WHERE linkedid = $1 AND eventtype = 'LINKEDID_END'",
                channel_id)
            if ended:
                break
            await asyncio.sleep(0.2)
        assert ended == 1
        # The Local agent hangs up first, so the caller is asked the survey (issue 12) and presses nothing.
        assert [row["extra"] for row in steps] == [
            '{"extra":"language=vi"}', '{"extra":"key=4"}', '{"extra":"branch=4"}', '{"extra":"survey=asked"}']
        events = [row["event"] for row in await con.fetch(
            "SELECT event FROM queue_log WHERE callid = $1 ORDER BY id", channel_id)]
        assert events == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
        skew = await con.fetchval(
            "SELECT abs(extract(epoch FROM now() - max(eventtime))) FROM cel WHERE linkedid = $1",
            channel_id)
        assert skew < 60                      # written in UTC, read back as the right instant
    finally:
        await con.close()
        await instance.stop()


async def test_caller_lookup_agi_sets_priority(asterisk_pbx: AsteriskInstance,
                                               ami_probe: AmiProbe) -> None:
    """The dialplan calls agi://127.0.0.1:<agi_port>/caller_lookup and uses what it sets."""
    requests: list[dict[str, str]] = []

    async def fastagi(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        headers: dict[str, str] = {}
        while (line := (await reader.readline()).decode().strip()):
            key, _, value = line.partition(": ")
            headers[key] = value
        requests.append(headers)
        for command in ('SET VARIABLE IVR_PRIORITY "7"', 'SET VARIABLE IVR_REPEAT "1"'):
            writer.write(f"{command}\n".encode())
            await writer.drain()
            assert (await reader.readline()).startswith(b"200 result=1")
        writer.close()

    server = await asyncio.start_server(fastagi, "127.0.0.1", asterisk_pbx.options.agi_port)
    try:
        channel_id = await originate_caller(ami_probe, "3", caller="0911000777")
        join = await ami_probe.wait_event(
            lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == channel_id,
            15)
        assert join.get("ChanVariable(IVR_PRIORITY)") == "7"
        assert join.get("ChanVariable(IVR_REPEAT)") == "1"
        assert requests[0]["agi_network_script"] == "caller_lookup"
        assert requests[0]["agi_callerid"] == "0911000777"
        await ami_probe.action({"Action": "Hangup", "Channel": join["Channel"]})
    finally:
        server.close()
        await server.wait_closed()


def _wav(path, frames: int = 800) -> None:
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * frames)


async def test_render_puts_prompts_over_core_sounds(asterisk_factory, tmp_path) -> None:
    prompts = tmp_path / "prompts"
    _wav(prompts / "sounds/vi/1022/welcome.wav")
    _wav(prompts / "sounds/vi/queue-thankyou.wav")
    _wav(prompts / "sounds/en/digits/1.wav")
    _wav(prompts / "moh/calm.wav")
    instance = asterisk_factory.make(sounds_dir=prompts)
    instance.render()
    data = instance.dir / "data"
    assert (data / "sounds/vi/1022/welcome.wav").is_file()
    assert (data / "moh/calm.wav").is_file()
    en_digits = data / "sounds/en/digits"
    assert (en_digits / "1.wav").is_file() and not (en_digits / "1.gsm").exists()
    assert (en_digits / "2.gsm").exists()              # core sound, linked through the root
    await instance.start()
    try:
        shown = await instance.cli("core show sound 1022/welcome")
        assert "Language vi" in shown
        assert "calm" in await instance.cli("moh show files")
    finally:
        await instance.stop()


def test_db_params_from_url() -> None:
    from runtime.asterisk import DbParams

    assert DbParams.from_url("postgresql://ivr:p%40ss@127.0.0.1:5433/hotline") == DbParams(
        "127.0.0.1", 5433, "hotline", "ivr", "p@ss")
    assert DbParams.from_url("postgres://postgres@localhost/x").port == 5432
    with pytest.raises(ValueError):
        DbParams.from_url("mysql://x@y/z")


async def test_start_replaces_a_stale_instance(asterisk_factory) -> None:
    first = await asterisk_factory()
    # Same name and directories, as after a crash of the process that started `first`.
    second = AsteriskInstance(first.root, first.name, first.options)
    with pytest.raises(AsteriskError):
        await second.start(timeout=10, replace_stale=False)
    await second.start(timeout=20)
    try:
        await asyncio.wait_for(first._process.wait(), 10)
        assert not first.running and second.running
        assert "fully booted" in await second.cli("core waitfullybooted")
    finally:
        await second.stop()


def _scheduling_of_threads(pid: int) -> set[tuple[int, int]]:
    """(nice, policy) of every thread of pid, from /proc/<pid>/task/*/stat (fields 19 and 41)."""
    found = set()
    for stat in (f"/proc/{pid}/task/{tid}/stat" for tid in os.listdir(f"/proc/{pid}/task")):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:              # a thread that ended meanwhile
            continue
        found.add((int(fields[16]), int(fields[38])))
    return found


async def test_a_niced_asterisk_runs_every_thread_at_batch_priority(asterisk_factory):
    pbx = await asterisk_factory(nice=10)
    assert pbx.pid is not None
    assert (await pbx.cli("core show version")).startswith("Asterisk")
    threads = _scheduling_of_threads(pbx.pid)
    assert threads == {(10, os.SCHED_BATCH)}, threads
