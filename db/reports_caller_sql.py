"""The SQL of the caller's-minute figures (issue 12): time to 115 and the post-call survey.
docs/metrics.md defines them. Kept apart from db/reports_sql.py: these rows have their own
groupings (the 115 lane has one branch; the survey is also per agent).

Both take $1 start, $2 end (timestamptz, [start, end) on calls.started_at) and $3 the time zone.
"""
from __future__ import annotations

# Every emergency call whose Dial(115) started (calls.emergency_dial_s is set). Percentiles are
# continuous (percentile_cont: linear between the two nearest calls). answered_10s_share counts
# every dial in its denominator, answered or not (a dial 115 never answered is not within 10 s).
TIME_TO_115_SQL = """
WITH dials AS (
    SELECT (started_at AT TIME ZONE $3)::date AS day, emergency_dial_s, emergency_answer_s, emergency_dial_status
    FROM calls
    WHERE started_at >= $1 AND started_at < $2 AND emergency_dial_s IS NOT NULL
)
SELECT day, GROUPING(day) = 1 AS all_days,
       count(*) AS dials,
       count(emergency_answer_s) AS answered,
       count(*) FILTER (WHERE emergency_dial_status IN ('BUSY', 'NOANSWER', 'CHANUNAVAIL', 'CONGESTION', 'OTHER'))
           AS fell_back,
       count(*) FILTER (WHERE emergency_dial_status = 'CANCEL') AS caller_hung_up,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY emergency_dial_s)::numeric, 3) AS dial_p50_s,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY emergency_dial_s)::numeric, 3) AS dial_p90_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY emergency_answer_s)::numeric, 3) AS answer_p50_s,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY emergency_answer_s)::numeric, 3) AS answer_p90_s,
       round(count(*) FILTER (WHERE emergency_answer_s <= 10) / NULLIF(count(*), 0)::numeric, 4) AS answered_10s_share
FROM dials
GROUP BY GROUPING SETS ((day), ())
ORDER BY all_days, day
"""

# Surveys of calls started in the range (the day is the call's local day, as everywhere else).
# asked: rows of call_surveys; answered: those with a score; average over the answered only.
SURVEY_SQL = """
WITH asked AS (
    SELECT (c.started_at AT TIME ZONE $3)::date AS day, COALESCE(s.branch, c.branch, 0)::int AS branch,
           COALESCE(s.agent, c.agent) AS agent, s.score
    FROM call_surveys s JOIN calls c ON c.linkedid = s.linkedid
    WHERE c.started_at >= $1 AND c.started_at < $2
)
SELECT day, branch, agent,
       GROUPING(day) = 1 AS all_days, GROUPING(branch) = 1 AS all_branches, GROUPING(agent) = 1 AS all_agents,
       count(*) AS asked, count(score) AS answered,
       round(avg(score), 2) AS average,
       round(count(score) / NULLIF(count(*), 0)::numeric, 4) AS answer_rate
FROM asked
GROUP BY GROUPING SETS ((day, branch), (day), (branch), (agent), ())
ORDER BY all_days, all_branches, all_agents, day, branch, agent COLLATE "C"
"""
