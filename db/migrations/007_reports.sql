-- Indexes for the reports (db/reports.py, docs/metrics.md). Indexes only: no table changes.
--
-- A call's wrap-up time: the wrap_up rows from the range's start on, read from the index alone
-- (linkedid and ended_at are included), instead of scanning every state row.
CREATE INDEX agent_states_wrap_up_idx ON agent_states (started_at) INCLUDE (linkedid, ended_at)
    WHERE state = 'wrap_up';

-- Occupancy and pauses clip each state interval to the range; the intervals that overlap a
-- month are found through their time range, not by reading the whole history.
CREATE INDEX agent_states_span_idx ON agent_states
    USING gist (tstzrange(started_at, COALESCE(ended_at, 'infinity'), '[)'));

-- Tickets from the other channels (no call), by the time they were opened.
CREATE INDEX tickets_other_channels_idx ON tickets (created_at) WHERE linkedid IS NULL;
