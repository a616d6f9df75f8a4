"""The console's services: a handler turns a request into one call here, and the service decides.

Each service combines the database (`db/`) and what the controller hands over (`contracts.ports`)
for one use case, and refuses with `contracts.errors`, which `agent_console/errors.py` maps to
HTTP statuses.
"""
