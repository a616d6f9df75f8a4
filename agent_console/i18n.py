"""The console's one string catalog (static/i18n.json): Vietnamese first, English second.

The browser's JS reads the same file; server-rendered pages use `text(lang, key)`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("static") / "i18n.json"
LANGUAGES = ("vi", "en")
DEFAULT = "vi"
LANG_COOKIE = "ivr1022_lang"


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    data = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    missing = set(data["vi"]) ^ set(data["en"])
    if missing:
        raise ValueError(f"i18n.json: keys not in both languages: {sorted(missing)}")
    return data


def language(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT


def text(lang: str, key: str) -> str:
    return catalog()[language(lang)][key]
