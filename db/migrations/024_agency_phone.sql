-- Agencies get a phone number (issue 15): the browser phone's blind transfer may send the caller out to it
-- through the citizen trunk (dialplan/extensions_transfer.conf, docs/agencies.md). Digits only, 3 (a short
-- number such as 113) to 15 (E.164's longest); null: the entry is not offered as a transfer target.
ALTER TABLE agencies ADD COLUMN phone text CHECK (phone ~ '^[0-9]{3,15}$');

-- What Asterisk's realtime switch (pbx_realtime, `switch => Realtime/agent-transfer@agency_transfers` in
-- context agent-transfer) sees: one extension agency-<id> per active entry with a phone, so a REFER to
-- any other agency-<n> finds no extension and is refused while the caller is still with the agent. The
-- extension hands the caller to context agency-out, which asks the controller (FastAGI agency_transfer)
-- for the number at that moment.
CREATE VIEW agency_transfer_extensions AS
    SELECT 'agent-transfer'::text AS context, 'agency-' || id AS exten, 1 AS priority,
           'Goto'::text AS app, 'agency-out,' || id || ',1' AS appdata
    FROM agencies WHERE active AND phone IS NOT NULL;
