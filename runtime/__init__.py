"""The external processes 1022 starts itself: Asterisk instances, a private PostgreSQL, Kannel; later Kamailio.

- `asterisk.py` — one Asterisk instance (`AsteriskInstance`): render its config, start it as our child, stop it;
  `asterisk_config.py` renders etc/ from `dialplan/` plus generated files, `asterisk_data.py` its data/ (sounds, music);
- `postgres.py` — a private PostgreSQL cluster (`PrivateCluster`) for `make run` without DATABASE_URL and for the tests;
- `kannel.py` — the SMS gateway (`KannelGateway`): bearerbox + smsbox as our children, config generated, when
  `IVR_SMS=on` (docs/sms.md);
- `lock.py` — the run lock (`RunLock`): one supervisor per state directory and instance, a second start refuses
  naming the running one.

Asterisk and PostgreSQL can be *adopted* (`adopt()`): a server an earlier run left running is kept, not restarted.

Used by the composition root (`ivr/system.py`, `make run`), the test fixtures and the bench. Nothing here imports
`ivr` (tests/unit/test_dependencies.py checks it): what an instance needs (ports, AMI secret, agents, database,
prompts, timeouts) comes in as parameters (`PbxOptions`, `DbParams`), so the processes start without the controller.
"""
