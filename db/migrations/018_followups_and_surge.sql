-- Issue 13: the abandoned-call worklist (follow-ups), the calls placed from it, and the surge
-- switch's audit log. See docs/followups.md.
--
-- followups: one open item per citizen's number. A call abandoned in a queue (calls.outcome
-- 'abandoned_queue': not a short abandon) opens one, or adds to the open one; a later answered call
-- from the same number closes it by itself (trigger below, so the controller's writer and the
-- reconciler both keep it). A callback request that ran out of attempts (callback_requests, state
-- to_worklist) is imported as an item too (callback_request_id).
CREATE TABLE followups (
    id                  bigserial PRIMARY KEY,
    number              text NOT NULL CHECK (number <> ''),
    branch              smallint CHECK (branch BETWEEN 1 AND 4),
    language            text,
    abandoned_at        timestamptz NOT NULL,      -- the first abandon of this item ("when")
    last_abandoned_at   timestamptz NOT NULL,      -- the latest (an answered call after it closes the item)
    wait_s              numeric(10, 3),            -- how long the citizen waited (the latest abandon)
    abandons            integer NOT NULL DEFAULT 1 CHECK (abandons >= 1),
    linkedid            text,                      -- the first abandoned call
    callback_request_id bigint UNIQUE,             -- the callback request it came from, if any
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closed_reason       text CHECK (closed_reason IN ('reached', 'wrong_number', 'answered_again',
                                                      'callback_reached')),
    closed_at           timestamptz,
    closed_by           text,                      -- the agent, or the linkedid of the answered call
    CHECK ((state = 'open') = (closed_at IS NULL)),
    CHECK ((state = 'open') = (closed_reason IS NULL))
);
CREATE UNIQUE INDEX followups_one_open_per_number ON followups (number) WHERE state = 'open';
CREATE INDEX followups_open_idx ON followups (abandoned_at, id) WHERE state = 'open';
CREATE INDEX followups_abandoned_at_idx ON followups (abandoned_at);

-- One row per call placed from the worklist (the agent's phone first, then the citizen), and the
-- outcome the agent recorded. An attempt without an outcome is the one being made.
CREATE TABLE followup_attempts (
    id          bigserial PRIMARY KEY,
    followup_id bigint NOT NULL REFERENCES followups (id),
    agent_ext   text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    outcome     text CHECK (outcome IN ('reached', 'no_answer', 'wrong_number')),
    outcome_at  timestamptz,
    CHECK ((outcome IS NULL) = (outcome_at IS NULL))
);
CREATE INDEX followup_attempts_followup_idx ON followup_attempts (followup_id, id DESC);
CREATE INDEX followup_attempts_outcome_at_idx ON followup_attempts (outcome_at) WHERE outcome IS NOT NULL;

CREATE FUNCTION followups_from_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.caller_number = '' OR NEW.outcome IS NULL
       OR (TG_OP = 'UPDATE' AND OLD.outcome IS NOT DISTINCT FROM NEW.outcome) THEN
        RETURN NULL;
    END IF;
    IF NEW.outcome = 'abandoned_queue' THEN
        INSERT INTO followups (number, branch, language, abandoned_at, last_abandoned_at, wait_s, linkedid)
        VALUES (NEW.caller_number, NEW.branch, NEW.language, NEW.started_at, NEW.started_at, NEW.wait_s,
                NEW.linkedid)
        ON CONFLICT (number) WHERE state = 'open' DO UPDATE
           SET abandons = followups.abandons + 1,
               last_abandoned_at = greatest(followups.last_abandoned_at, EXCLUDED.last_abandoned_at),
               abandoned_at = least(followups.abandoned_at, EXCLUDED.abandoned_at),
               wait_s = EXCLUDED.wait_s, branch = EXCLUDED.branch,
               language = coalesce(EXCLUDED.language, followups.language);
    ELSIF NEW.outcome = 'answered' THEN
        UPDATE followups
           SET state = 'closed', closed_reason = 'answered_again',
               closed_at = coalesce(NEW.answered_at, NEW.started_at), closed_by = NEW.linkedid
         WHERE number = NEW.caller_number AND state = 'open' AND last_abandoned_at < NEW.started_at;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER followups_from_call AFTER INSERT OR UPDATE OF outcome ON calls
    FOR EACH ROW EXECUTE FUNCTION followups_from_call();

-- The surge switch: every change, append-only (who, when). The state of a scope ('all': the whole
-- hotline, or a queue name) is its latest row; no row means off.
CREATE TABLE surge_switches (
    id          bigserial PRIMARY KEY,
    scope       text NOT NULL CHECK (scope ~ '^[a-z][a-z0-9_]{0,31}$'),
    enabled     boolean NOT NULL,
    message     text NOT NULL DEFAULT '' CHECK (length(message) <= 500),
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    remote_addr text
);
CREATE INDEX surge_switches_scope_idx ON surge_switches (scope, id DESC);

CREATE FUNCTION surge_switches_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'surge_switches is append-only (%)', TG_OP;
END
$$;
CREATE TRIGGER surge_switches_append_only BEFORE UPDATE OR DELETE ON surge_switches
    FOR EACH ROW EXECUTE FUNCTION surge_switches_append_only();
