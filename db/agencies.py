"""The agency directory (migration 020): the agencies calls and tickets are forwarded to.

Admins create and edit entries (a deactivated entry stays, for the reports, but is no longer
offered); every change is an agency_changes row in the same transaction. Names are unique
case-, whitespace- and diacritics-insensitively (agency_key in SQL). Renaming an entry renames
it in the wrap-ups and tickets that point at it, so the report keeps one line per entry.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.serialize import clean_text, json_row

BRANCHES = (1, 2, 3, 4)


class DuplicateAgencyName(ValueError):
    """Another entry has the same name, case, spaces and diacritics aside."""
_COLUMNS = "id, name, contact, phone, branches, active, created_at, updated_at"


@dataclass(frozen=True)
class AgencyFields:
    """What an admin may set; None = leave as it is (on an edit)."""
    name: str | None = None
    contact: str | None = None
    branches: tuple[int, ...] | None = None
    active: bool | None = None
    phone: str | None = None       # digits (migration 024); "" clears it (no transfer to this entry)


def _shape(row: asyncpg.Record) -> dict[str, Any]:
    shaped = json_row(row)
    shaped["branches"] = list(row["branches"])
    return shaped


async def list_agencies(pool: asyncpg.Pool, *, branch: int | None = None,
                        active_only: bool = True) -> list[dict[str, Any]]:
    """By name; `branch`: only the entries serving it."""
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM agencies
            WHERE ($1::smallint IS NULL OR $1::smallint = ANY (branches)) AND (active OR NOT $2)
            ORDER BY name_key, id""", branch, active_only)
    return [_shape(row) for row in rows]


async def create_agency(pool: asyncpg.Pool, fields: AgencyFields, by: str) -> dict[str, Any]:
    """DuplicateAgencyName when another entry has the same name (case, spaces and diacritics aside)."""
    async with pool.acquire() as con, con.transaction():
        try:
            row = await con.fetchrow(
                f"""INSERT INTO agencies (name, contact, branches, active, phone) VALUES ($1, $2, $3, $4, $5)
                    RETURNING {_COLUMNS}""",
                clean_text(fields.name or ""), clean_text(fields.contact or ""), list(fields.branches or ()),
                True if fields.active is None else fields.active, fields.phone or None)
        except asyncpg.UniqueViolationError:
            raise DuplicateAgencyName(f"an agency named like {fields.name!r} exists already") from None
        await _log(con, row, by, "create", None)
    return _shape(row)


async def update_agency(pool: asyncpg.Pool, agency_id: int, fields: AgencyFields, by: str) -> dict[str, Any] | None:
    """None for no such entry; DuplicateAgencyName for a name another entry has."""
    async with pool.acquire() as con, con.transaction():
        before = await con.fetchrow(f"SELECT {_COLUMNS} FROM agencies WHERE id = $1 FOR UPDATE", agency_id)
        if before is None:
            return None
        try:
            row = await con.fetchrow(
                f"""UPDATE agencies SET name = COALESCE($2, name), contact = COALESCE($3, contact),
                        branches = COALESCE($4, branches), active = COALESCE($5, active),
                        phone = CASE WHEN $6::text IS NULL THEN phone ELSE NULLIF($6::text, '') END,
                        updated_at = now()
                    WHERE id = $1 RETURNING {_COLUMNS}""",
                agency_id, None if fields.name is None else clean_text(fields.name),
                None if fields.contact is None else clean_text(fields.contact),
                None if fields.branches is None else list(fields.branches), fields.active, fields.phone)
        except asyncpg.UniqueViolationError:
            raise DuplicateAgencyName(f"an agency named like {fields.name!r} exists already") from None
        if row["name"] != before["name"]:
            await con.execute("UPDATE wrapups SET agency = $2 WHERE agency_id = $1", agency_id, row["name"])
            await con.execute("UPDATE tickets SET agency = $2 WHERE agency_id = $1", agency_id, row["name"])
        await _log(con, row, by, "edit", before)
    return _shape(row)


async def get_agency(pool: asyncpg.Pool, agency_id: int) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM agencies WHERE id = $1", agency_id)
    return None if row is None else _shape(row)


def refusal(agency: dict[str, Any] | None, agency_id: int, branch: int | None) -> str | None:
    """Why a call of `branch` may not be forwarded to this entry (branch None: any active entry will do)."""
    if agency is None:
        return f"agency {agency_id} is not in the directory"
    if not agency["active"]:
        return f"agency {agency['name']!r} is no longer active"
    if branch is not None and branch not in agency["branches"]:
        return f"agency {agency['name']!r} does not serve branch {branch}"
    return None


async def agency_id_by_name(pool: asyncpg.Pool, name: str) -> int | None:
    """The entry whose name matches `name` case-, whitespace- and diacritics-insensitively."""
    return await pool.fetchval("SELECT id FROM agencies WHERE name_key = agency_key($1)", name)


async def list_changes(pool: asyncpg.Pool, agency_id: int) -> list[dict[str, Any]]:
    """The entry's audit, newest first."""
    rows = await pool.fetch("""SELECT id, agency_id, by, action, before, after, at FROM agency_changes
                               WHERE agency_id = $1 ORDER BY id DESC""", agency_id)
    return [{**json_row(row), "before": _json(row["before"]), "after": _json(row["after"])} for row in rows]


async def _log(con: asyncpg.Connection, row: asyncpg.Record, by: str, action: str,
               before: asyncpg.Record | None) -> None:
    await con.execute(
        "INSERT INTO agency_changes (agency_id, by, action, before, after) VALUES ($1, $2, $3, $4, $5)",
        row["id"], by, action, None if before is None else json.dumps(_audited(before), ensure_ascii=False),
        json.dumps(_audited(row), ensure_ascii=False))


def _audited(row: asyncpg.Record) -> dict[str, Any]:
    return {"name": row["name"], "contact": row["contact"], "phone": row["phone"],
            "branches": list(row["branches"]), "active": row["active"]}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
