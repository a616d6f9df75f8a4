-- Issue 18: a per-day roll-up of the summary report, so a report over a year reads ~2,000 small
-- rows instead of millions (db/reports.py, docs/metrics.md "Roll-up").
--
-- Not a second source of truth: every row here is a sum over the raw rows (calls, wrapups,
-- tickets, agent_states), kept by triggers in the writer's own transaction, rebuilt from the raw
-- rows by report_rollup_repair() (the reconciler runs it for the days it touched), and read only
-- when the request matches the roll-up's zone and thresholds (otherwise the raw query runs).
--
--   report_contact_days: per local day x branch x forwarded-to agency, the counts and sums of
--                        db/reports_sql.py's `cells` (the same columns, the same meaning);
--   report_agent_days:   per local day x agent x state x pause reason, the microseconds of the
--                        closed agent_states rows, each row cut at local midnights (open rows,
--                        which run until now(), are always read raw).
-- A cell whose count has gone back to 0 (a row moved or was deleted) is kept and ignored.

CREATE TABLE report_rollup_config (
    only_row         boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tz               text NOT NULL,         -- the hotline's zone (IVR_TIMEZONE): where a day starts
    short_abandon_s  numeric NOT NULL,      -- the thresholds the counts were taken at
    service_level_s  numeric NOT NULL
);
INSERT INTO report_rollup_config (tz, short_abandon_s, service_level_s) VALUES ('Asia/Ho_Chi_Minh', 5, 20);

CREATE TABLE report_contact_days (
    day                   date NOT NULL,
    branch                integer NOT NULL,     -- 0: no branch
    is_forwarded          boolean NOT NULL,
    agency                text,                 -- only for forwarded contacts; null = none named
    received              bigint NOT NULL,
    calls                 bigint NOT NULL,
    other_channels        bigint NOT NULL,
    answered              bigint NOT NULL,
    transferred_115       bigint NOT NULL,
    resolved              bigint NOT NULL,
    forwarded             bigint NOT NULL,
    abandoned             bigint NOT NULL,
    short_abandoned       bigint NOT NULL,
    abandoned_ivr         bigint NOT NULL,
    left_message          bigint NOT NULL,
    failed                bigint NOT NULL,
    unfinished            bigint NOT NULL,
    succeeded             bigint NOT NULL,
    within_service_level  bigint NOT NULL,
    timed_answers         bigint NOT NULL,
    wait_sum              numeric NOT NULL,
    handled               bigint NOT NULL,
    handle_sum            numeric NOT NULL,
    UNIQUE NULLS NOT DISTINCT (day, branch, is_forwarded, agency)
);

CREATE TABLE report_agent_days (
    day     date NOT NULL,
    ext     text NOT NULL,
    state   text NOT NULL,
    reason  text,
    pieces  bigint NOT NULL,    -- agent_states rows with time on that day
    us      bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (day, ext, state, reason)
);

-- The open rows (ended_at IS NULL) for the part of the agents' report that is read raw.
CREATE INDEX agent_states_open_started_idx ON agent_states (started_at) WHERE ended_at IS NULL;

-- One contact's contribution, as a cell of count 1: the definitions of db/reports_sql.py's
-- call_facts / ticket_facts / cells, row by row. tests/integration/test_report_rollup.py checks
-- that the two agree on every figure.
CREATE FUNCTION report_call_fact(c calls, w_outcome text, w_agency text, tz text, short_s numeric,
                                 service_s numeric) RETURNS report_contact_days LANGUAGE sql STABLE AS $$
    SELECT (c.started_at AT TIME ZONE tz)::date, COALESCE(c.branch, 0)::int,
           COALESCE(handling = 'forwarded', false), CASE WHEN handling = 'forwarded' THEN w_agency END,
           1, 1, 0, answered::int, COALESCE(c.outcome = 'transferred_115', false)::int,
           COALESCE(handling = 'resolved', false)::int, COALESCE(handling = 'forwarded', false)::int,
           queue_abandon::int,
           (queue_abandon AND COALESCE(c.wait_s < short_s, c.outcome = 'short_abandon'))::int,
           COALESCE(c.outcome = 'abandoned_ivr', false)::int, COALESCE(c.outcome = 'left_message', false)::int,
           COALESCE(c.outcome = 'failed', false)::int, (c.outcome IS NULL)::int,
           (handling IS NOT NULL OR COALESCE(c.outcome = 'transferred_115', false))::int,
           COALESCE(answered AND c.wait_s <= service_s, false)::int,
           (answered AND c.wait_s IS NOT NULL)::int,
           CASE WHEN answered THEN COALESCE(c.wait_s, 0) ELSE 0 END,
           (handle_s IS NOT NULL)::int, COALESCE(handle_s, 0)
    FROM (SELECT COALESCE(c.outcome IN ('answered', 'emergency_fallback'), false) AS answered,
                 COALESCE(c.outcome IN ('short_abandon', 'abandoned_queue'), false) AS queue_abandon,
                 CASE WHEN w_outcome IN ('answered', 'resolved') THEN 'resolved'
                      WHEN w_outcome IN ('forwarded', 'needs_verification') THEN 'forwarded' END AS handling,
                 CASE WHEN c.outcome IN ('answered', 'emergency_fallback') AND c.talk_s IS NOT NULL
                      THEN c.talk_s + c.wrap_us / 1000000.0 END AS handle_s) f
$$;

CREATE FUNCTION report_ticket_fact(t tickets, tz text) RETURNS report_contact_days LANGUAGE sql STABLE AS $$
    SELECT (t.created_at AT TIME ZONE tz)::date, COALESCE(t.branch, 0)::int,
           COALESCE(handling = 'forwarded', false), CASE WHEN handling = 'forwarded' THEN t.agency END,
           1, 0, 1, 0, 0, COALESCE(handling = 'resolved', false)::int, COALESCE(handling = 'forwarded', false)::int,
           0, 0, 0, 0, 0, 0, (handling IS NOT NULL)::int, 0, 0, 0, 0, 0
    FROM (SELECT CASE WHEN t.status = 'closed' THEN 'resolved'
                      WHEN t.status IN ('forwarded', 'verified') THEN 'forwarded' END AS handling) f
$$;

-- An agent_states row cut at local midnights: (day, microseconds on that day), for a closed row
-- of positive length (others have none). Each piece is whole microseconds, so the pieces of a
-- row add up exactly to the row clipped to any range of whole days.
CREATE FUNCTION report_state_pieces(started_at timestamptz, ended_at timestamptz, tz text)
    RETURNS TABLE (day date, us bigint) LANGUAGE sql STABLE AS $$
    SELECT d, (date_part('epoch', LEAST(ended_at, (d + 1)::timestamp AT TIME ZONE tz)
                                  - GREATEST(started_at, d::timestamp AT TIME ZONE tz)) * 1000000)::bigint
    FROM (SELECT (started_at AT TIME ZONE tz)::date AS first_day,
                 ((ended_at - interval '1 microsecond') AT TIME ZONE tz)::date AS last_day
          WHERE ended_at > started_at) span,
         LATERAL (SELECT first_day + n AS d FROM generate_series(0, last_day - first_day) AS n) days
$$;

CREATE FUNCTION report_contact_add(f report_contact_days, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_contact_days AS r
    VALUES (f.day, f.branch, f.is_forwarded, f.agency, sign * f.received, sign * f.calls, sign * f.other_channels,
            sign * f.answered, sign * f.transferred_115, sign * f.resolved, sign * f.forwarded, sign * f.abandoned,
            sign * f.short_abandoned, sign * f.abandoned_ivr, sign * f.left_message, sign * f.failed,
            sign * f.unfinished, sign * f.succeeded, sign * f.within_service_level, sign * f.timed_answers,
            sign * f.wait_sum, sign * f.handled, sign * f.handle_sum)
    ON CONFLICT (day, branch, is_forwarded, agency) DO UPDATE SET
        received = r.received + EXCLUDED.received, calls = r.calls + EXCLUDED.calls,
        other_channels = r.other_channels + EXCLUDED.other_channels, answered = r.answered + EXCLUDED.answered,
        transferred_115 = r.transferred_115 + EXCLUDED.transferred_115, resolved = r.resolved + EXCLUDED.resolved,
        forwarded = r.forwarded + EXCLUDED.forwarded, abandoned = r.abandoned + EXCLUDED.abandoned,
        short_abandoned = r.short_abandoned + EXCLUDED.short_abandoned,
        abandoned_ivr = r.abandoned_ivr + EXCLUDED.abandoned_ivr, left_message = r.left_message + EXCLUDED.left_message,
        failed = r.failed + EXCLUDED.failed, unfinished = r.unfinished + EXCLUDED.unfinished,
        succeeded = r.succeeded + EXCLUDED.succeeded,
        within_service_level = r.within_service_level + EXCLUDED.within_service_level,
        timed_answers = r.timed_answers + EXCLUDED.timed_answers, wait_sum = r.wait_sum + EXCLUDED.wait_sum,
        handled = r.handled + EXCLUDED.handled, handle_sum = r.handle_sum + EXCLUDED.handle_sum
$$;

CREATE FUNCTION report_state_add(s agent_states, tz text, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_agent_days AS r (day, ext, state, reason, pieces, us)
    SELECT p.day, s.ext, s.state, s.reason, sign, sign * p.us FROM report_state_pieces(s.started_at, s.ended_at, tz) p
    ON CONFLICT (day, ext, state, reason) DO UPDATE SET pieces = r.pieces + EXCLUDED.pieces, us = r.us + EXCLUDED.us
$$;

-- A call's cell depends on its calls row and its wrapups row, written by different writers in
-- either order: both triggers take migration 009's lock (lock_call_wrap_time) before reading the
-- other table, so two commits at the same moment cannot miss each other. Tickets without a call
-- take it too, so writers of the same cells queue instead of deadlocking.
--
-- The lock is taken before any calls or wrapups row is locked, so no writer holds a row the lock's
-- holder wants: a writer's upsert takes it in a BEFORE INSERT trigger (those run before ON
-- CONFLICT finds and locks the existing row), as migration 009's trigger on agent_states does
-- before it updates calls.wrap_us.
CREATE OR REPLACE FUNCTION calls_initial_wrap_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_call_wrap_time();
    IF EXISTS (SELECT 1 FROM calls WHERE linkedid = NEW.linkedid) THEN
        RETURN NEW;  -- an upsert of a known call: ON CONFLICT keeps the stored wrap_us
    END IF;
    NEW.wrap_us := COALESCE((SELECT sum(wrap_us_of(started_at, ended_at)) FROM agent_states
                             WHERE state = 'wrap_up' AND linkedid = NEW.linkedid), 0);
    RETURN NEW;
END
$$;

CREATE FUNCTION report_rollup_lock_first() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_call_wrap_time();
    RETURN NEW;
END
$$;
CREATE TRIGGER wrapups_lock_first BEFORE INSERT ON wrapups
    FOR EACH ROW EXECUTE FUNCTION report_rollup_lock_first();

CREATE FUNCTION report_rollup_calls() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cfg report_rollup_config;
    w wrapups;
BEGIN
    PERFORM lock_call_wrap_time();
    SELECT * INTO cfg FROM report_rollup_config;
    IF TG_OP <> 'INSERT' THEN
        SELECT * INTO w FROM wrapups WHERE linkedid = OLD.linkedid;
        PERFORM report_contact_add(report_call_fact(OLD, w.outcome, w.agency, cfg.tz, cfg.short_abandon_s,
                                                    cfg.service_level_s), -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT * INTO w FROM wrapups WHERE linkedid = NEW.linkedid;
        PERFORM report_contact_add(report_call_fact(NEW, w.outcome, w.agency, cfg.tz, cfg.short_abandon_s,
                                                    cfg.service_level_s), 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER report_rollup_calls AFTER INSERT OR DELETE ON calls
    FOR EACH ROW EXECUTE FUNCTION report_rollup_calls();
CREATE TRIGGER report_rollup_calls_update AFTER UPDATE ON calls
    FOR EACH ROW WHEN ((OLD.linkedid, OLD.started_at, OLD.branch, OLD.outcome, OLD.wait_s, OLD.talk_s, OLD.wrap_us)
                       IS DISTINCT FROM
                       (NEW.linkedid, NEW.started_at, NEW.branch, NEW.outcome, NEW.wait_s, NEW.talk_s, NEW.wrap_us))
    EXECUTE FUNCTION report_rollup_calls();

CREATE FUNCTION report_rollup_wrapups() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cfg report_rollup_config;
    c calls;
BEGIN
    PERFORM lock_call_wrap_time();
    SELECT * INTO cfg FROM report_rollup_config;
    IF TG_OP <> 'INSERT' THEN
        SELECT * INTO c FROM calls WHERE linkedid = OLD.linkedid;
        IF FOUND THEN
            PERFORM report_contact_add(report_call_fact(c, OLD.outcome, OLD.agency, cfg.tz, cfg.short_abandon_s,
                                                        cfg.service_level_s), -1);
            PERFORM report_contact_add(report_call_fact(c, NULL, NULL, cfg.tz, cfg.short_abandon_s,
                                                        cfg.service_level_s), 1);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT * INTO c FROM calls WHERE linkedid = NEW.linkedid;
        IF FOUND THEN
            PERFORM report_contact_add(report_call_fact(c, NULL, NULL, cfg.tz, cfg.short_abandon_s,
                                                        cfg.service_level_s), -1);
            PERFORM report_contact_add(report_call_fact(c, NEW.outcome, NEW.agency, cfg.tz, cfg.short_abandon_s,
                                                        cfg.service_level_s), 1);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER report_rollup_wrapups AFTER INSERT OR DELETE ON wrapups
    FOR EACH ROW EXECUTE FUNCTION report_rollup_wrapups();
CREATE TRIGGER report_rollup_wrapups_update AFTER UPDATE ON wrapups
    FOR EACH ROW WHEN ((OLD.linkedid, OLD.outcome, OLD.agency) IS DISTINCT FROM (NEW.linkedid, NEW.outcome, NEW.agency))
    EXECUTE FUNCTION report_rollup_wrapups();

CREATE FUNCTION report_rollup_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    zone text := (SELECT tz FROM report_rollup_config);
BEGIN
    PERFORM lock_call_wrap_time();
    IF TG_OP <> 'INSERT' AND OLD.linkedid IS NULL THEN
        PERFORM report_contact_add(report_ticket_fact(OLD, zone), -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.linkedid IS NULL THEN
        PERFORM report_contact_add(report_ticket_fact(NEW, zone), 1);
    END IF;
    RETURN NULL;
END
$$;
-- Only tickets without a call count (a call's ticket is its call's): the wrap-up's transaction,
-- which holds the lock and writes the call's ticket, never waits here for a ticket row.
CREATE TRIGGER report_rollup_tickets_insert AFTER INSERT ON tickets
    FOR EACH ROW WHEN (NEW.linkedid IS NULL) EXECUTE FUNCTION report_rollup_tickets();
CREATE TRIGGER report_rollup_tickets_delete AFTER DELETE ON tickets
    FOR EACH ROW WHEN (OLD.linkedid IS NULL) EXECUTE FUNCTION report_rollup_tickets();
CREATE TRIGGER report_rollup_tickets_update AFTER UPDATE ON tickets
    FOR EACH ROW WHEN ((OLD.linkedid IS NULL OR NEW.linkedid IS NULL)
                       AND (OLD.linkedid, OLD.created_at, OLD.branch, OLD.status, OLD.agency)
                           IS DISTINCT FROM (NEW.linkedid, NEW.created_at, NEW.branch, NEW.status, NEW.agency))
    EXECUTE FUNCTION report_rollup_tickets();

-- Agent states: only closed rows have pieces. The same one lock as the others (one lock, so no
-- two writers can take two locks in opposite orders), so writers of the same day's cells queue
-- instead of deadlocking.
CREATE FUNCTION report_rollup_agent_states() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    zone text := (SELECT tz FROM report_rollup_config);
BEGIN
    PERFORM lock_call_wrap_time();
    IF TG_OP <> 'INSERT' AND OLD.ended_at IS NOT NULL THEN
        PERFORM report_state_add(OLD, zone, -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.ended_at IS NOT NULL THEN
        PERFORM report_state_add(NEW, zone, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER report_rollup_agent_states AFTER INSERT OR DELETE ON agent_states
    FOR EACH ROW EXECUTE FUNCTION report_rollup_agent_states();
CREATE TRIGGER report_rollup_agent_states_update AFTER UPDATE ON agent_states
    FOR EACH ROW WHEN ((OLD.ext, OLD.state, OLD.reason, OLD.started_at, OLD.ended_at)
                       IS DISTINCT FROM (NEW.ext, NEW.state, NEW.reason, NEW.started_at, NEW.ended_at))
    EXECUTE FUNCTION report_rollup_agent_states();

-- Recompute the local days [first_day, last_day] of both tables from the raw rows; returns how
-- many cells (keys) were wrong or missing (0 when the triggers kept them exact). Takes the writers' lock, so no
-- write lands between the read of the raw rows and the replacement of the cells.
CREATE FUNCTION report_rollup_repair(first_day date, last_day date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cfg report_rollup_config;
    lo timestamptz;
    hi timestamptz;
    wrong bigint;
BEGIN
    PERFORM lock_call_wrap_time();
    SELECT * INTO cfg FROM report_rollup_config;
    lo := first_day::timestamp AT TIME ZONE cfg.tz;
    hi := (last_day + 1)::timestamp AT TIME ZONE cfg.tz;
    CREATE TEMP TABLE fresh_contacts ON COMMIT DROP AS
    SELECT f.day, f.branch, f.is_forwarded, f.agency,
           sum(f.received)::bigint AS received, sum(f.calls)::bigint AS calls,
           sum(f.other_channels)::bigint AS other_channels, sum(f.answered)::bigint AS answered,
           sum(f.transferred_115)::bigint AS transferred_115, sum(f.resolved)::bigint AS resolved,
           sum(f.forwarded)::bigint AS forwarded, sum(f.abandoned)::bigint AS abandoned,
           sum(f.short_abandoned)::bigint AS short_abandoned, sum(f.abandoned_ivr)::bigint AS abandoned_ivr,
           sum(f.left_message)::bigint AS left_message, sum(f.failed)::bigint AS failed,
           sum(f.unfinished)::bigint AS unfinished, sum(f.succeeded)::bigint AS succeeded,
           sum(f.within_service_level)::bigint AS within_service_level,
           sum(f.timed_answers)::bigint AS timed_answers, sum(f.wait_sum) AS wait_sum,
           sum(f.handled)::bigint AS handled, sum(f.handle_sum) AS handle_sum
    FROM (SELECT f.* FROM calls c LEFT JOIN wrapups w ON w.linkedid = c.linkedid,
               LATERAL report_call_fact(c, w.outcome, w.agency, cfg.tz, cfg.short_abandon_s, cfg.service_level_s) f
          WHERE c.started_at >= lo AND c.started_at < hi
          UNION ALL
          SELECT f.* FROM tickets t, LATERAL report_ticket_fact(t, cfg.tz) f
          WHERE t.linkedid IS NULL AND t.created_at >= lo AND t.created_at < hi) f
    GROUP BY f.day, f.branch, f.is_forwarded, f.agency;
    CREATE TEMP TABLE fresh_agents ON COMMIT DROP AS
    SELECT p.day, s.ext, s.state, s.reason, count(*) AS pieces, sum(p.us)::bigint AS us
    FROM agent_states s, LATERAL report_state_pieces(s.started_at, s.ended_at, cfg.tz) p
    WHERE s.ended_at > lo AND s.started_at < hi AND p.day BETWEEN first_day AND last_day
    GROUP BY p.day, s.ext, s.state, s.reason;
    SELECT count(DISTINCT (d.day, d.branch, d.is_forwarded, d.agency)) INTO wrong FROM (
        (SELECT * FROM report_contact_days WHERE day BETWEEN first_day AND last_day AND received <> 0
         EXCEPT ALL SELECT * FROM fresh_contacts)
        UNION ALL
        (SELECT * FROM fresh_contacts
         EXCEPT ALL SELECT * FROM report_contact_days WHERE day BETWEEN first_day AND last_day AND received <> 0)) d;
    wrong := wrong + (SELECT count(DISTINCT (d.day, d.ext, d.state, d.reason)) FROM (
        (SELECT * FROM report_agent_days WHERE day BETWEEN first_day AND last_day AND pieces <> 0
         EXCEPT ALL SELECT * FROM fresh_agents)
        UNION ALL
        (SELECT * FROM fresh_agents
         EXCEPT ALL SELECT * FROM report_agent_days WHERE day BETWEEN first_day AND last_day AND pieces <> 0)) d);
    DELETE FROM report_contact_days WHERE day BETWEEN first_day AND last_day;
    INSERT INTO report_contact_days SELECT * FROM fresh_contacts;
    DELETE FROM report_agent_days WHERE day BETWEEN first_day AND last_day;
    INSERT INTO report_agent_days SELECT * FROM fresh_agents;
    DROP TABLE fresh_contacts, fresh_agents;
    RETURN wrong;
END
$$;

-- Every day that has a raw row (after a bulk load with triggers off, or a change of zone).
CREATE FUNCTION report_rollup_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    zone text := (SELECT tz FROM report_rollup_config);
    first_day date;
    last_day date;
BEGIN
    SELECT min(d), max(d) INTO first_day, last_day FROM (
        SELECT (min(started_at) AT TIME ZONE zone)::date AS d FROM calls
        UNION ALL SELECT (max(started_at) AT TIME ZONE zone)::date FROM calls
        UNION ALL SELECT (min(created_at) AT TIME ZONE zone)::date FROM tickets WHERE linkedid IS NULL
        UNION ALL SELECT (max(created_at) AT TIME ZONE zone)::date FROM tickets WHERE linkedid IS NULL
        UNION ALL SELECT (min(started_at) AT TIME ZONE zone)::date FROM agent_states
        UNION ALL SELECT (max(ended_at) AT TIME ZONE zone)::date FROM agent_states) bounds;
    DELETE FROM report_contact_days;
    DELETE FROM report_agent_days;
    IF first_day IS NULL THEN
        RETURN 0;
    END IF;
    RETURN report_rollup_repair(first_day, last_day);
END
$$;

-- A hotline in another zone, or other default thresholds: change them and rebuild, in one go.
CREATE FUNCTION report_rollup_configure(zone text, short_s numeric, service_s numeric) RETURNS bigint
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_call_wrap_time();
    UPDATE report_rollup_config SET tz = zone, short_abandon_s = short_s, service_level_s = service_s;
    RETURN report_rollup_rebuild();
END
$$;

-- The rows recorded before this migration.
SELECT report_rollup_rebuild();
