"""What the controller (`ivr/`) and the console (`agent_console/`) agree on, owned by neither.

- `contracts.errors`: the domain's refusals (unknown agent, a command the state forbids, Asterisk
  away, …). The controller raises them; the console maps each to an HTTP status in one place
  (`agent_console/errors.py`).
- `contracts.ports`: the small interfaces the console needs from the process that hosts it (act on
  agents, live queues, the live feed, listening, recordings' files, health, the database pool).
  The composition root (`ivr/app.py`) hands the console objects that satisfy them.

This package imports nothing from `ivr`, `agent_console`, `recordings` or `db`.
"""
