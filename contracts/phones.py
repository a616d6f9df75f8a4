"""The phones of one extension, as Asterisk names them (shared by runtime/, ivr/ and agent_console/).

An extension <ext> has a desk phone (PJSIP endpoint <ext>, UDP) and a browser phone in the console
(endpoint <ext>-web: WebRTC over the WebSocket transport, the same digest credential). Channels of
the browser phone are PJSIP/<ext>-web-<n>, so everything that reads an extension from a channel name
up to the first "-" still finds <ext>.

The queues ring one of them (interface PJSIP/<ext> or PJSIP/<ext>-web) or both at once: the member
Local/<ext>@agent-phones (dialplan/extensions_agents.conf dials PJSIP/<ext>&PJSIP/<ext>-web; the first
to answer takes the call, the other stops ringing), whose state is the hint of the two devices.
"""
from __future__ import annotations

BROWSER_SUFFIX = "-web"
PHONE_OFFLINE_REASON = "phone-offline"     # the ACD's pause while the browser phone is not registered
BOTH_CONTEXT = "agent-phones"              # the dialplan context that rings both phones of an extension
PHONES = ("desk", "browser", "both")       # what login may ring ("auto" chooses among them)
LISTENER_PHONES = ("desk", "browser")      # what a supervisor's listen / whisper / barge may ring


def browser_endpoint(ext: str) -> str:
    return f"{ext}{BROWSER_SUFFIX}"


def phone_interface(ext: str, phone: str) -> str:
    """The queue member interface that rings `phone` ("desk" | "browser" | "both") of `ext`."""
    interfaces = {"desk": f"PJSIP/{ext}", "browser": f"PJSIP/{browser_endpoint(ext)}",
                  "both": f"Local/{ext}@{BOTH_CONTEXT}"}
    if phone not in interfaces:
        raise ValueError(f"not a phone: {phone!r}")
    return interfaces[phone]


def state_interface(interface: str) -> str | None:
    """What app_queue watches for a member's availability: the device itself, the hint of both phones
    (hint:<ext>@agent-phones: in use when either is, unavailable when neither is registered), None
    for anything else (a test's Local channel)."""
    if interface.startswith("PJSIP/"):
        return interface
    tech, _, rest = interface.partition("/")
    if tech == "Local" and rest.endswith(f"@{BOTH_CONTEXT}"):
        return f"hint:{rest}"
    return None


def phone_of(ext: str, interface: str) -> str | None:
    """Which phone a queue member interface rings, in login's words: 'desk', 'browser', 'both'; None for
    anything else (a test's Local channel)."""
    return next((phone for phone in PHONES if phone_interface(ext, phone) == interface), None)


def phone_channel_prefix(ext: str) -> str:
    """The start of the name of every channel of either phone of `ext` (PJSIP/<ext>-<n>, PJSIP/<ext>-web-<n>)."""
    return f"PJSIP/{ext}-"


def ext_of_browser_endpoint(name: str) -> str | None:
    """'1001-web' → '1001'; anything else → None."""
    if name.endswith(BROWSER_SUFFIX) and name[:-len(BROWSER_SUFFIX)].isdigit():
        return name[:-len(BROWSER_SUFFIX)]
    return None
