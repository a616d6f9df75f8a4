"""Dependencies point one way (docs/architecture.md): each package imports only the packages of ours listed here.

Read from the source with `ast` (every `import x` / `from x import …`, at any depth in the module), so an import
inside a function counts too. `ivr` may import every package but the console, which only its composition root
(`ivr/app.py`) wires in.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = {"agent_console", "contracts", "db", "ivr", "prompts", "recordings", "runtime", "tests"}
ALLOWED = {
    "agent_console": {"contracts", "db"},   # its ports are contracts/ports.py; never imports ivr
    "contracts": set(),               # domain errors and ports: owned by neither side
    "recordings": {"db"},
    "prompts": set(),
    "runtime": set(),                 # the external processes: started by ivr, the tests and the bench
    "db": set(),
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """Top-level packages of ours imported by each module of `package` (relative to the repository)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = (names & OURS) - {package}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    modules = imported_packages(package)
    assert modules, f"{package}/ has no modules"
    wrong = {module: sorted(names - ALLOWED[package]) for module, names in modules.items() if names - ALLOWED[package]}
    assert not wrong, f"{package}/ may import only {sorted(ALLOWED[package]) or 'nothing of ours'}: {wrong}"


def test_only_the_composition_root_imports_the_console() -> None:
    importers = sorted(module for module, names in imported_packages("ivr").items() if "agent_console" in names)
    assert importers == ["ivr/app.py"]
