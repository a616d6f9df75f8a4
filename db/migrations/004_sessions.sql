-- Console API sessions: the bearer token is random (32 bytes); only its SHA-256 is stored, so a
-- leaked table does not leak usable tokens. Rows expire; logout deletes the row. The role is
-- read from agents at each request, so a role change or deactivation takes effect at once.
CREATE TABLE sessions (
    token_sha256    bytea PRIMARY KEY,
    ext             text NOT NULL REFERENCES agents (ext) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
