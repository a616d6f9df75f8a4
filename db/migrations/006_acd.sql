-- ACD: agents' state history, wrap-ups and tickets (issue 4).
--
-- agent_states: one row per state an agent was in; ended_at is NULL for the current one (at
-- most one open row per agent). Written by the controller's state writer (ivr/acd/store.py).
CREATE TABLE agent_states (
    id          bigserial PRIMARY KEY,
    ext         text NOT NULL,
    state       text NOT NULL CHECK (state IN ('logged_out', 'ready', 'ringing', 'on_call', 'wrap_up', 'paused')),
    reason      text,
    linkedid    text,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX agent_states_open_idx ON agent_states (ext) WHERE ended_at IS NULL;
CREATE INDEX agent_states_ext_started_idx ON agent_states (ext, started_at DESC);

-- wrapups: the form an agent fills in after a call (one per call; a resubmission replaces it).
CREATE TABLE wrapups (
    linkedid        text PRIMARY KEY,
    ext             text NOT NULL,          -- the agent who took the call
    category        text NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('answered', 'resolved', 'forwarded', 'needs_verification')),
    agency          text,
    notes           text NOT NULL DEFAULT '',
    submitted_by    text NOT NULL,          -- the agent, or the supervisor who filled it in
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (outcome <> 'forwarded' OR agency IS NOT NULL)
);

-- tickets: what a call asks for, followed until closed. A call has at most one ticket;
-- tickets without a call (linkedid NULL) come from other channels.
CREATE TABLE tickets (
    id              bigserial PRIMARY KEY,
    linkedid        text UNIQUE,
    caller_number   text NOT NULL DEFAULT '',
    branch          smallint CHECK (branch BETWEEN 1 AND 4),
    category        text NOT NULL,
    status          text NOT NULL CHECK (status IN ('open', 'forwarded', 'verified', 'closed')),
    agency          text,
    summary         text NOT NULL DEFAULT '',
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_updated_at_idx ON tickets (updated_at DESC, id DESC);

CREATE TABLE ticket_events (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    by          text NOT NULL,
    status      text NOT NULL CHECK (status IN ('open', 'forwarded', 'verified', 'closed')),
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, at);
