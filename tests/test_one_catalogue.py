"""Every word a person reads on central's side comes from one catalogue, ``central/office/catalogue``:
no console template or static file, and no string in a module of ``central`` or ``campusgate``
outside it, holds a Chinese character. Docstrings, comments and migrations are prose for developers,
not words anyone reads on a page, so they are not looked at; the few strings that keep Chinese for a
reason other than being words are listed below, each with its reason. The gate's side has its own
catalogues (a gate installs no central code): gatecore's reasons and words, and the gate agent's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from central.office.catalogue.pages import PAGES
from central.office.catalogue.words import LABELS

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "central" / "office" / "catalogue"
PAGE_FOLDERS = (ROOT / "central" / "console" / "templates", ROOT / "central" / "console" / "static")
# CJK ideographs (the unified block, extension A, compatibility ones, the supplementary planes); the
# full-width punctuation a Chinese sentence is joined with ("、", "：") is layout, not a word
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")

# (module, the top-level name a string sits under) -> why its Chinese is not the catalogue's
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("central/office/imports.py", "COLUMNS"): "the column headers an office's spreadsheet carries: "
    "a file format the importer reads (an old spelling must keep reading), not words it shows; the "
    "import page lists the first header of each column from here",
    ("central/office/imports.py", "CATEGORIES"): "the categories a spreadsheet's cells may hold "
    "(居民, 外教… beside the kinds' own names): input the importer accepts, not words it shows",
    ("central/office/nucleic.py", "COLUMNS"): "the column headers of a testing site's results file: "
    "a file format, as the people import's",
    ("central/office/nucleic.py", "RESULTS"): "the results a testing site's file writes (阴性, 阳性): "
    "input the importer accepts",
    ("central/models/base.py", "plate_checked"): "an example plate inside the English message "
    "(a plate begins with its province's character, 晋A12345); the catalogue's pattern matches it",
    ("central/demo/seed.py", "CAMPUSES"): "the demo's campus names: data the demo stores, not words",
    ("central/demo/seed.py", "GATES"): "the demo's gate names: data the demo stores",
    ("central/demo/seed.py", "SURNAMES"): "characters the demo draws its people's names from",
    ("central/demo/seed.py", "GIVEN"): "characters the demo draws its people's names from",
    ("central/demo/seed.py", "_others"): "who approved the demo's staff approvals: data, not words",
    ("campusgate/fleet_plan.py", "_register_gates"): "the simulated fleet's gate names: data the run stores",
    ("campusgate/fleet_plan.py", "_visitor_passes"): "the simulated visitors' names: data",
}


def _strings(tree: ast.Module) -> list[tuple[str, ast.Constant]]:
    """(top-level name, node) of every string constant that is not a docstring or a bare string
    statement (a comment in quotes)."""
    found = []
    for top in tree.body:
        owner = _name(top)
        prose = {
            id(n.value)
            for n in ast.walk(top)
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
        }
        for node in ast.walk(top):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
                found.append((owner, node))
    return found


def _name(statement: ast.stmt) -> str:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return statement.name
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    return ",".join(t.id for t in targets if isinstance(t, ast.Name)) or f"line {statement.lineno}"


def python_words() -> tuple[list[str], set[tuple[str, str]]]:
    """Chinese in strings outside the catalogue (``path:line owner 'text'``), and the exceptions met."""
    wrong, met = [], set()
    for package in ("central", "campusgate"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if CATALOGUE in path.parents or "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).as_posix()
            for owner, node in _strings(ast.parse(path.read_text(encoding="utf-8"))):
                if not CJK.search(node.value):
                    continue
                if (rel, owner) in EXCEPTIONS:
                    met.add((rel, owner))
                else:
                    wrong.append(f"{rel}:{node.lineno} {owner} {node.value[:60]!r}")
    return wrong, met


def page_words() -> list[str]:
    """Chinese in a console template or static file (``path:line text``)."""
    wrong = []
    for folder in PAGE_FOLDERS:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if CJK.search(line):
                    wrong.append(f"{path.relative_to(ROOT).as_posix()}:{n} {line.strip()[:80]}")
    return wrong


def test_no_template_or_static_file_holds_a_word_of_its_own() -> None:
    assert page_words() == [], "words outside the catalogue:\n" + "\n".join(page_words())


def test_no_module_outside_the_catalogue_holds_a_word_of_its_own() -> None:
    wrong, met = python_words()
    assert wrong == [], "words outside the catalogue:\n" + "\n".join(wrong)
    assert met == set(EXCEPTIONS), f"exceptions no longer needed: {sorted(set(EXCEPTIONS) - met)}"


def test_each_word_is_written_once_in_the_catalogue() -> None:
    # a word a page, a card and a report all say (a pass kind, 未登记 unregistered, 离线冲突 Offline
    # conflicts) is one entry the others refer to, so it cannot drift apart
    written: dict[tuple[str, str], list[str]] = {}
    for path in sorted(CATALOGUE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple) and len(node.elts) == 2:
                zh, en = (getattr(e, "value", None) for e in node.elts)
                if isinstance(zh, str) and isinstance(en, str) and CJK.search(zh):
                    written.setdefault((zh, en), []).append(f"{path.name}:{node.lineno}")
    twice = {words: places for words, places in written.items() if len(places) > 1}
    assert len(written) > 300
    assert twice == {}
    assert not LABELS.keys() & PAGES.keys()  # one WORDS: a page's key never hides a label


def test_the_checker_sees_a_word_and_skips_prose() -> None:
    tree = ast.parse('"""模块"""\nX = "门岗"\ndef f():\n    """说明"""\n    return f"{1}离线"\n')
    assert [(owner, n.value) for owner, n in _strings(tree) if CJK.search(n.value)] == [
        ("X", "门岗"),
        ("f", "离线"),
    ]
    assert not CJK.search("、：（）") and CJK.search("𠀀")


# the gate's side: the core's reasons and words, and the gate agent's own words (a gate installs no
# central code); the simulator's scripted visits carry a note each, the one table of them
GATE_CATALOGUES = {"gatecore/reasons.py", "gatecore/words.py", "gate_agent/words.py"}
GATE_EXCEPTIONS = {
    ("firmware_sim/scenario.py", "NOTES"): "the simulator's notes on its scripted visits, one table: "
    "words an integrator reads in the demo's output, of no use to a gate or central",
}


def test_the_gate_sides_words_come_from_its_catalogues() -> None:
    wrong, met = [], set()
    for package in ("gatecore", "gate_agent", "firmware_sim", "transport"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in GATE_CATALOGUES:
                continue
            for owner, node in _strings(ast.parse(path.read_text(encoding="utf-8"))):
                if CJK.search(node.value):
                    if (rel, owner) in GATE_EXCEPTIONS:
                        met.add((rel, owner))
                    else:
                        wrong.append(f"{rel}:{node.lineno} {owner} {node.value[:60]!r}")
    assert wrong == [], "words outside the catalogues:\n" + "\n".join(wrong)
    assert met == set(GATE_EXCEPTIONS)
