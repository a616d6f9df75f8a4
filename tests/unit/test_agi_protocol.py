import asyncio

import pytest

from ivr.agi.protocol import AgiProtocolError, AgiRequest, parse_header_line, parse_result, set_variable_command
from ivr.agi.server import read_request


def test_route_and_args_from_headers():
    request = AgiRequest({"agi_network_script": "caller_lookup?x=1", "agi_arg_2": "b", "agi_arg_1": "a",
                          "agi_callerid": "0912345678"})
    assert request.route == "caller_lookup"
    assert request.args == ["a", "b"]
    assert request.caller_number == "0912345678"


def test_route_from_request_url_when_no_network_script():
    assert AgiRequest({"agi_request": "agi://127.0.0.1:4573/caller_lookup"}).route == "caller_lookup"


@pytest.mark.parametrize("line, code, result, data", [
    ("200 result=1\n", 200, 1, None),
    ("200 result=-1 (timeout)\n", 200, -1, "timeout"),
    ("510 Invalid or unknown command\n", 510, None, None),
])
def test_parse_result(line, code, result, data):
    parsed = parse_result(line)
    assert (parsed.code, parsed.result, parsed.data) == (code, result, data)


def test_garbage_is_not_a_result_or_header():
    with pytest.raises(AgiProtocolError):
        parse_result("hello")
    with pytest.raises(AgiProtocolError):
        parse_header_line(b"GET / HTTP/1.1\r\n")


def test_set_variable_quotes_caller_supplied_values():
    assert set_variable_command("IVR_PRIORITY", "5") == 'SET VARIABLE IVR_PRIORITY "5"\n'
    assert set_variable_command("X", 'a"b\nc') == 'SET VARIABLE X "a\\"b c"\n'
    with pytest.raises(AgiProtocolError):
        set_variable_command("X Y", "1")


async def feed(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_read_request_stops_at_blank_line():
    reader = await feed(b"agi_network_script: caller_lookup\nagi_callerid: 1\n\nSTRAY")
    request = await read_request(reader)
    assert request.route == "caller_lookup" and request.caller_number == "1"


async def test_read_request_refuses_early_close_instead_of_spinning():
    with pytest.raises(AgiProtocolError, match="closed"):
        await read_request(await feed(b"agi_network_script: x\n"))
