-- SIP addresses banned after repeated failed authentications (ivr/sip_guard.py, issue 17): the audit
-- of every ban and of who lifted it. Append-only except lifted_at/lifted_by, set once.
-- An active ban: lifted_at IS NULL AND until > now(). The controller writes the active ones into
-- Asterisk's pjsip ACL (sip_bans.conf) and reloads it.
CREATE TABLE sip_bans (
    id          bigserial PRIMARY KEY,
    address     inet NOT NULL,
    banned_at   timestamptz NOT NULL DEFAULT now(),
    until       timestamptz NOT NULL,
    failures    integer NOT NULL CHECK (failures > 0),
    accounts    text NOT NULL DEFAULT '',   -- the account names tried, comma-separated, as Asterisk reported them
    lifted_at   timestamptz,
    lifted_by   text,
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
);
CREATE INDEX sip_bans_active_idx ON sip_bans (until) WHERE lifted_at IS NULL;
