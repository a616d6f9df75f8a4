-- Issue 12, "the caller's minute": time to 115 of every emergency call, and the post-call survey.
--
-- calls.emergency_dial_s    seconds from the caller's key 1 to the start of Dial(115)
-- calls.emergency_answer_s  seconds from the key to 115's answer (NULL when 115 did not answer)
-- calls.emergency_dial_status  how the dial ended: ANSWER, or app_dial's DIALSTATUS (BUSY,
--                           NOANSWER, CHANUNAVAIL, CONGESTION), or CANCEL (the caller hung up
--                           while 115 rang). All three come from the call's IVR steps
--                           (key, dial, transfer | fallback), which the reconciler rebuilds too.
ALTER TABLE calls
    ADD COLUMN emergency_dial_s      numeric(10, 3) CHECK (emergency_dial_s >= 0),
    ADD COLUMN emergency_answer_s    numeric(10, 3) CHECK (emergency_answer_s >= 0),
    ADD COLUMN emergency_dial_status text CHECK (emergency_dial_status IN
        ('ANSWER', 'BUSY', 'NOANSWER', 'CHANUNAVAIL', 'CONGESTION', 'CANCEL', 'OTHER'));

CREATE INDEX calls_emergency_dial_idx ON calls (started_at) WHERE emergency_dial_s IS NOT NULL;

-- One row per survey *asked*: the agent ended the call and the caller heard the question.
-- score NULL = no answer (no key 1-5 within the timeout, or the caller hung up). A call whose
-- caller hung up first was never asked: no row. agent and branch are the call's, copied so a
-- report on surveys reads one table.
CREATE TABLE call_surveys (
    linkedid    text PRIMARY KEY REFERENCES calls (linkedid) ON DELETE CASCADE,
    asked_at    timestamptz NOT NULL,
    agent       text,
    branch      smallint CHECK (branch BETWEEN 1 AND 4),
    score       smallint CHECK (score BETWEEN 1 AND 5),
    answered_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_surveys_asked_at_idx ON call_surveys (asked_at);
