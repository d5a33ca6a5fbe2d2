"""The rooms of the code and the directions it may import in (docs/architecture.md), read from the source.

Every import of a project module is checked against ALLOWED: a room may import itself and the rooms
listed for it, nothing else. Module-level imports must form no cycle. The office never speaks HTTP,
and console pages never call a route function.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gatecore", "transport", "gate_agent", "firmware_sim", "central", "campusgate")

# room -> the rooms it may import (besides itself); the order of the list is the order of the floors
CORE = ("gatecore",)
CENTRAL_BASE = (*CORE, "central", "central.settings")
ALLOWED: dict[str, tuple[str, ...]] = {
    "gatecore": (),
    "transport": CORE,
    "gate_agent": (*CORE, "transport"),
    "firmware_sim": (*CORE, "transport", "gate_agent"),
    "central": (),  # the package's own __init__ (CentralError)
    "central.settings": (),
    # create_all stamps a fresh database at the newest revision (a call inside the function; the
    # migrations read the models' metadata): the one pair of rooms that know each other
    "central.models": (*CENTRAL_BASE, "central.migrations"),
    "central.audit": (*CENTRAL_BASE, "central.models"),
    "central.office": (*CENTRAL_BASE, "central.models", "central.audit"),
    "central.decisions": (
        *CENTRAL_BASE,
        "transport",
        "central.models",
        "central.audit",
        "central.office",
        "central.ops",
    ),
    "central.demo": (*CENTRAL_BASE, "central.models", "central.office"),
    "central.migrations": (*CENTRAL_BASE, "central.models"),
    # instrumentation (metrics, logs) and operations (readiness, backup): below the decision path
    "central.ops": (
        *CENTRAL_BASE,
        "transport",
        "central.models",
        "central.audit",
        "central.office",
        "central.migrations",
    ),
    "central.api": (
        *CENTRAL_BASE,
        "central.models",
        "central.audit",
        "central.office",
        "central.decisions",
        "central.ops",
    ),
    "central.console": (*CENTRAL_BASE, "central.models", "central.audit", "central.office", "central.api"),
    "central.app": (
        *CENTRAL_BASE,
        "transport",
        *(
            f"central.{room}"
            for room in ("models", "audit", "office", "decisions", "api", "console", "ops", "migrations")
        ),
    ),
}
ALLOWED["campusgate"] = (*ALLOWED, *PACKAGES)  # the command line wires everything
# what a migration revision may import: it is frozen, so nothing of the project (whose helpers
# change) and no library of the models (sqlmodel): the standard library, Alembic and SQLAlchemy
REVISION_IMPORTS = ("alembic", "sqlalchemy")


def room_of(module: str) -> str:
    """The room a dotted module name lives in (the longest key of ALLOWED that prefixes it)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in ALLOWED:
            return name
    raise KeyError(module)


def modules() -> dict[str, Path]:
    """Every project module by its dotted name."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path, *, top_level_only: bool) -> list[tuple[int, str]]:
    """(line, module) of every import of a project module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        if top_level_only and isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks count too
            found += imports_in(node.body)
    return [(line, m) for line, m in found if m.split(".")[0] in PACKAGES]


def imports_in(body: list[ast.stmt]) -> list[tuple[int, str]]:
    found = []
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
    return found


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module an imported name refers to (``from a import b``: module a.b, or a)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def test_every_import_goes_in_an_allowed_direction() -> None:
    known = modules()
    wrong: set[str] = set()
    for name, path in known.items():
        here = room_of(name)
        for line, target in imports(path, top_level_only=False):
            module = resolve(target, known)
            if module is None:
                continue
            there = room_of(module)
            if there != here and there not in ALLOWED[here]:
                wrong.add(f"{path.relative_to(ROOT)}:{line} {here} -> {there} ({module})")
    assert not wrong, "imports against docs/architecture.md:\n" + "\n".join(sorted(wrong))


def test_a_migration_revision_imports_nothing_that_changes() -> None:
    # a revision copies what it needs of the application (as 0005, 0006 and 0011 do), so that a later
    # change of a live helper cannot change what an old upgrade does
    wrong = []
    for path in sorted((ROOT / "central" / "migrations" / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in REVISION_IMPORTS and top not in sys.stdlib_module_names:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert wrong == []


def test_no_import_cycle() -> None:
    known = modules()
    graph = {
        name: {m for _, t in imports(path, top_level_only=True) if (m := resolve(t, known)) and m != name}
        for name, path in known.items()
    }
    # a package's own __init__ importing its submodules is how a package registers them, not a cycle
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_office_speaks_no_http_and_pages_call_no_route() -> None:
    known = modules()
    wrong = []
    for name, path in known.items():
        text = path.read_text(encoding="utf-8")
        if name.startswith(("central.office", "central.decisions", "central.audit", "central.models")):
            if "fastapi" in text or "HTTPException" in text or "starlette" in text:
                wrong.append(f"{name} speaks HTTP")
        if name.startswith("central.console"):
            for line, target in imports(path, top_level_only=False):
                if target.startswith("central.api.routes"):
                    wrong.append(f"{name}:{line} calls a route module ({target})")
    assert wrong == []


def test_no_module_is_a_crowd() -> None:
    # ~300 lines: a file that serves two stages is split (STYLE); a little slack for a docstring
    # (a migration revision is generated and frozen, not a module anyone grows)
    long = {
        str(p.relative_to(ROOT)): n
        for name, p in modules().items()
        if ".migrations.versions." not in name
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > 330
    }
    assert long == {}


def test_central_top_level_holds_only_the_bootstrap() -> None:
    top = {p.name for p in (ROOT / "central").iterdir() if p.suffix == ".py"}
    assert top <= {"__init__.py", "app.py", "settings.py"}


def test_a_wrong_import_is_caught() -> None:
    # the checker itself: an office module importing the API would be reported
    assert "central.api" not in ALLOWED[room_of("central.office.people")]
    assert room_of("central.console.web") == "central.console"
    assert "central.console" not in ALLOWED["central.api"]
