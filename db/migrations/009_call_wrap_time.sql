-- A call's wrap-up time, kept on its calls row (calls.wrap_us) by the database itself, so the
-- reports (db/reports_sql.py) read handle time from one row instead of summing agent_states.
--
-- wrap_us = the sum over the call's closed wrap_up rows in agent_states of
-- (ended_at - started_at) in whole microseconds; an open wrap-up counts 0 until it closes.
-- Two triggers keep it exact whichever row is written first (the record writer and the state
-- writer flush independently, and after a database outage in any order):
--   * a change to a wrap_up row adds its new duration and removes its old one;
--   * a new calls row starts from the wrap_up rows already there.
-- Both take one transaction-level advisory lock first, so the two cannot miss each other when
-- they commit at the same moment (each statement in a trigger sees what committed before it).
ALTER TABLE calls ADD COLUMN wrap_us bigint NOT NULL DEFAULT 0;

-- The report no longer reads wrap_up rows by time; the new-call trigger reads them by call.
DROP INDEX agent_states_wrap_up_idx;
CREATE INDEX agent_states_wrap_up_call_idx ON agent_states (linkedid) INCLUDE (started_at, ended_at)
    WHERE state = 'wrap_up' AND linkedid IS NOT NULL;

CREATE FUNCTION wrap_us_of(started_at timestamptz, ended_at timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS
$$ SELECT COALESCE((date_part('epoch', ended_at - started_at) * 1000000)::bigint, 0) $$;

-- The one lock both triggers take (advisory key 1022/9: this migration).
CREATE FUNCTION lock_call_wrap_time() RETURNS void LANGUAGE sql AS
$$ SELECT pg_advisory_xact_lock(1022, 9) $$;

CREATE FUNCTION agent_states_wrap_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_call_wrap_time();
    IF TG_OP <> 'INSERT' AND OLD.state = 'wrap_up' AND OLD.linkedid IS NOT NULL THEN
        UPDATE calls SET wrap_us = wrap_us - wrap_us_of(OLD.started_at, OLD.ended_at)
        WHERE linkedid = OLD.linkedid;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state = 'wrap_up' AND NEW.linkedid IS NOT NULL THEN
        UPDATE calls SET wrap_us = wrap_us + wrap_us_of(NEW.started_at, NEW.ended_at)
        WHERE linkedid = NEW.linkedid;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER agent_states_wrap_time_insert AFTER INSERT ON agent_states
    FOR EACH ROW WHEN (NEW.state = 'wrap_up' AND NEW.linkedid IS NOT NULL AND NEW.ended_at IS NOT NULL)
    EXECUTE FUNCTION agent_states_wrap_time();
CREATE TRIGGER agent_states_wrap_time_update AFTER UPDATE ON agent_states
    FOR EACH ROW WHEN (((OLD.state = 'wrap_up' AND OLD.linkedid IS NOT NULL)
                        OR (NEW.state = 'wrap_up' AND NEW.linkedid IS NOT NULL))
                       AND (OLD.state, OLD.linkedid, OLD.started_at, OLD.ended_at)
                           IS DISTINCT FROM (NEW.state, NEW.linkedid, NEW.started_at, NEW.ended_at))
    EXECUTE FUNCTION agent_states_wrap_time();
CREATE TRIGGER agent_states_wrap_time_delete AFTER DELETE ON agent_states
    FOR EACH ROW WHEN (OLD.state = 'wrap_up' AND OLD.linkedid IS NOT NULL)
    EXECUTE FUNCTION agent_states_wrap_time();

CREATE FUNCTION calls_initial_wrap_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM calls WHERE linkedid = NEW.linkedid) THEN
        RETURN NEW;  -- an upsert of a known call: ON CONFLICT keeps the stored wrap_us
    END IF;
    PERFORM lock_call_wrap_time();
    NEW.wrap_us := COALESCE((SELECT sum(wrap_us_of(started_at, ended_at)) FROM agent_states
                             WHERE state = 'wrap_up' AND linkedid = NEW.linkedid), 0);
    RETURN NEW;
END
$$;
CREATE TRIGGER calls_initial_wrap_time BEFORE INSERT ON calls
    FOR EACH ROW EXECUTE FUNCTION calls_initial_wrap_time();

-- Calls recorded before this migration.
UPDATE calls c SET wrap_us = w.us
FROM (SELECT linkedid, sum(wrap_us_of(started_at, ended_at)) AS us FROM agent_states
      WHERE state = 'wrap_up' AND linkedid IS NOT NULL GROUP BY linkedid) w
WHERE w.linkedid = c.linkedid;
