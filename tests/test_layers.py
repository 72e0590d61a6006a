"""The layer rule (DESIGN.md): a module imports only from its own layer or lower ones, and nothing imports experiments.

Layers, lowest first. The registry, the zoo and the other core modules import nothing above them, so
every method can register itself from its own folder and every model can load its weights by name.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "jpegtutor"
LAYERS = [
    {"__init__", "registry", "runtime", "resources", "image", "files", "checks", "zoo", "datasets"},
    {"jpeg"},
    {"diff", "metrics"},
    {"rate", "eval"},
    {"train"},
    {"editors", "tables", "neuralop"},
    {"cli", "experiments", "book", "classroom", "viz", "widgets"},
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _top(module: str) -> str:
    """``jpegtutor.jpeg.codec`` -> ``jpeg``; ``jpegtutor`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path):
    """Every jpegtutor module ``path`` imports, as dotted names (relative imports resolved)."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("jpegtutor"):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("jpegtutor"):
                continue
            if node.module is None or module == "jpegtutor":  # from .. import zoo, registry
                for alias in node.names:
                    yield f"{module}.{alias.name}", node.lineno
            else:
                yield module, node.lineno


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_top_level_module_has_a_layer():
    names = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _modules()}
    assert names - set(LEVEL) == set(), "give each new module a layer in tests/test_layers.py and DESIGN.md"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = _top(".".join(("jpegtutor",) + path.relative_to(PACKAGE).with_suffix("").parts))
    if path.name == "__init__.py" and path.parent == PACKAGE:
        own = "__init__"
    bad = []
    for module, line in _imports(path):
        target = _top(module)
        if target not in LEVEL:
            continue
        if target == "experiments" and own != "experiments":
            bad.append(f"line {line}: imports {module} (nothing imports the experiments)")
        elif LEVEL[target] > LEVEL[own]:
            bad.append(f"line {line}: imports {module} (layer {LEVEL[target]}) from layer {LEVEL[own]}")
    assert not bad, f"{path.relative_to(PACKAGE)}: " + "; ".join(bad)


def test_the_registry_imports_nothing_of_the_package():
    assert list(_imports(PACKAGE / "registry.py")) == []


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The rule can fail: a metrics module that imports the editors is caught."""
    fake = PACKAGE / "metrics" / "_layer_probe.py"
    fake.write_text("from ..editors import talebi\n")
    try:
        with pytest.raises(AssertionError, match="imports jpegtutor.editors"):
            test_no_module_imports_a_higher_layer(fake)
    finally:
        fake.unlink()
