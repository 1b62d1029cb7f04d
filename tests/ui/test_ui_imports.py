"""The UI talks only to the controller: of the supervisor it may import only the state types and `Notice`.

A direct import of anything else (the Supervisor, its binary checks, its config) is how core work crept into
the dialogs before; this keeps the layering a rule rather than a habit. Checked over the source, not at run
time, so an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

ALLOWED = {"app.supervisor.state", "app.supervisor.notices"}


def imported_modules(source: Path) -> set[str]:
    """Every module `source` imports, `from package import module` resolved to `package.module`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.add(node.module)
            if node.module in ("app", "app.supervisor"):  # `from app.supervisor import supervisor`
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_ui_reaches_the_supervisor_only_through_the_controller() -> None:
    sources = sorted((REPO_ROOT / "app" / "ui").glob("*.py"))
    assert sources, "no UI sources found"
    reaching = {
        f"{source.relative_to(REPO_ROOT)}: {module}"
        for source in sources
        for module in imported_modules(source)
        if (module == "app.supervisor" or module.startswith("app.supervisor.")) and module not in ALLOWED
    }
    assert not reaching, "app/ui must go through app.controller:\n" + "\n".join(sorted(reaching))


def reach_throughs(source: Path) -> set[str]:
    """`controller.supervisor…` and `controller.keys…`: the controller's parts, used past its API."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Attribute) and node.attr in ("supervisor", "keys"):
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if name == "controller":
                found.add(f"{source.name}:{node.lineno}: controller.{node.attr}")
    return found


def test_the_ui_uses_the_controllers_api_not_its_parts() -> None:
    reaching = set().union(*(reach_throughs(s) for s in (REPO_ROOT / "app" / "ui").glob("*.py")))
    assert not reaching, "use the Controller's own methods:\n" + "\n".join(sorted(reaching))


def test_the_check_sees_the_kinds_of_import_that_reach_past_it(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import app.supervisor.binary\n"
        "from app.supervisor import supervisor\n"
        "def later() -> None:\n"
        "    from app.supervisor.config import LlmLinkConfig\n"
        "    self.controller.supervisor.refresh()\n"
    )
    assert {"app.supervisor.binary", "app.supervisor.supervisor", "app.supervisor.config"} <= imported_modules(source)
    assert reach_throughs(source) == {"sample.py:5: controller.supervisor"}
