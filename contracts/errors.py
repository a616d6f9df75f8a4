"""The domain's refusals, shared by the controller (which raises them) and the console (which
answers them with an HTTP status: see `agent_console/errors.py`, `DOMAIN_STATUS`)."""
from __future__ import annotations


class DomainError(Exception):
    """A request the hotline refuses for a reason a person can act on; nothing was changed."""


class AgentUnknown(DomainError, LookupError):
    """No agent with that extension (404)."""


class CallUnknown(DomainError, LookupError):
    """No call with that linkedid, neither recorded nor live (404)."""


class NotYourCall(DomainError):
    """An agent acting on a call another agent took (403)."""


class AgentCommandRefused(DomainError):
    """The command is not possible in the agent's current state, e.g. `ready` while on a call (409)."""


class ListenerPhoneOffline(DomainError):
    """The listener's own phone has no registered contact, so it cannot ring (409)."""


class SmsGatewayUnavailable(DomainError):
    """The SMS gateway did not take the message (it is down, or refused it) (503)."""


class TelephonyUnavailable(DomainError):
    """Asterisk could not be reached or refused the action (503)."""
