"""The layers run one way (docs/architecture.md): data → core → writers → jobs → faces.

Read from the source with the AST (every ``import`` anywhere in a module, lazy ones inside functions
included; only ``if TYPE_CHECKING:`` blocks are left out, they never run), so the test needs no
third-party tool and fails the moment a core module reaches for a workbook writer or a face, or an
import cycle appears.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "coverage_xl"

# What the core may never import: drawing workbooks, the faces' libraries.
FORBIDDEN_IN_CORE = ("coverage_xl.sheets", "coverage_xl.xlsm", "coverage_xl.jobs", "coverage_xl.cli",
                     "coverage_xl.excel", "openpyxl", "click", "rich", "xlwings")

# Every module belongs to one layer. A new module must be placed here (the test says so).
LAYERS: dict[str, tuple[str, ...]] = {
    "data": ("coverage_xl", "coverage_xl.layout", "coverage_xl.units", "coverage_xl.codes", "coverage_xl.errors",
             "coverage_xl.paths", "coverage_xl.counting"),
    "core": ("coverage_xl.read", "coverage_xl.idcard", "coverage_xl.values", "coverage_xl.mask",
             "coverage_xl.findings", "coverage_xl.rules", "coverage_xl.validate", "coverage_xl.survey",
             "coverage_xl.tables", "coverage_xl.precheck", "coverage_xl.consolidate", "coverage_xl.exports", "coverage_xl.dispatch",
             "coverage_xl.progress", "coverage_xl.history", "coverage_xl.estimate", "coverage_xl.guard", "coverage_xl.ownership", "coverage_xl.villages",
             "coverage_xl.ledger", "coverage_xl.doctor", "coverage_xl.spreadsheet_text"),
    "writers": ("coverage_xl.sheets", "coverage_xl.xlsm", "coverage_xl.report", "coverage_xl.notices.render", "coverage_xl.notices.docx_stream",
                "coverage_xl.notices.sandbox", "coverage_xl.notices.sms", "coverage_xl.notices.context",
                "coverage_xl.notices.make_templates"),
    "jobs": ("coverage_xl.jobs", "coverage_xl.master", "coverage_xl.addin", "coverage_xl.templates", "coverage_xl.prefill",
             "coverage_xl.followup", "coverage_xl.notices", "coverage_xl.synth", "coverage_xl.libreoffice"),
    "faces": ("coverage_xl.cli", "coverage_xl.excel"),
}
ORDER = tuple(LAYERS)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The layer of the longest matching prefix (``coverage_xl.notices.sms`` before ``coverage_xl.notices``)."""
    best, found = -1, None
    for layer, prefixes in LAYERS.items():
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best and not (p == "coverage_xl" and module != p):
                best, found = len(p), layer
    return found


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from coverage_xl.x import y`` gives
    ``coverage_xl.x`` and, when ``y`` is a submodule, ``coverage_xl.x.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = {f"{target}.{a.name}" for a in node.names}
            subs = {s for s in subs if (PACKAGE.parent / Path(*s.split("."))).with_suffix(".py").is_file()
                    or (PACKAGE.parent / Path(*s.split(".")) / "__init__.py").is_file()}
            found.update(subs)
            if len(subs) < len(node.names):  # names from the module itself, not only its submodules
                found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def graph() -> dict[str, set[str]]:
    """Internal import graph: module -> the package modules it imports."""
    modules = all_modules()
    return {m: {i for i in imports_of(p) if i in modules and i != m} for m, p in modules.items()}


def test_every_module_has_a_layer():
    """A new module fails here until it is placed in LAYERS above (and in docs/architecture.md)."""
    assert [m for m in all_modules() if layer_of(m) is None] == []


@pytest.mark.parametrize("module", [m for m in all_modules() if layer_of(m) == "core"])
def test_core_module_imports_no_writer_and_no_face(module):
    bad = sorted(i for i in imports_of(all_modules()[module])
                 if any(i == f or i.startswith(f + ".") for f in FORBIDDEN_IN_CORE))
    assert bad == []


def upward(g: dict[str, set[str]]) -> list[tuple[str, str, str, str]]:
    """Imports that go against the flow: (module, its layer, imported module, its layer)."""
    wrong = []
    for m, targets in g.items():
        for t in targets:
            if t != "coverage_xl" and ORDER.index(layer_of(t)) > ORDER.index(layer_of(m)):
                wrong.append((m, layer_of(m), t, layer_of(t)))
    return sorted(wrong)


def test_imports_run_one_way_from_data_to_faces():
    assert upward(graph()) == []


def test_an_upward_import_is_caught():
    g = graph()
    g["coverage_xl.dispatch"] = g["coverage_xl.dispatch"] | {"coverage_xl.sheets.history"}
    assert upward(g) == [("coverage_xl.dispatch", "core", "coverage_xl.sheets.history", "writers")]


def test_core_names_cells_like_openpyxl():
    from openpyxl.utils import get_column_letter

    from coverage_xl.layout import column_letter

    assert [column_letter(n) for n in range(1, 16385)] == [get_column_letter(n) for n in range(1, 16385)]


def find_cycle(g: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path [a, b, …, a], or [] (depth-first search, three colours)."""
    colour: dict[str, int] = dict.fromkeys(g, 0)
    stack: list[str] = []

    def dfs(n: str) -> list[str]:
        colour[n] = 1
        stack.append(n)
        for t in sorted(g[n]):
            if colour[t] == 1:
                return stack[stack.index(t):] + [t]
            if colour[t] == 0 and (c := dfs(t)):
                return c
        colour[n] = 2
        stack.pop()
        return []

    for n in sorted(g):
        if colour[n] == 0 and (c := dfs(n)):
            return c
    return []


def test_no_import_cycles():
    assert find_cycle(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    """The checks above can fail: the two cycles the issue names are found when put back."""
    g = graph()
    g["coverage_xl.consolidate"] = g["coverage_xl.consolidate"] | {"coverage_xl.sheets.annex4"}
    g["coverage_xl.sheets.annex4"] = g["coverage_xl.sheets.annex4"] | {"coverage_xl.consolidate"}
    assert find_cycle(g)[0] in ("coverage_xl.consolidate", "coverage_xl.sheets.annex4")


def test_imports_of_sees_lazy_imports(tmp_path):
    src = PACKAGE / "_layers_probe.py"
    assert not src.exists()
    try:
        src.write_text("def f():\n    from coverage_xl.sheets.annex4 import write_annex4\n    import openpyxl\n",
                       encoding="utf-8")
        assert {"coverage_xl.sheets.annex4", "openpyxl"} <= imports_of(src)
    finally:
        src.unlink()
