"""The SIP identity one phone socket may use: the signed-in person's own browser endpoint, nobody else's.

GET /api/v1/phone/credential hands out only the session's own credential (URI sip:<ext>-web@…, digest user <ext>);
the relay holds every frame from the browser to the same identity (docs/webrtc.md, "What the relay checks"):

* a response (status line) passes: it answers a request of Asterisk's;
* every digest `username` (Authorization, Proxy-Authorization) is <ext>, the auth object of <ext>-web;
* REGISTER: From and To are <ext>-web;
* any other request outside a dialog (To without a tag): From is <ext>-web;
* inside a dialog: From is <ext>-web or a URI user Asterisk itself addressed this person's phone as (its INVITE
  to the browser is To: the registered Contact, whose user JsSIP makes up, so the browser's BYE comes From that).
  Learnt per person, not per socket: a phone that reconnects mid-call (a bad network) sends its hold re-INVITE or
  BYE on the new socket, inside the dialog Asterisk opened on the old one. The newest MAX_ADDRESSED are kept;
* a frame of nothing but CR/LF/space passes: the keep-alive of SIP over a connection (RFC 5626 §4.4.1).
"""
from __future__ import annotations

from collections import OrderedDict

from agent_console.sip_frames import SipFrameError, SipRequest, SipResponse, parse_frame
from contracts.phones import browser_endpoint

MAX_ADDRESSED = 32      # a page has one contact user; the newest 32 cover a shift of reloads, and bound the memory


class SipIdentityPin:
    def __init__(self, ext: str) -> None:
        self.auth_user = ext
        self.endpoint = browser_endpoint(ext)
        self._addressed: OrderedDict[str, None] = OrderedDict()

    def refusal(self, frame: str | bytes) -> str | None:
        """Why the browser's frame may not go to Asterisk, or None when it may."""
        if isinstance(frame, str) and not frame.strip(" \r\n"):
            return None                               # a CRLF keep-alive
        try:
            message = parse_frame(frame)
        except SipFrameError as exc:
            return f"malformed SIP: {exc}"
        if isinstance(message, SipResponse):
            return None
        return self._request_refusal(message)

    def heard_from_asterisk(self, frame: str) -> None:
        """Asterisk's own requests say which other URI users are this browser's (inside their dialogs)."""
        try:
            message = parse_frame(frame)
        except SipFrameError:
            return
        if isinstance(message, SipRequest):
            self._addressed[message.to_user] = None
            self._addressed.move_to_end(message.to_user)
            while len(self._addressed) > MAX_ADDRESSED:
                self._addressed.popitem(last=False)

    def _request_refusal(self, request: SipRequest) -> str | None:
        stranger = next((u for u in request.digest_usernames if u != self.auth_user), None)
        if stranger is not None:
            return f"{request.method}: digest username {stranger!r} is not {self.auth_user!r}"
        in_dialog = request.in_dialog and request.method != "REGISTER"
        allowed = {self.endpoint} | (set(self._addressed) if in_dialog else set())
        if request.from_user not in allowed:
            return f"{request.method}: From {request.from_user!r} is not {self.endpoint!r}"
        if request.method == "REGISTER" and request.to_user != self.endpoint:
            return f"REGISTER: To {request.to_user!r} is not {self.endpoint!r}"
        return None


class PhonePins:
    """One SipIdentityPin per person, shared by all their phone sockets (app[PHONE_PINS])."""

    def __init__(self) -> None:
        self._pins: dict[str, SipIdentityPin] = {}

    def of(self, ext: str) -> SipIdentityPin:
        return self._pins.setdefault(ext, SipIdentityPin(ext))
