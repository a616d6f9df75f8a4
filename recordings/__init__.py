"""Call recordings: the MixMonitor files of answered calls, indexed, served and deleted by retention.

- `call_files.py` — the recordings directory: listing, safe paths, WAV duration (blocking; run in threads);
- `call_index.py` — puts finished files into the `recordings` table;
- `call_retention.py` — deletes recordings older than IVR_RECORDING_RETENTION_DAYS;
- `call_recordings.py` — what the controller starts and stops as one.

See docs/recordings.md. Voice prompts (what the caller hears) are in `prompts/`.
"""
