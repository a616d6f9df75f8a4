-- The audit log of live listening: a supervisor's or admin's phone hearing an agent's call
-- (POST /api/v1/agents/{ext}/listen, docs/acd.md). Hearing a citizen's call is access to personal
-- data, like playing its recording (recording_access, 008).
--
-- One row per listen Asterisk accepted: the console inserts it and sends the AMI Originate in
-- one transaction, committed only when Asterisk queued the call (agent_console/api/listen.py).
-- linkedid: the agent's call at that moment. Append-only: the trigger refuses UPDATE and DELETE.
CREATE TABLE live_listen_log (
    id              bigserial PRIMARY KEY,
    agent_ext       text NOT NULL,
    listener_ext    text NOT NULL,
    listener_role   text NOT NULL CHECK (listener_role IN ('supervisor', 'admin')),
    linkedid        text,                   -- NULL: the controller did not know the call's linkedid
    at              timestamptz NOT NULL DEFAULT now(),
    remote_addr     text
);
CREATE INDEX live_listen_log_newest_idx ON live_listen_log (id DESC);
CREATE INDEX live_listen_log_agent_idx ON live_listen_log (agent_ext, id DESC);

CREATE FUNCTION live_listen_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'live_listen_log is append-only (%)', TG_OP;
END
$$;
CREATE TRIGGER live_listen_log_append_only BEFORE UPDATE OR DELETE ON live_listen_log
    FOR EACH ROW EXECUTE FUNCTION live_listen_log_append_only();
