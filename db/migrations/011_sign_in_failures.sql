-- Failed sign-ins (agent_console/web/session.py LoginLimiter): in the database, so the limit of
-- failed attempts per (extension, client address) survives a restart of the controller and holds
-- for every controller on the same database. Rows older than the window are deleted as new
-- failures are written; a successful sign-in deletes its key's rows.
CREATE TABLE sign_in_failures (
    id          bigserial PRIMARY KEY,
    ext         text NOT NULL,          -- as typed (at most 64 characters), not necessarily an agent
    remote_addr text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_key_idx ON sign_in_failures (ext, remote_addr, at);
CREATE INDEX sign_in_failures_at_idx ON sign_in_failures (at);
