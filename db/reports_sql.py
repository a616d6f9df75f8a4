"""The SQL behind db/reports.py. docs/metrics.md defines every measure; this is its source of truth.

Parameters of CONTACTS_SQL: $1 start, $2 end (timestamptz, the range is [start, end)), $3 the
time zone name, $4 short-abandon threshold (s), $5 service-level threshold (s).
AGENTS_SQL takes $1 start and $2 end (per agent, plus the overall row, with pauses per reason).
Branch 0 stands for "no branch" (hung up before choosing, or a ticket without one); the
Python side turns it back into null.
"""
from __future__ import annotations

# One row per contact (a call started in the range, or a ticket opened without a call). A call's
# wrap-up time is calls.wrap_us, which the database keeps from agent_states (migration 009).
_CONTACTS = """
call_facts AS (
    SELECT (c.started_at AT TIME ZONE $3)::date AS day,
           COALESCE(c.branch, 0)::int AS branch,
           'call' AS channel,
           c.outcome,
           c.outcome IN ('answered', 'emergency_fallback') AS answered,
           c.outcome IN ('short_abandon', 'abandoned_queue') AS queue_abandon,
           c.outcome IN ('short_abandon', 'abandoned_queue')
               AND COALESCE(c.wait_s < $4::numeric, c.outcome = 'short_abandon') AS short_abandon,
           CASE WHEN w.outcome IN ('answered', 'resolved') THEN 'resolved'
                WHEN w.outcome IN ('forwarded', 'needs_verification') THEN 'forwarded' END AS handling,
           w.agency,
           c.wait_s,
           CASE WHEN c.outcome IN ('answered', 'emergency_fallback') AND c.talk_s IS NOT NULL
                THEN c.talk_s + c.wrap_us / 1000000.0 END AS handle_s,
           c.started_at AS at
    FROM calls c
    LEFT JOIN wrapups w ON w.linkedid = c.linkedid
    WHERE c.started_at >= $1 AND c.started_at < $2
),
ticket_facts AS (
    SELECT (created_at AT TIME ZONE $3)::date AS day, COALESCE(branch, 0)::int AS branch, 'ticket' AS channel,
           NULL::text AS outcome, false AS answered, false AS queue_abandon, false AS short_abandon,
           CASE WHEN status = 'closed' THEN 'resolved'
                WHEN status IN ('forwarded', 'verified') THEN 'forwarded' END AS handling,
           agency, NULL::numeric AS wait_s, NULL::numeric AS handle_s, created_at AS at
    FROM tickets
    WHERE linkedid IS NULL AND created_at >= $1 AND created_at < $2
),
contacts AS (
    SELECT *, handling IS NOT NULL OR outcome = 'transferred_115' AS succeeded FROM call_facts
    UNION ALL
    SELECT *, handling IS NOT NULL FROM ticket_facts
)"""

# Every local day of the range times branches 0..4, so empty groups still get a row.
_GRID = """
bounds AS (
    SELECT ($1 AT TIME ZONE $3)::date AS first_day, (($2 - interval '1 microsecond') AT TIME ZONE $3)::date AS last_day
),
days AS (  -- date arithmetic, so the session's own time zone plays no part
    SELECT first_day + n AS day FROM bounds, generate_series(0, last_day - first_day) AS n
),
grid AS (SELECT day, branch FROM days CROSS JOIN generate_series(0, 4) AS branch)"""

# Per local day x branch x forwarded-to agency: one pass over the contacts into a small table
# of counts and sums; every row of the report is then a sum over its cells.
_CELLS = """
cells AS (
    SELECT day, branch, COALESCE(handling = 'forwarded', false) AS is_forwarded,
           CASE WHEN handling = 'forwarded' THEN agency END AS agency,
           count(*) AS received,
           count(*) FILTER (WHERE channel = 'call') AS calls,
           count(*) FILTER (WHERE channel = 'ticket') AS other_channels,
           count(*) FILTER (WHERE answered) AS answered,
           count(*) FILTER (WHERE outcome = 'transferred_115') AS transferred_115,
           count(*) FILTER (WHERE handling = 'resolved') AS resolved,
           count(*) FILTER (WHERE handling = 'forwarded') AS forwarded,
           count(*) FILTER (WHERE queue_abandon) AS abandoned,
           count(*) FILTER (WHERE short_abandon) AS short_abandoned,
           count(*) FILTER (WHERE outcome = 'abandoned_ivr') AS abandoned_ivr,
           count(*) FILTER (WHERE outcome = 'left_message') AS left_message,
           count(*) FILTER (WHERE outcome = 'failed') AS failed,
           count(*) FILTER (WHERE channel = 'call' AND outcome IS NULL) AS unfinished,
           count(*) FILTER (WHERE succeeded) AS succeeded,
           count(*) FILTER (WHERE answered AND wait_s <= $5::numeric) AS within_service_level,
           count(wait_s) FILTER (WHERE answered) AS timed_answers,
           sum(wait_s) FILTER (WHERE answered) AS wait_sum,
           count(handle_s) AS handled, sum(handle_s) AS handle_sum
    FROM contacts
    GROUP BY day, branch, 3, 4
)"""

_COUNTS = ("received", "calls", "other_channels", "answered", "transferred_115", "resolved", "forwarded",
           "abandoned", "short_abandoned", "abandoned_ivr", "left_message", "failed", "unfinished", "succeeded")
_MEASURES = ",\n".join(f"    COALESCE(sum(c.{name}), 0)::bigint AS {name}" for name in _COUNTS) + """,
    round(sum(c.succeeded) / NULLIF(sum(c.received) - sum(c.short_abandoned), 0), 4) AS success_rate,
    round(sum(c.within_service_level) / NULLIF(sum(c.timed_answers), 0), 4) AS service_level,
    round(sum(c.wait_sum) / NULLIF(sum(c.timed_answers), 0), 1) AS asa_s,
    round(sum(c.handle_sum) / NULLIF(sum(c.handled), 0), 1) AS aht_s"""

# Everything after the cells: the grid, the agencies and the grouping sets.
_FROM_CELLS = f"""
{_GRID},
agencies AS (
    SELECT day, branch, all_days, all_branches,
           jsonb_agg(jsonb_build_object('agency', agency, 'forwarded', n)
                     ORDER BY n DESC, agency COLLATE "C" NULLS LAST) AS forwarded_by_agency
    FROM (SELECT day, branch, agency, sum(forwarded)::bigint AS n,
                 GROUPING(day) AS all_days, GROUPING(branch) AS all_branches
          FROM cells WHERE is_forwarded
          GROUP BY GROUPING SETS ((day, branch, agency), (day, agency), (branch, agency), (agency))) counted
    GROUP BY day, branch, all_days, all_branches
),
measured AS (
    SELECT g.day, g.branch, GROUPING(g.day) AS all_days, GROUPING(g.branch) AS all_branches,
{_MEASURES}
    FROM grid g
    LEFT JOIN cells c ON c.day = g.day AND c.branch = g.branch
    GROUP BY GROUPING SETS ((g.day, g.branch), (g.day), (g.branch), ())
)
SELECT m.*, COALESCE(a.forwarded_by_agency, '[]'::jsonb) AS forwarded_by_agency
FROM measured m
-- equality on stand-ins for the grouping sets' nulls (not IS NOT DISTINCT FROM), so this is a hash
-- join: over a year's 1,800 day x branch rows the nested comparison took 0.3 s
LEFT JOIN agencies a ON a.all_days = m.all_days AND a.all_branches = m.all_branches
                    AND COALESCE(a.day, '-infinity'::date) = COALESCE(m.day, '-infinity'::date)
                    AND COALESCE(a.branch, -1) = COALESCE(m.branch, -1)
ORDER BY m.all_days, m.all_branches, m.day, m.branch
"""

CONTACTS_CTE = _CONTACTS   # db/reports_intraday.py counts the same contacts per hour

CONTACTS_SQL = f"""
WITH {_CONTACTS},
{_CELLS},
{_FROM_CELLS}"""

# The same report from the per-day roll-up (migration 015): its cells are db/reports_sql.py's
# cells, summed per local day. $1 start and $2 end are local midnights in $3, the roll-up's zone,
# at its thresholds (db/reports.py checks); a cell whose count went back to 0 is ignored.
CONTACTS_ROLLUP_SQL = f"""
WITH cells AS (
    SELECT * FROM report_contact_days
    WHERE day >= ($1 AT TIME ZONE $3)::date AND day < ($2 AT TIME ZONE $3)::date AND received <> 0
),
{_FROM_CELLS}"""

# Agents' state intervals clipped to [start, min(end, now())); an open row runs until then.
# Durations are summed as whole microseconds (bigint: exact and much faster than numeric);
# date_part on an interval is float8, exact to far below a microsecond at these magnitudes.
_CLIPPED = """
    SELECT ext, state, reason,
           GREATEST((date_part('epoch', LEAST(COALESCE(ended_at, now()), $2) - GREATEST(started_at, $1))
                     * 1000000)::bigint, 0) AS us
    FROM agent_states
    -- overlap of [started_at, ended_at) with [$1, $2): the form agent_states_span_idx serves;
    -- zero-length rows (an empty range) overlap nothing
    WHERE tstzrange(started_at, COALESCE(ended_at, 'infinity'), '[)') && tstzrange($1, $2, '[)')"""

_FROM_PER_STATE = """
per_agent AS (
    SELECT ext, GROUPING(ext) AS all_agents,
           COALESCE(sum(us) FILTER (WHERE state IN ('ready', 'ringing', 'on_call', 'wrap_up')), 0) AS available,
           COALESCE(sum(us) FILTER (WHERE state = 'on_call'), 0) AS on_call,
           COALESCE(sum(us) FILTER (WHERE state = 'wrap_up'), 0) AS wrap_up,
           COALESCE(sum(us) FILTER (WHERE state = 'paused'), 0) AS paused
    FROM per_state
    GROUP BY GROUPING SETS ((ext), ())
),
pauses AS (
    SELECT ext, all_agents,
           jsonb_agg(jsonb_build_object('reason', reason, 'paused_s', paused_s)
                     ORDER BY reason COLLATE "C" NULLS LAST) AS pauses
    FROM (SELECT ext, reason, GROUPING(ext) AS all_agents, round(sum(us) / 1000000.0, 1) AS paused_s
          FROM per_state WHERE state = 'paused'
          GROUP BY GROUPING SETS ((ext, reason), (reason))) per_reason
    GROUP BY ext, all_agents
)
SELECT a.ext, a.all_agents = 1 AS all_agents,
       round(available / 1000000.0, 1) AS available_s, round(on_call / 1000000.0, 1) AS on_call_s,
       round(wrap_up / 1000000.0, 1) AS wrap_up_s, round(paused / 1000000.0, 1) AS paused_s,
       round((on_call + wrap_up) / NULLIF(available, 0), 4) AS occupancy,
       COALESCE(p.pauses, '[]'::jsonb) AS pauses
FROM per_agent a
LEFT JOIN pauses p ON p.all_agents = a.all_agents AND p.ext IS NOT DISTINCT FROM a.ext
ORDER BY a.all_agents, a.ext COLLATE "C"
"""

AGENTS_SQL = f"""
WITH per_state AS (  -- one scan: seconds per agent, state and pause reason
    SELECT ext, state, reason, sum(us) AS us FROM ({_CLIPPED}) clipped GROUP BY ext, state, reason
),
{_FROM_PER_STATE}"""

# From the roll-up: the closed rows' pieces on the range's days, plus the open rows (which run
# until now()) clipped as above. $3 is the roll-up's zone; $1 and $2 are local midnights in it.
AGENTS_ROLLUP_SQL = f"""
WITH per_state AS (
    SELECT ext, state, reason, sum(us) AS us
    FROM (SELECT ext, state, reason, us FROM report_agent_days
          WHERE day >= ($1 AT TIME ZONE $3)::date AND day < ($2 AT TIME ZONE $3)::date AND pieces <> 0
          UNION ALL
          SELECT ext, state, reason,
                 GREATEST((date_part('epoch', LEAST(now(), $2) - GREATEST(started_at, $1)) * 1000000)::bigint, 0)
          FROM agent_states WHERE ended_at IS NULL AND started_at < $2) pieces
    GROUP BY ext, state, reason
),
{_FROM_PER_STATE}"""
