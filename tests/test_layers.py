"""The package's layers only look down (docs/ARCHITECTURE.md): every import of the package's
own modules, at the top of a module or inside a function, goes to a lower layer or stays in
its own room. A cycle would then fail at import time instead of hiding in a function."""

import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "edge_segnet")

# Bottom to top. A room is a top-level module or sub-package of edge_segnet; rooms in one
# layer do not import each other (sideways), only rooms of lower layers.
LAYERS = (
    ("edge_segnet", "errors", "signals"),
    ("optional", "fileio", "sizes", "labelmaps", "progress"),
    ("inputs", "graph", "viz"),
    ("models", "trt_facts"),
    ("data", "platform"),
    ("prepare", "video"),
    ("engine",),
    ("runtime",),
    ("profile", "eval"),
    ("checks", "live", "train", "quant"),
    ("cli",),
    ("__main__",),
)
LAYER_OF = {room: index for index, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module):
    """``edge_segnet.graph.fold`` -> ``graph``; the package itself -> ``edge_segnet``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_modules(root=PACKAGE):
    """{module name: file path} of every module of the package."""
    modules = {}
    base = os.path.dirname(root)
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, base)[:-3].replace(os.sep, ".")
                if module.endswith(".__init__"):
                    module = module[:-len(".__init__")]
                modules[module] = path
    return modules


def imports_of(module, path, modules):
    """(line, imported module, at top level) for each of the package's own imports."""
    tree = ast.parse(open(path).read(), path)
    top = {id(node) for node in tree.body}
    package = module if path.endswith("__init__.py") else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                candidate = base + "." + alias.name
                targets.append(candidate if candidate in modules else base)
        for target in targets:
            if target == "edge_segnet" or target.startswith("edge_segnet."):
                found.append((node.lineno, target, id(node) in top))
    return found


def violations(root=PACKAGE):
    modules = package_modules(root)
    problems = []
    for module, path in sorted(modules.items()):
        source = room_of(module)
        if source not in LAYER_OF:
            problems.append("{}: room {!r} has no layer in tests/test_layers.py".format(
                path, source))
            continue
        for line, target, _ in imports_of(module, path, modules):
            room = room_of(target)
            if room == source:
                continue
            if room not in LAYER_OF:
                problems.append("{}:{}: imports {} (room {!r} has no layer)".format(
                    path, line, target, room))
            elif LAYER_OF[room] >= LAYER_OF[source]:
                problems.append("{}:{}: {} (layer {}) imports {} (layer {}): {}".format(
                    os.path.relpath(path, os.path.dirname(root)), line, source,
                    LAYER_OF[source], room, LAYER_OF[room],
                    "sideways" if LAYER_OF[room] == LAYER_OF[source] else "upwards"))
    return problems


def test_every_import_of_the_package_looks_down():
    assert violations() == []


def test_the_packages_own_imports_sit_at_module_top_where_the_layers_allow():
    """Imports inside functions hide cycles; only cli and __main__ (commands load on demand, so
    `edge-segnet --help` stays fast) keeps some."""
    modules = package_modules()
    inner = ["{}:{} {}".format(module, line, target)
             for module, path in sorted(modules.items())
             if room_of(module) not in ("cli", "__main__")
             for line, target, at_top in imports_of(module, path, modules) if not at_top]
    assert inner == []


def test_the_layer_check_catches_a_planted_upward_import(tmp_path):
    import shutil

    copy = str(tmp_path / "edge_segnet")
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.onnx", "__pycache__"))
    with open(os.path.join(copy, "graph", "fold.py"), "a") as handle:
        handle.write("\n\ndef _planted():\n    from edge_segnet.runtime import open_segmenter\n"
                     "    return open_segmenter\n")
    found = violations(copy)
    assert len(found) == 1 and "graph (layer 2) imports runtime (layer 7): upwards" in found[0]


@pytest.mark.parametrize("room", sorted(LAYER_OF))
def test_every_room_named_in_the_layers_exists(room):
    modules = package_modules()
    assert room == "edge_segnet" or any(room_of(module) == room for module in modules)
