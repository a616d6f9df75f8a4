"""SmsSender over Kannel's sendsms HTTP interface (IVR_SMS_SEND_URL; contracts.ports.SmsSender).

The URL carries the sendsms-user's username and password in its query (our own Kannel's is built
by ivr/config.py). Text that is not plain ASCII goes as UCS-2 (coding=2, Kannel converts from
UTF-8), so Vietnamese keeps its diacritics. Each SMS asks for every delivery report (dlr-mask 31)
at the console's /api/v1/sms/delivery, naming our send id; Kannel fills in %d and %A.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from contracts.errors import SmsGatewayUnavailable

DLR_MASK = 31          # delivered, failed, buffered, taken by the SMSC, rejected by the SMSC


class KannelSender:
    def __init__(self, send_url: str, dlr_url: str, *, sender_number: str = "1022", timeout_s: float = 10.0) -> None:
        self.send_url = send_url
        self.dlr_url = dlr_url            # the console's /api/v1/sms/delivery?secret=...
        self.sender_number = sender_number
        self.timeout_s = timeout_s

    def url_for(self, receiver: str, text: str, send_id: int) -> str:
        ascii_only = text.isascii()
        params = {"from": self.sender_number, "to": receiver, "text": text, "charset": "UTF-8",
                  "coding": "0" if ascii_only else "2", "dlr-mask": str(DLR_MASK),
                  "dlr-url": f"{self.dlr_url}&send={send_id}&type=%d&detail=%A"}
        parts = urlsplit(self.send_url)
        query = "&".join(q for q in (parts.query, urlencode(params)) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    async def send(self, receiver: str, text: str, send_id: int) -> None:
        """Kannel answers 202 "0: Accepted for delivery" (or "3: Queued for later delivery")."""
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(self.url_for(receiver, text, send_id)) as response:
                    answer = (await response.text(errors="replace")).strip()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise SmsGatewayUnavailable(f"the SMS gateway cannot be reached: {exc!r}") from None
        if response.status not in (200, 202):
            raise SmsGatewayUnavailable(f"the SMS gateway refused the SMS ({response.status}): {answer[:200]}")
