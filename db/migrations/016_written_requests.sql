-- Written requests (issue 14): tickets that come from the citizen portal (and later SMS) next to
-- the ones from calls, in the same table with the same status path and history.
--
-- channel: where the ticket came from. A written request has a tracking code the citizen looks it
-- up with (together with his phone number, kept in caller_number), the name and area he gave, and
-- the agent who claimed it (at most one: claimed_by is set by a single conditional UPDATE).
ALTER TABLE tickets
    ADD COLUMN channel       text NOT NULL DEFAULT 'phone' CHECK (channel IN ('phone', 'web', 'sms')),
    ADD COLUMN tracking_code text UNIQUE CHECK (tracking_code ~ '^[2-9A-HJ-NP-Z]{8}$'),
    ADD COLUMN citizen_name  text NOT NULL DEFAULT '',
    ADD COLUMN citizen_area  text NOT NULL DEFAULT '',
    ADD COLUMN claimed_by    text,
    ADD COLUMN claimed_at    timestamptz,
    ADD CONSTRAINT tickets_claim_check CHECK ((claimed_by IS NULL) = (claimed_at IS NULL));

-- The written-requests queue: a branch's requests not yet closed, oldest first.
CREATE INDEX tickets_written_queue_idx ON tickets (branch, created_at, id)
    WHERE channel <> 'phone' AND status <> 'closed';
-- A duplicate submission (same phone, branch, text within minutes) is found by the phone.
CREATE INDEX tickets_written_phone_idx ON tickets (caller_number, created_at) WHERE channel <> 'phone';

-- A history row the citizen sees on the portal (a reply); every other row is internal.
ALTER TABLE ticket_events ADD COLUMN public boolean NOT NULL DEFAULT false;

-- Every portal submission that passed validation, for the per-address and per-phone limits.
-- Rows older than the longest window are useless; the portal deletes them as it goes.
CREATE TABLE portal_submissions (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    remote_addr text NOT NULL,
    phone       text NOT NULL
);
CREATE INDEX portal_submissions_addr_idx ON portal_submissions (remote_addr, at);
CREATE INDEX portal_submissions_phone_idx ON portal_submissions (phone, at);
CREATE INDEX portal_submissions_at_idx ON portal_submissions (at);
