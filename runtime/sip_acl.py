"""Asterisk's pjsip ACL of banned SIP addresses (sip_bans.conf, included by dialplan/pjsip.conf).

The renderer writes it with no ban (so Asterisk starts with the ACL defined); the controller's SIP
guard (ivr/sip_guard.py) rewrites it and reloads res_pjsip_acl when a ban starts or ends.
"""
from __future__ import annotations

ACL_NAME = "sip-bans"
ACL_FILE = "sip_bans.conf"


def acl_text(addresses: list[str]) -> str:
    """Everyone is permitted, then each banned address is denied (in an Asterisk ACL the last match wins)."""
    lines = ["; sip_bans.conf — written by the controller (ivr/sip_guard.py); edits are overwritten.",
             f"[{ACL_NAME}]", "type = acl", "permit = 0.0.0.0/0.0.0.0", "permit = ::/0"]
    lines += [f"deny = {address}" for address in sorted(addresses)]
    return "\n".join(lines) + "\n"
