-- The sign-in limit counts failures per client address across accounts (a password sprayed over
-- many extensions, unknown ones included) and per account across addresses (growing delays):
-- agent_console/web/sign_in_limit.py. The (ext, remote_addr, at) index serves the account's count;
-- this one serves the address's.
CREATE INDEX sign_in_failures_addr_idx ON sign_in_failures (remote_addr, at);
