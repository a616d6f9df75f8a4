"""1022 controller: the process and its composition root (see docs/architecture.md)."""
