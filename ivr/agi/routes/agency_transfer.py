"""AGI(agi://…/agency_transfer,<agency id>): an agent blind-transferred the caller to agency-<id>
(dialplan/extensions_transfer.conf, context agency-out).

Sets AGENCY_NUMBER to the agency's phone as the directory has it now, or to "" (the dialplan then puts
the caller back in line) when the id is not a directory entry, the entry is inactive or has no phone.
The number comes only from the directory: the agent picks an agency, never types a number.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from db.agencies import get_agency
from ivr.agi.server import AgiSession
from ivr.constants import VAR_AGENCY_NUMBER

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 1.0
MAX_ID_DIGITS = 9


def agency_id_of(args: list[str]) -> int | None:
    """The agency id the dialplan passed (its exten), or None when it is not one."""
    raw = args[0] if args else ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS else None


def transfer_number(agency: dict[str, Any] | None) -> tuple[str, str | None]:
    """(number, None) to dial, or ("", why not)."""
    if agency is None:
        return "", "not in the directory"
    if not agency["active"]:
        return "", "no longer active"
    if not agency.get("phone"):
        return "", "no phone number"
    return agency["phone"], None


class AgencyTransfer:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def __call__(self, session: AgiSession) -> None:
        agency_id = agency_id_of(session.request.args)
        agency = None
        if agency_id is not None:
            agency = await asyncio.wait_for(get_agency(self._pool, agency_id), LOOKUP_TIMEOUT_S)
        number, refusal = transfer_number(agency)
        if refusal is not None:
            log.warning("transfer to agency %r refused: %s", session.request.args[:1], refusal)
        await session.set_variable(VAR_AGENCY_NUMBER, number)
