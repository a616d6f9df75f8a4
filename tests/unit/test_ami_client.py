"""AmiClient against a scripted AMI peer on loopback: the failure paths Asterisk rarely shows on demand."""
import asyncio

import pytest

from ivr.ami.client import AmiActionFailed, AmiClient, AmiDisconnected, AmiTimeout
from ivr.ami.protocol import AmiParser
from tests.waiting import until


class ScriptedAmi:
    """Answers Login and Ping; what else it does is up to the test."""

    def __init__(self, answer_pings=True):
        self.answer_pings = answer_pings
        self.actions: list[dict] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self):
        for writer in self.writers:
            writer.close()
        self.server.close()
        await self.server.wait_closed()

    def send(self, text: str):
        self.writers[-1].write(text.encode())

    async def _serve(self, reader, writer):
        self.connections += 1
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        parser = AmiParser()
        parser.feed(b"Asterisk Call Manager/x\r\n")
        while data := await reader.read(4096):
            for message in parser.feed(data):
                action = dict(message)
                self.actions.append(action)
                reply = self.reply(action)
                if reply:
                    writer.write(reply.encode())

    def reply(self, action):
        aid = action["ActionID"]
        if action["Action"] == "Login":
            ok = action["Secret"] == "s3cret"
            return f"Response: {'Success' if ok else 'Error'}\r\nActionID: {aid}\r\nMessage: x\r\n\r\n"
        if action["Action"] == "Ping" and self.answer_pings:
            return f"Response: Success\r\nActionID: {aid}\r\nPing: Pong\r\n\r\n"
        if action["Action"] == "QueueStatus":
            return (f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n\r\n"
                    f"Event: QueueParams\r\nActionID: {aid}\r\nQueue: cdc\r\n\r\n"
                    f"Event: QueueStatusComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n\r\n")
        if action["Action"] == "Bad":
            return f"Response: Error\r\nActionID: {aid}\r\nMessage: Invalid/unknown command\r\n\r\n"
        return None  # silence: the action never gets an answer


@pytest.fixture
async def peer():
    server = ScriptedAmi()
    yield server
    await server.stop()


async def connected_client(port, **kwargs):
    client = AmiClient("127.0.0.1", port, "ivr", "s3cret", action_timeout=0.3, **kwargs)
    await client.start()
    await client.wait_connected(3)
    return client


async def test_list_action_errors_and_timeouts(peer):
    client = await connected_client(await peer.start())
    try:
        events = await client.collect("QueueStatus")
        assert [e.event for e in events] == ["QueueParams"] and events[0]["Queue"] == "cdc"
        with pytest.raises(AmiActionFailed, match="Invalid/unknown command"):
            await client.send("Bad")
        with pytest.raises(AmiTimeout):
            await client.send("Originate", Channel="Local/1@x")
    finally:
        await client.stop()


async def test_pending_action_fails_on_disconnect_and_is_not_resent(peer):
    client = await connected_client(await peer.start(), ping_interval=60)
    try:
        pending = asyncio.create_task(client.send("Originate", timeout=5, Channel="Local/1@x"))
        await until(lambda: "Originate" in [a["Action"] for a in peer.actions], 5, "the Originate to arrive",
                    interval=0.01)
        peer.writers[-1].close()
        with pytest.raises(AmiDisconnected):
            await pending
        await client.wait_connected(3)
        assert peer.connections == 2
        assert [a["Action"] for a in peer.actions].count("Originate") == 1
    finally:
        await client.stop()


async def test_unanswered_ping_is_noticed_and_the_client_reconnects(peer):
    peer.answer_pings = False
    client = await connected_client(await peer.start(), ping_interval=0.1, ping_timeout=0.2)
    try:
        await until(lambda: client.connections >= 2, 5, "the client to reconnect", interval=0.02)
        assert peer.connections >= 2
    finally:
        await client.stop()


async def test_a_raising_handler_does_not_kill_the_connection(peer):
    client = await connected_client(await peer.start(), ping_interval=60)
    seen = []

    def broken(event):
        raise RuntimeError("boom")

    client.subscribe(broken)
    client.subscribe(lambda e: seen.append(e.event))
    try:
        peer.send("Event: Hangup\r\nLinkedid: 1\r\n\r\nEvent: Newchannel\r\nLinkedid: 2\r\n\r\n")
        await until(lambda: len(seen) == 2, 5, "both events handled", interval=0.01)
        assert seen == ["Hangup", "Newchannel"]
        assert client.connected and peer.connections == 1
    finally:
        await client.stop()


async def test_refused_login_keeps_retrying_and_never_reports_connected(peer):
    client = AmiClient("127.0.0.1", await peer.start(), "ivr", "wrong", max_backoff=0.1)
    await client.start()
    try:
        await until(lambda: peer.connections >= 3, 5, "two retried logins", interval=0.02)
        assert not client.connected
        with pytest.raises(AmiDisconnected):
            await client.send("Ping")
    finally:
        await client.stop()


async def test_stop_leaves_no_task_of_the_connection_behind(peer):
    before = set(asyncio.all_tasks())  # other clients may share this loop (session-scoped fixtures)
    client = await connected_client(await peer.start(), ping_interval=30)

    def connection_tasks() -> set[asyncio.Task]:
        return {t for t in asyncio.all_tasks() - before if t.get_name().startswith("ami-")}

    # the watchdog starts once the login is answered, asleep until its next ping
    await until(lambda: {t.get_name() for t in connection_tasks()} >= {"ami-supervisor", "ami-reader", "ami-watchdog"},
                5, "the connection's three tasks", interval=0.01)
    ours = connection_tasks()
    await client.stop()
    await until(lambda: all(t.done() for t in ours), 2, "every task of the connection to end", interval=0.01)
