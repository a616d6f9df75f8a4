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


class AgentPhoneOffline(DomainError):
    """The agent's own phone has no registered contact, so a call from the worklist cannot ring it (409)."""


class FollowupUnknown(DomainError, LookupError):
    """No worklist item with that id (404)."""


class FollowupRefused(DomainError):
    """The worklist item is closed, someone is calling it, or it has no call to record an outcome for (409)."""


class SmsGatewayUnavailable(DomainError):
    """The SMS gateway did not take the message (it is down, or refused it) (503)."""


class TelephonyUnavailable(DomainError):
    """Asterisk could not be reached or refused the action (503)."""


class AgencyUnknown(DomainError, LookupError):
    """No agency with that id in the directory (404)."""


class AgencyNameTaken(DomainError):
    """Another entry of the agency directory has the same name, case, spaces and diacritics aside (409)."""


class AgencyRefused(DomainError):
    """A wrap-up names an agency not in the directory, no longer active, or not serving the call's branch (422)."""
