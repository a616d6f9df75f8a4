-- Call recordings (MixMonitor files <linkedid>.wav in the instance's recordings directory) and
-- the audit log of every access to them. Recordings are personal data (docs/recordings.md).
--
-- recordings: one row per file, written by the controller's indexer (recordings/call_index.py).
-- created_at is the call's start (the file's mtime when the call is unknown); retention counts
-- from it. A deleted recording keeps its row: deleted_at and deleted_reason say when and why.
CREATE TABLE recordings (
    id              bigserial PRIMARY KEY,
    linkedid        text NOT NULL UNIQUE,
    file_name       text NOT NULL CHECK (file_name ~ '^[0-9]+(\.[0-9]+)*\.wav$'),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    duration_s      numeric(10, 3) CHECK (duration_s >= 0),     -- NULL: not a readable WAV
    created_at      timestamptz NOT NULL,
    indexed_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    deleted_reason  text CHECK (deleted_reason IN ('retention')),
    CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL))
);
CREATE INDEX recordings_live_created_idx ON recordings (created_at) WHERE deleted_at IS NULL;

-- recording_access: who played, downloaded or deleted which recording, when, from where.
-- Append-only: the trigger below refuses UPDATE and DELETE. ext 'system' is the retention task.
CREATE TABLE recording_access (
    id              bigserial PRIMARY KEY,
    recording_id    bigint NOT NULL REFERENCES recordings (id),
    linkedid        text NOT NULL,
    ext             text NOT NULL,
    role            text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin', 'system')),
    action          text NOT NULL CHECK (action IN ('play', 'download', 'delete')),
    at              timestamptz NOT NULL DEFAULT now(),
    remote_addr     text
);
CREATE INDEX recording_access_newest_idx ON recording_access (id DESC);
CREATE INDEX recording_access_recording_idx ON recording_access (recording_id, id DESC);

CREATE FUNCTION recording_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'recording_access is append-only (%)', TG_OP;
END
$$;
CREATE TRIGGER recording_access_append_only BEFORE UPDATE OR DELETE ON recording_access
    FOR EACH ROW EXECUTE FUNCTION recording_access_append_only();
