-- Keep-place callbacks (issue 13): a caller who pressed * then 1 (or typed a number and #) in a queue.
-- A placeholder channel keeps the place in line (docs/callbacks.md); these rows are what is never lost:
-- every request and every dial attempt. The worklist (wt-surge) reads requests in state 'to_worklist'.
--
-- place_at: the request's place in line: when the caller joined the queue (restart and retry re-enter
-- the placeholder ahead of every caller who joined later). priority: the caller's QUEUE_PRIO.
-- merged_into: a second request for the same number and branch while one is active (the earlier keeps
-- its place; the second is a row too, state 'cancelled').
CREATE TABLE callback_requests (
    id                bigserial PRIMARY KEY,
    number            text NOT NULL CHECK (number ~ '^[0-9]{3,15}$'),
    branch            smallint NOT NULL CHECK (branch BETWEEN 1 AND 4),
    queue             text NOT NULL,
    language          text NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
    priority          integer NOT NULL DEFAULT 0,
    state             text NOT NULL DEFAULT 'waiting'
                      CHECK (state IN ('waiting', 'dialling', 'connected', 'retry_wait', 'to_worklist', 'cancelled')),
    requested_at      timestamptz NOT NULL DEFAULT now(),
    place_at          timestamptz NOT NULL DEFAULT now(),
    queue_position    integer,
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz,
    original_linkedid text NOT NULL,
    callback_linkedid text,                       -- the call in which the citizen was reached
    reached_at        timestamptz,
    agent_ext         text,
    merged_into       bigint REFERENCES callback_requests (id),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- One active request per number and branch: a second one merges into it.
CREATE UNIQUE INDEX callback_requests_active_idx ON callback_requests (number, branch)
    WHERE state IN ('waiting', 'dialling', 'retry_wait');
CREATE INDEX callback_requests_state_idx ON callback_requests (state, place_at);
CREATE INDEX callback_requests_requested_idx ON callback_requests (requested_at);

-- One row per dial of the citizen; at most one open (ended_at NULL) per request: never two at once.
CREATE TABLE callback_attempts (
    id           bigserial PRIMARY KEY,
    request_id   bigint NOT NULL REFERENCES callback_requests (id),
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    result       text CHECK (result IN ('answered', 'no_answer', 'busy', 'congestion', 'failed', 'lost')),
    agent_ext    text,
    linkedid     text
);
CREATE UNIQUE INDEX callback_attempts_one_open_idx ON callback_attempts (request_id) WHERE ended_at IS NULL;

-- The caller who booked a callback (step callback=<id>) did not abandon: outcome callback_requested.
ALTER TABLE calls DROP CONSTRAINT calls_outcome_check;
ALTER TABLE calls ADD CONSTRAINT calls_outcome_check CHECK (outcome IN (
    'abandoned_ivr', 'short_abandon', 'abandoned_queue', 'answered', 'transferred_115', 'emergency_fallback',
    'left_message', 'failed', 'callback_requested'));
