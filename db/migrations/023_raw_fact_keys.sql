-- Raw facts loaded back from Asterisk's local files (ivr/raw_load.py) after a PostgreSQL outage:
-- a unique key on each raw row, so loading a file twice, or a row cel_pgsql / realtime wrote too,
-- adds nothing; and how far each file has been read.
--
-- cel: cel_pgsql and cel_custom's file carry the same event time to the microsecond (cel.conf has
-- no dateformat), and one channel never has two events of one type at the same microsecond.
DELETE FROM cel a USING cel b
 WHERE a.id > b.id AND a.uniqueid = b.uniqueid AND a.eventtype = b.eventtype AND a.eventtime = b.eventtime;
CREATE UNIQUE INDEX cel_fact_key ON cel (uniqueid, eventtype, eventtime);

-- queue_log: realtime writes microseconds, the file whole seconds (two clocks read a moment apart),
-- so the loader also skips a file line whose twin is in the table within a second or two; this key
-- makes a second load of the same line a no-op.
DELETE FROM queue_log a USING queue_log b
 WHERE a.id > b.id AND a.time = b.time AND a.callid = b.callid AND a.queuename = b.queuename
   AND a.agent = b.agent AND a.event = b.event AND a.data = b.data AND a.data1 = b.data1
   AND a.data2 = b.data2 AND a.data3 = b.data3 AND a.data4 = b.data4 AND a.data5 = b.data5;
CREATE UNIQUE INDEX queue_log_fact_key ON queue_log
    (time, callid, queuename, agent, event, md5(data || '|' || data1 || '|' || data2 || '|' || data3 || '|' || data4 || '|' || data5));

-- raw_file_offsets: the byte offset up to which a raw file was loaded; inode tells a rotated file.
CREATE TABLE raw_file_offsets (
    name      text PRIMARY KEY,                -- 'cel' or 'queue_log'
    inode     bigint NOT NULL,
    "offset"  bigint NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
