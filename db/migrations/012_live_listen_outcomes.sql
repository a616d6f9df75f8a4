-- What became of each live listen (live_listen_log, 010): whether the listener's phone answered and
-- when the listening ended, from Asterisk's OriginateResponse and the listening channel's Hangup. The
-- listening channel is named after its audit row (ChannelId listen-<listener>-<agent>-<live_listen_log.id>),
-- so an admin reads in one place who listened to which call, and whether and how long they heard it.
--
-- listen_id is not a foreign key: an outcome can reach the controller before the console's
-- transaction that inserted the audit row has committed, and a writer must never be stuck on a row
-- it cannot insert. One row per listen and result; append-only like the log itself.
CREATE TABLE live_listen_outcomes (
    id          bigserial PRIMARY KEY,
    listen_id   bigint NOT NULL,
    result      text NOT NULL CHECK (result IN ('answered', 'no_answer', 'busy', 'congestion', 'failed', 'ended')),
    at          timestamptz NOT NULL,
    UNIQUE (listen_id, result)
);

CREATE FUNCTION live_listen_outcomes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'live_listen_outcomes is append-only (%)', TG_OP;
END
$$;
CREATE TRIGGER live_listen_outcomes_append_only BEFORE UPDATE OR DELETE ON live_listen_outcomes
    FOR EACH ROW EXECUTE FUNCTION live_listen_outcomes_append_only();
