-- Domain records written by the controller (ivr/store/), keyed by Asterisk's Linkedid.
-- db/calls.py upserts them idempotently; the IVR path is one row per step, numbered by seq.
CREATE TABLE calls (
    linkedid        text PRIMARY KEY,
    caller_number   text NOT NULL DEFAULT '',
    caller_name     text NOT NULL DEFAULT '',
    language        text,
    branch          smallint CHECK (branch BETWEEN 1 AND 4),
    queue           text,
    emergency       boolean NOT NULL DEFAULT false,
    started_at      timestamptz NOT NULL,
    answered_at     timestamptz,
    ended_at        timestamptz,
    agent           text,
    wait_s          numeric(10, 3),
    talk_s          numeric(10, 3),
    ring_attempts   integer NOT NULL DEFAULT 0,
    hangup_by       text CHECK (hangup_by IN ('caller', 'agent', '115', 'system')),
    outcome         text CHECK (outcome IN ('abandoned_ivr', 'short_abandon', 'abandoned_queue', 'answered',
                                            'transferred_115', 'emergency_fallback', 'left_message', 'failed')),
    complete        boolean GENERATED ALWAYS AS (ended_at IS NOT NULL AND outcome IS NOT NULL) STORED,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_started_at_idx ON calls (started_at DESC, linkedid DESC);
CREATE INDEX calls_agent_started_at_idx ON calls (agent, started_at DESC);
CREATE INDEX calls_incomplete_idx ON calls (started_at) WHERE NOT complete;

CREATE TABLE call_steps (
    linkedid    text NOT NULL REFERENCES calls (linkedid) ON DELETE CASCADE,
    seq         integer NOT NULL CHECK (seq >= 0),
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    value       text NOT NULL DEFAULT '',
    PRIMARY KEY (linkedid, seq)
);
