"""Voice prompts for 1022: catalog text -> espeak-ng -> pydub -> 8 kHz mono WAV for Asterisk.

- `catalog.toml`, `catalog.py` — the texts, in Vietnamese and English, and their reader;
- `synth.py` (espeak-ng, sox), `audio.py` (pydub: trim, level, padding, WAV) — how one sound is made;
- `build.py` — builds what is missing under <out> and checks it (the manifest);
- `overrides.py`, `overrides/` — operator recordings that replace generated prompts;
- `__main__.py` — the CLI.

Public API: `prompts.build.ensure_prompts` / `ensure_prompts_async` (build what is
missing), `prompts.build.check_prompts`, `prompts.catalog.load_catalog`,
`prompts.overrides.replace_prompt`. CLI: `python -m prompts --help`; docs/prompts.md.
Call recordings (MixMonitor files) are another matter: `recordings/`.
"""
