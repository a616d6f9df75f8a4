"""Voice prompts for 1022: catalog text -> espeak-ng -> pydub -> 8 kHz mono WAV for Asterisk.

Public API: `recordings.prompts.ensure_prompts` / `ensure_prompts_async` (build what is
missing), `recordings.prompts.check_prompts`, `recordings.catalog.load_catalog`,
`recordings.overrides.replace_prompt`. CLI: `python -m recordings --help`; docs/prompts.md.
"""
