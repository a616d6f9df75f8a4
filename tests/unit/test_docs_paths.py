"""Every repository path that README.md and docs/*.md name exists.

The rule, kept simple on purpose:

1. Where: README.md and docs/*.md, outside fenced code blocks (those hold commands and examples, such as a
   recording you would add).
2. What: each word of an inline code span (so `scripts/install-system.sh run` names scripts/install-system.sh), and
   each Markdown link target, its `#anchor` dropped.
3. Skipped: URLs and other `scheme:` strings, anything starting with `/` (API routes, absolute paths), `~`, `$`, `.`
   (home, environment, state directories), and anything holding a placeholder or syntax character (`<>{}[]()…|,=?:`):
   `<state>/secrets/ami_secret` and `GET /api/v1/calls/{linkedid}` describe things, they are not repository paths.
   A `*` is kept: `tests/e2e/test_console_*.py` is a glob that must match at least one file. What the tests write
   (GENERATED: `tests/artifacts/…`, ignored by git) is skipped too: it exists only after a run.
4. A word is a path when it contains `/` and its first part is a top-level entry of the repository (`ivr/…`,
   `docs/…`), or when it ends in one of EXTENSIONS. So prompt names (`1022/menu`, `digits/5`), MIME types and
   directories inside an Asterisk instance (`spool/recordings`) are not paths; `bench/results.json` is, and fails.
5. Resolution: code spans from the repository root; link targets from the document's folder, as Markdown renders
   them; a bare file name (no `/`, e.g. `states.py` in the table of ivr/acd/) must be the name of some file of the
   repository.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXTENSIONS = (".py", ".md", ".conf", ".toml", ".csv", ".json", ".sh", ".sql", ".js", ".css", ".html", ".png",
              ".xml", ".wav", ".txt")
SKIP_PREFIXES = ("/", "~", "$", ".", "#")
GENERATED = ("tests/artifacts/",)
PLACEHOLDER = re.compile(r"[<>{}\[\]()…|,=?:]")
FENCE = re.compile(r"^```.*?^```[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def docs() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def named_paths(markdown: str, top_level: set[str]) -> list[tuple[str, str]]:
    """(kind, path) for every path the text names: kind "code" (from the root) or "link" (from the document)."""
    text = FENCE.sub("", markdown)
    found = []
    for word in (word for span in CODE_SPAN.findall(text) for word in span.split()):
        if word.startswith(SKIP_PREFIXES + GENERATED) or PLACEHOLDER.search(word):
            continue
        if ("/" in word and word.split("/")[0] in top_level) or word.endswith(EXTENSIONS):
            found.append(("code", word))
    for target in LINK.findall(text):
        target = target.split("#")[0]
        if target and not PLACEHOLDER.search(target) and not target.startswith(SKIP_PREFIXES):
            found.append(("link", target))
    return found


def repository_files() -> set[str]:
    names = set()
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d != "__pycache__"
                         and not d.endswith(".egg-info") and d != "artifacts"]
        names.update(files)
    return names


def missing(doc: Path, kind: str, path: str, file_names: set[str]) -> bool:
    if kind == "link":
        return not (doc.parent / path).exists()
    if "/" not in path:
        return path not in file_names
    if "*" in path:
        return not list(REPO.glob(path.rstrip("/")))
    return not (REPO / path).exists()


def broken_references() -> list[str]:
    top_level = {entry.name for entry in REPO.iterdir() if not entry.name.startswith(".")}
    file_names = repository_files()
    broken = []
    for doc in docs():
        for kind, path in named_paths(doc.read_text(encoding="utf-8"), top_level):
            if missing(doc, kind, path, file_names):
                broken.append(f"{doc.relative_to(REPO)}: {path}")
    return broken


def test_the_rule_on_a_literal_text() -> None:
    text = """
See `ivr/app.py`, `docs/` and [the API](api.md#routes), [a site](https://example.org/x.md), [top](#top).
Not paths: `1022/menu`, `digits/5`, `spool/recordings`, `audio/wav`, `127.0.0.0/8`, `GET /api/v1/calls/{id}`,
`/healthz`, `<state>/secrets/ami_secret`, `$IVR_STATE_DIR/prompts`, `~/.cache/ivr1022/`, `.venv/`,
`sip:115@127.0.0.1:5090`, `python -m prompts list`, `db.reports.summary`, `IVR_SIP_PORT`,
`tests/artifacts/screenshots/`.
Paths: `states.py`, `bench/results.json`, `pytest -q tests/e2e/test_console_*.py`.
```sh
git add prompts/overrides/vi/1022/welcome.wav
```
"""
    assert named_paths(text, {"ivr", "docs", "tests", "prompts"}) == [
        ("code", "ivr/app.py"), ("code", "docs/"), ("code", "states.py"), ("code", "bench/results.json"),
        ("code", "tests/e2e/test_console_*.py"), ("link", "api.md")]


def test_a_missing_path_is_reported() -> None:
    names = repository_files()
    assert missing(REPO / "docs" / "architecture.md", "code", "dialplan/menu.conf", names)
    assert missing(REPO / "docs" / "architecture.md", "code", "test_constants_nowhere.py", names)
    assert missing(REPO / "docs" / "architecture.md", "link", "nowhere.md", names)
    assert not missing(REPO / "docs" / "architecture.md", "code", "dialplan/extensions_menu.conf", names)
    assert not missing(REPO / "docs" / "architecture.md", "link", "acd.md", names)
    assert not missing(REPO / "docs" / "architecture.md", "code", "tests/e2e/test_console_*.py", names)


def test_every_path_the_docs_name_exists() -> None:
    broken = broken_references()
    assert not broken, "the docs name paths that do not exist:\n" + "\n".join(broken)
