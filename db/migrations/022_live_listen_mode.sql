-- Whisper and barge (issue 15): a supervisor's phone may also speak to the agent only (whisper, ChanSpy w)
-- or to both parties (barge, ChanSpy B). Each is access to a citizen's call like listening, so it is a row
-- of the same append-only log, with its mode; rows from before this migration are listens.
ALTER TABLE live_listen_log
    ADD COLUMN mode text NOT NULL DEFAULT 'listen' CHECK (mode IN ('listen', 'whisper', 'barge'));
