"""Call recordings: metadata, the audio, and the access log (docs/recordings.md).

Recordings are personal data. Only supervisors, admins and the agent who took the call may
play or download one; a refusal answers 403 and is logged, not written as an access. Every
successful play or download appends a recording_access row *before* the first byte is sent.
The access log itself is for admins only.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from agent_console.api.audit_log import audit_log_page
from agent_console.api.forms import by_linkedid
from agent_console.errors import ApiError
from agent_console.keys import RECORDING_STORE, Principal, pool_of, principal_of
from contracts.ports import RecordingStore
from db.recordings import (
    get_recording,
    get_recording_of_call,
    list_accesses,
    record_access,
    recording_json,
)

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

_ID = re.compile(r"^[0-9]{1,18}$")
AUDIO_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def setup(app: web.Application, store: RecordingStore | None) -> None:
    """Without a store the audio answers 503; metadata and the access log still work."""
    if store is not None:
        app[RECORDING_STORE] = store
    app.router.add_routes(routes)


# -- who may do what ---------------------------------------------------------------------------

def may_play(principal: Principal, call_agent: str | None) -> bool:
    """Supervisors and admins: every recording; an agent: only calls they answered."""
    if principal.role in ("supervisor", "admin"):
        return True
    return principal.role == "agent" and call_agent is not None and call_agent == principal.ext


# -- handlers ------------------------------------------------------------------------------------

@routes.get("/api/v1/calls/{linkedid}/recording", name="call_recording")
async def call_recording(request: web.Request) -> web.Response:
    recording = await by_linkedid(request, get_recording_of_call, "this call has no recording")
    _authorize(request, recording)
    return web.json_response(recording_json(recording))


@routes.get("/api/v1/recordings/{id}", name="recording_audio")
async def recording_audio(request: web.Request) -> web.StreamResponse:
    raw_id = request.match_info["id"]
    recording = await get_recording(pool_of(request), int(raw_id)) if _ID.match(raw_id) else None
    if recording is None:
        raise ApiError(404, "no such recording")
    principal = _authorize(request, recording)
    if recording["deleted_at"] is not None:
        raise ApiError(410, f"recording deleted ({recording['deleted_reason']})")
    path = await _locate(request, recording)
    raw_download = request.query.getall("download", [])
    if raw_download not in ([], ["1"], ["true"]):
        raise ApiError(400, "download must be 1 or true (given once), or absent")
    download = bool(raw_download)
    await record_access(pool_of(request), recording, ext=principal.ext, role=principal.role,
                        action="download" if download else "play", remote_addr=request.remote)
    disposition = "attachment" if download else "inline"
    return web.FileResponse(path, headers={
        **AUDIO_HEADERS, "Content-Type": "audio/wav",
        "Content-Disposition": f'{disposition}; filename="{recording["linkedid"]}.wav"'})


@routes.get("/api/v1/audit/recordings", name="recording_audit")
async def recording_audit(request: web.Request) -> web.Response:
    return await audit_log_page(request, log_name="recording access log", rows_key="accesses",
                                lister=list_accesses)


# -- helpers -------------------------------------------------------------------------------------

def _authorize(request: web.Request, recording: dict[str, Any]) -> Principal:
    principal = principal_of(request)
    if not may_play(principal, recording["agent"]):
        log.warning("recording %s (call %s) refused to %s (%s) from %s", recording["id"], recording["linkedid"],
                    principal.ext, principal.role, request.remote)
        raise ApiError(403, "only supervisors, admins and the agent who took the call may use its recording")
    return principal


async def _locate(request: web.Request, recording: dict[str, Any]) -> Path:
    store = request.app.get(RECORDING_STORE)
    if store is None:
        raise ApiError(503, "recordings are not available on this server")
    try:
        path = await store.locate(recording["file_name"])
    except ValueError:
        log.error("recording %s has an unsafe file name %r", recording["id"], recording["file_name"])
        raise ApiError(500, "recording file name is invalid") from None
    if path is None:
        log.error("recording %s: file %s is missing", recording["id"], recording["file_name"])
        raise ApiError(410, "recording file is gone")
    return path
