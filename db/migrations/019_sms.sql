-- The SMS channel (issue 14): a citizen's SMS becomes (or joins) a ticket with channel 'sms'; an
-- agent's reply goes out through the gateway and its delivery reports come back.
--
-- sms_inbound: every message a gateway handed us, once per (gateway, message id): a gateway that
-- retries gets the stored reply back and nothing is created twice. ticket_id is the request it
-- opened or joined; reply is the SMS we answered with.
CREATE TABLE sms_inbound (
    id          bigserial PRIMARY KEY,
    gateway     text NOT NULL CHECK (gateway IN ('kannel', 'jasmin')),
    message_id  text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 100),
    sender      text NOT NULL,
    receiver    text NOT NULL,
    text        text NOT NULL,
    ticket_id   bigint REFERENCES tickets (id),
    joined      boolean NOT NULL DEFAULT false,       -- a follow-up on an open request
    reply       text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, message_id)
);
CREATE INDEX sms_inbound_ticket_idx ON sms_inbound (ticket_id);

-- The parts of a concatenated message whose gateway did not join them (UDH reference, part n of
-- total): kept until the last part arrives, then joined in order and deleted.
CREATE TABLE sms_parts (
    gateway     text NOT NULL,
    sender      text NOT NULL,
    ref         integer NOT NULL,
    total       smallint NOT NULL CHECK (total BETWEEN 2 AND 255),
    part        smallint NOT NULL CHECK (part BETWEEN 1 AND 255),
    message_id  text NOT NULL,
    text        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, sender, ref, part)
);

-- Every SMS an agent sent to a citizen, with the gateway's delivery status as it changes:
-- queued (handed to the gateway) -> sent (the SMSC took it) -> delivered, or failed / rejected.
CREATE TABLE sms_outbound (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    receiver    text NOT NULL,
    text        text NOT NULL,
    sent_by     text NOT NULL,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sent', 'delivered', 'buffered', 'failed', 'rejected')),
    detail      text NOT NULL DEFAULT '',            -- the gateway's words on the last change
    created_at  timestamptz NOT NULL DEFAULT now(),
    status_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_outbound_ticket_idx ON sms_outbound (ticket_id);

-- A follow-up SMS finds the sender's open request by the phone.
CREATE INDEX tickets_open_sms_idx ON tickets (caller_number, created_at) WHERE channel = 'sms' AND status <> 'closed';
