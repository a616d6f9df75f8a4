"""Every catalog key a console page uses (templates' data-i18n and t(), the scripts' t()) is in both languages."""
from __future__ import annotations

import re
from pathlib import Path

from agent_console.i18n import catalog

TEMPLATES = Path(__file__).resolve().parents[2] / "agent_console" / "web" / "templates"
STATIC = TEMPLATES.parents[1] / "static"
def test_every_key_the_pages_use_is_in_both_languages():
    words = catalog()
    assert set(words["vi"]) == set(words["en"])
    used = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-placeholder)?="([^"{]+)"', text))
        used |= set(re.findall(r'\bt\("([^"]+)"\)', text))
    for script in STATIC.glob("*.js"):
        used |= {k for k in re.findall(r'\bt\("([a-z_]+\.[a-z_.0-9]+)"\)', script.read_text(encoding="utf-8"))}
    assert used and not used - set(words["vi"]), sorted(used - set(words["vi"]))
