-- Asterisk's cel_pgsql and realtime queue_log send times as strings without a zone; with
-- usegmtime=yes / queue_log_realtime_use_gmt=yes they are UTC, so sessions on this database
-- read zone-less strings as UTC whatever the server's default. (The private cluster already
-- runs in UTC.) Needs the database owner; without that right a notice is raised instead and
-- the operator sets it (ALTER DATABASE ... SET timezone TO 'UTC'). Reports convert to local
-- time explicitly (AT TIME ZONE 'Asia/Ho_Chi_Minh').
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'UTC');
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not the database owner: set timezone to UTC for Asterisk''s CEL/queue_log times';
END
$$;
