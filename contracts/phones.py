"""The phones of one extension, as Asterisk names them (shared by runtime/, ivr/ and agent_console/).

An extension <ext> has a desk phone (PJSIP endpoint <ext>, UDP) and a browser phone in the console
(endpoint <ext>-web: WebRTC over the WebSocket transport, the same digest credential). Channels of
the browser phone are PJSIP/<ext>-web-<n>, so everything that reads an extension from a channel name
up to the first "-" still finds <ext>.
"""
from __future__ import annotations

BROWSER_SUFFIX = "-web"
PHONE_OFFLINE_REASON = "phone-offline"     # the ACD's pause while the browser phone is not registered


def browser_endpoint(ext: str) -> str:
    return f"{ext}{BROWSER_SUFFIX}"


def phone_of(ext: str, interface: str) -> str | None:
    """Which phone a queue member interface rings, in login's words: 'desk' (PJSIP/<ext>), 'browser'
    (PJSIP/<ext>-web), None for anything else (a test's Local channel)."""
    return {f"PJSIP/{ext}": "desk", f"PJSIP/{browser_endpoint(ext)}": "browser"}.get(interface)


def ext_of_browser_endpoint(name: str) -> str | None:
    """'1001-web' → '1001'; anything else → None."""
    if name.endswith(BROWSER_SUFFIX) and name[:-len(BROWSER_SUFFIX)].isdigit():
        return name[:-len(BROWSER_SUFFIX)]
    return None
