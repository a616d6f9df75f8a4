-- Raw facts written by Asterisk itself, so nothing is lost while the controller is down.
--
-- cel: the table cel_pgsql fills. cel_pgsql reads this table's columns when it loads and
-- inserts every column it knows by name (others get DEFAULT): keep the names exactly.
-- eventtime is sent as a local-time string 'YYYY-MM-DD HH:MM:SS.uuuuuu' (GMT with
-- usegmtime=yes): the private cluster runs with timezone=UTC, so set usegmtime=yes.
CREATE TABLE cel (
    id          bigserial PRIMARY KEY,
    eventtype   text NOT NULL,
    eventtime   timestamptz NOT NULL,
    userdeftype text NOT NULL DEFAULT '',
    cid_name    text NOT NULL DEFAULT '',
    cid_num     text NOT NULL DEFAULT '',
    cid_ani     text NOT NULL DEFAULT '',
    cid_rdnis   text NOT NULL DEFAULT '',
    cid_dnid    text NOT NULL DEFAULT '',
    exten       text NOT NULL DEFAULT '',
    context     text NOT NULL DEFAULT '',
    channame    text NOT NULL DEFAULT '',
    appname     text NOT NULL DEFAULT '',
    appdata     text NOT NULL DEFAULT '',
    amaflags    integer NOT NULL DEFAULT 0,
    accountcode text NOT NULL DEFAULT '',
    peeraccount text NOT NULL DEFAULT '',
    uniqueid    text NOT NULL DEFAULT '',
    linkedid    text NOT NULL DEFAULT '',
    userfield   text NOT NULL DEFAULT '',
    peer        text NOT NULL DEFAULT '',
    extra       text NOT NULL DEFAULT ''
);
CREATE INDEX cel_linkedid_idx ON cel (linkedid);
CREATE INDEX cel_eventtime_idx ON cel (eventtime);

-- queue_log: Asterisk's realtime queue_log (extconfig.conf: queue_log => pgsql,...) through
-- res_config_pgsql. With queue_adaptive_realtime=yes (logger.conf) the '|' separated data goes
-- to data1..data5, otherwise all of it to data; both shapes fit this table. time is a
-- local-time string unless queue_log_realtime_use_gmt=yes (use it: the cluster runs in UTC).
CREATE TABLE queue_log (
    id          bigserial PRIMARY KEY,
    time        timestamptz NOT NULL DEFAULT now(),
    callid      text NOT NULL DEFAULT '',
    queuename   text NOT NULL DEFAULT '',
    agent       text NOT NULL DEFAULT '',
    event       text NOT NULL DEFAULT '',
    data        text NOT NULL DEFAULT '',
    data1       text NOT NULL DEFAULT '',
    data2       text NOT NULL DEFAULT '',
    data3       text NOT NULL DEFAULT '',
    data4       text NOT NULL DEFAULT '',
    data5       text NOT NULL DEFAULT ''
);
CREATE INDEX queue_log_callid_idx ON queue_log (callid);
CREATE INDEX queue_log_time_idx ON queue_log (time);
