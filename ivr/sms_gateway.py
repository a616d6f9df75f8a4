"""The SMS channel's wiring (issue 14): our Kannel's options and the console's sender, from the settings.

The URLs Kannel calls back carry the SMS secret; both point at the console on loopback."""
from __future__ import annotations

from urllib.parse import quote

from ivr.config import Settings
from ivr.sms_sender import KannelSender
from runtime.kannel import KannelOptions


def console_url(s: Settings, path: str) -> str:
    return f"http://127.0.0.1:{s.http_port}{path}?secret={quote(s.sms_secret, safe='')}"


def kannel_options(s: Settings) -> KannelOptions:
    """Ports kannel_port (admin), +1 (bearerbox <-> smsbox), +2 (sendsms), +3 (the fake SMSC)."""
    password = s.sms_send_url.split("password=", 1)[1].split("&", 1)[0]
    return KannelOptions(admin_port=s.kannel_port, smsbox_port=s.kannel_port + 1, sendsms_port=s.kannel_port + 2,
                         smsc_port=s.kannel_port + 3, inbound_url=console_url(s, "/api/v1/sms/inbound"),
                         dlr_url=console_url(s, "/api/v1/sms/delivery"), send_password=password,
                         admin_password=password, number=s.sms_number, smsc_file=s.sms_smsc_file)


def sms_sender(s: Settings) -> KannelSender | None:
    if not s.sms:
        return None
    return KannelSender(s.sms_send_url, console_url(s, "/api/v1/sms/delivery"), sender_number=s.sms_number)
