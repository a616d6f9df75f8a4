-- People who log in to the console and/or register a phone (a PJSIP endpoint named by ext).
-- password_hash: pbkdf2_sha256$iterations$salt$hash (db/agents.py). sip_password: the phone's
-- digest secret, which Asterisk needs in clear text (pjsip auth password).
CREATE TABLE agents (
    ext             text PRIMARY KEY CHECK (ext ~ '^[0-9]{3,6}$'),
    name            text NOT NULL,
    role            text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash   text NOT NULL CHECK (password_hash LIKE 'pbkdf2_sha256$%'),
    sip_password    text NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Which queues an agent serves, with the app_queue penalty (lower rings first).
CREATE TABLE agent_branches (
    ext     text NOT NULL REFERENCES agents (ext) ON DELETE CASCADE,
    queue   text NOT NULL CHECK (queue IN ('cdc', 'doctors', 'violations', 'emergency')),
    penalty integer NOT NULL DEFAULT 0 CHECK (penalty >= 0),
    PRIMARY KEY (ext, queue)
);
CREATE INDEX agent_branches_queue_idx ON agent_branches (queue);
