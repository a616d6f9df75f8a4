"""The browser phone's names and Asterisk config: the endpoint <ext>-web, WebRTC media, loopback ICE."""
from __future__ import annotations

from pathlib import Path

import pytest

from contracts.phones import (BROWSER_SUFFIX, browser_endpoint, ext_of_browser_endpoint, phone_interface, phone_of,
                              state_interface)
from ivr.acd.service import member_fields
from runtime import asterisk_config
from runtime.asterisk_config import AgentEndpoint, InstanceLayout, InstanceRenderer, PbxOptions, ice_host_candidates


def test_runtime_and_contracts_name_the_browser_phone_alike():
    assert asterisk_config.BROWSER_SUFFIX == BROWSER_SUFFIX
    assert browser_endpoint("1001") == "1001-web"
    assert ext_of_browser_endpoint("1001-web") == "1001"
    assert ext_of_browser_endpoint("1001") is None and ext_of_browser_endpoint("trunk-web") is None


def test_a_member_interface_is_the_desk_phone_the_browser_phone_or_neither():
    assert phone_of("1001", "PJSIP/1001") == "desk"
    assert phone_of("1001", "PJSIP/1001-web") == "browser"
    assert phone_of("1001", "Local/1001@agent-phones") == "both"
    assert phone_of("1001", "Local/1001@test-agent/n") is None and phone_of("1001", "PJSIP/1002-web") is None
    with pytest.raises(ValueError):
        phone_interface("1001", "fax")


def test_app_queue_watches_the_device_or_for_both_phones_their_hint():
    assert state_interface("PJSIP/1001-web") == "PJSIP/1001-web"
    assert state_interface("Local/1001@agent-phones") == "hint:1001@agent-phones"
    assert state_interface("Local/1001@test-agent/n") is None
    fields = member_fields("1001", phone_interface("1001", "both"), "cdc", 0)
    assert (fields["Interface"], fields["StateInterface"]) == ("Local/1001@agent-phones", "hint:1001@agent-phones")
    assert "StateInterface" not in member_fields("1001", "Local/1001@test-agent/n", "cdc", 0)


def _pjsip(**options) -> str:
    pbx = PbxOptions(sip_port=5060, ami_port=5038, ami_user="u", ami_secret="s", agi_port=4573,
                     emergency_uri="sip:115@127.0.0.1:5090", agents=(AgentEndpoint("1001", "pw"),), **options)
    return InstanceRenderer(Path("/nonexistent"), InstanceLayout("/var/lib/ivr1022/x"), pbx)._pjsip()


def test_each_agent_gets_a_webrtc_endpoint_on_its_own_credential():
    text = _pjsip(webrtc_media_address="10.0.0.5")
    block = text[text.index("[1001-web](webrtc-endpoint)"):]
    assert "auth = 1001\n" in block and "aors = 1001-web\n" in block and "media_address = 10.0.0.5\n" in block
    assert "[1001-web](agent-aor)" in block


def test_loopback_media_maps_every_host_address_to_it_and_a_routable_one_maps_nothing():
    loopback = ice_host_candidates("127.0.0.1")
    assert loopback.startswith("[ice_host_candidates]")
    assert all(line.endswith("=> 127.0.0.1") for line in loopback.splitlines()[1:])
    assert "[ice_host_candidates]" not in ice_host_candidates("10.0.0.5")


def test_http_is_off_without_a_port_and_on_loopback_with_one():
    def http(**options) -> str:
        pbx = PbxOptions(sip_port=5060, ami_port=5038, ami_user="u", ami_secret="s", agi_port=4573,
                         emergency_uri="sip:115@127.0.0.1:5090", **options)
        return InstanceRenderer(Path("/nonexistent"), InstanceLayout("/x"), pbx)._http()
    assert http() == "enabled = no\n"
    assert http(http_port=8088) == "enabled = yes\nbindaddr = 127.0.0.1\nbindport = 8088\n"
