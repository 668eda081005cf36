"""Lists the names each TensorRT release's Python module exposes, from the bindings' source.

    python tools/trt_api_manifest.py --repo /work/.mirror/NVIDIA+TensorRT/repo \\
        [--tags 8.2.1 8.5.2 v8.6.1 v10.3.0 v10.16 v11.1] --out tests/engine/trt_manifests

TensorRT's Python module is pybind11 code in ``python/src/**`` of the TensorRT repository, plus
a small pure-Python ``tensorrt/__init__.py``. For every tag this reads that source straight from
a (bare) git repository and writes ``trt-<release>.json``: the names only, sorted, so the JSON
changes only where a release's API does. ``tests/engine/fake_tensorrt.py`` builds a stand-in
module from these files, so engine code that touches a name a release lacks fails its test.

What is read, and how (regular expressions over comment-free, preprocessed source):
- only the ``bind*(m)`` functions the ``PYBIND11_MODULE`` body reaches (a file whose bind
  function is not called exports nothing);
- ``#if``/``#ifdef`` as the full ``tensorrt`` module is built: ``EXPORT_ALL_BINDINGS`` is 1
  (0 builds the lean/dispatch runtimes), ``ENABLE_INETWORK_SERIALIZE`` is off (its CMake
  default), pybind11 is newer than 2.6, the platform is Linux;
- ``py::class_<T, Bases...>(scope, "Name")`` (also held in a variable, then ``var.def(...)``),
  ``py::enum_<T>(scope, "Name")`` with ``.value("M")`` and ``.export_values()`` (members copied
  into the enclosing scope), ``py::bind_vector<...>(m, "Name")``; a class or enum whose scope is
  a class is nested: ``ILogger.Severity``;
- on a class: ``.def`` (``py::init`` -> ``__init__``), ``.def_static``, ``.def_property*``,
  ``.def_readwrite``/``.def_readonly``; a name bound through ``utils::deprecate*`` is listed
  and also put in ``deprecated`` (``utils::deprecate*InTrtRtxOnly`` is a no-op in TensorRT);
- module level: ``m.def``, ``m.attr("x") = ...``, ``m.add_object``;
- from ``tensorrt/__init__.py`` (parsed with ``ast``): top-level functions, unconditional
  top-level names not ``del``-ed again, and attributes set on bound classes
  (``IHostMemory.__enter__ = ...``, ``Logger.Severity = ...``, the ``setattr`` loop copying
  ``ILogger.Severity`` members onto ``Logger``, ``DataType.itemsize = property(...)``).
Names bound in ``src/parsers/`` go under ``parsers`` (they live in the same ``tensorrt``
namespace: ``trt.OnnxParser``). ``--check`` exits 1 when a file under --out differs.
"""

import ast
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import fileio  # noqa: E402
from edge_segnet.errors import DataError  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_main  # noqa: E402

DEFAULT_TAGS = ("8.2.1", "8.5.2", "v8.6.1", "v10.3.0", "v10.16", "v11.1")

# Macros as the full `tensorrt` module is built (see the module docstring).
DEFINES = {"EXPORT_ALL_BINDINGS": 1, "ENABLE_INETWORK_SERIALIZE": 0,
           "PYBIND11_VERSION_MAJOR": 2, "PYBIND11_VERSION_MINOR": 13}

PY_INIT_CANDIDATES = ("python/packaging/bindings_wheel/tensorrt/__init__.py",
                      "python/packaging/tensorrt/__init__.py")
PY_PLACEHOLDERS = {"##TENSORRT_MODULE##": "tensorrt", "##TENSORRT_NVINFER_NAME##": "nvinfer"}

_STR = "__S{}__"
_STR_RE = re.compile(r"__S(\d+)__")
_IDENT = r"[A-Za-z_]\w*"


def release_of(tag):
    return tag[1:] if tag.startswith("v") else tag


# --------------------------------------------------------------------------- git


class GitTree(object):
    def __init__(self, git_dir, tag):
        self.git_dir, self.tag = git_dir, tag

    def _git(self, *args):
        result = subprocess.run(["git", "--git-dir", self.git_dir] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if result.returncode != 0:
            raise DataError("git {} failed: {}".format(
                " ".join(args), result.stderr.decode("utf-8", "replace").strip()))
        return result.stdout.decode("utf-8", "replace")

    def files(self, under):
        return self._git("ls-tree", "-r", "--name-only", self.tag, "--", under).split()

    def read(self, path):
        return self._git("show", "{}:{}".format(self.tag, path))


# --------------------------------------------------------------------------- C++ lexing


def lex(text):
    """Comments removed (newlines kept), each string literal replaced by ``__S<i>__``;
    returns (code, strings)."""
    out, strings, i, n = [], [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j) or " ")
            i = j
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    buf.append(text[j:j + 2])
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            out.append(_STR.format(len(strings)))
            strings.append("".join(buf))
            i = j + 1
        elif c == "'" and not (i > 0 and (text[i - 1].isalnum())):  # not a digit separator
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append("' '")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out), strings


def _eval_condition(expr):
    expr = re.sub(r"defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)",
                  lambda m: "1" if (m.group(1) or m.group(2)) in DEFINES else "0", expr)
    expr = re.sub(_IDENT, lambda m: str(DEFINES.get(m.group(0), 0)), expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    return bool(eval(expr, {"__builtins__": {}}, {}))


def preprocess(code):
    """Drops the lines of ``#if`` branches not taken; removes all directives."""
    out, stack = [], []  # stack of (taking, any_branch_taken)
    for line in code.split("\n"):
        m = re.match(r"\s*#\s*(\w+)\s*(.*)", line)
        if not m:
            out.append(line if all(t for t, _ in stack) else "")
            continue
        word, rest = m.group(1), m.group(2).strip()
        if word in ("if", "ifdef", "ifndef"):
            cond = (_eval_condition(rest) if word == "if" else
                    (rest in DEFINES) == (word == "ifdef"))
            stack.append((cond, cond))
        elif word == "elif":
            taking, done = stack.pop()
            cond = not done and _eval_condition(rest)
            stack.append((cond, done or cond))
        elif word == "else":
            taking, done = stack.pop()
            stack.append((not done, True))
        elif word == "endif":
            stack.pop()
        out.append("")
    return "\n".join(out)


_OPEN, _CLOSE = "([{", ")]}"


def match_close(code, i):
    """Index just past the bracket closing the one at ``code[i]``."""
    depth = 0
    for j in range(i, len(code)):
        c = code[j]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                return j + 1
    raise ValueError("unbalanced bracket at {}".format(i))


def match_angle(code, i):
    """Index just past the ``>`` closing the template ``<`` at ``code[i]``."""
    depth = 0
    for j in range(i, len(code)):
        c = code[j]
        if c in "<([":
            depth += 1
        elif c in ">)]":
            depth -= 1
            if depth == 0:
                return j + 1
    raise ValueError("unbalanced template at {}".format(i))


def split_args(text):
    """Top-level comma split (brackets and template angle brackets respected)."""
    parts, depth, start = [], 0, 0
    for j, c in enumerate(text):
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:j].strip())
            start = j + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def cpp_type(text):
    """``nvinfer1::ILogger`` -> ``ILogger``; ``std::unique_ptr<X>`` stays distinct."""
    text = re.sub(r"\s+", "", text)
    return text.split("::")[-1] if "<" not in text else text


def function_bodies(code):
    """{name: (module_param, body)} for ``void bind*(py::module& m) {...}`` and the
    ``PYBIND11_MODULE`` body (as ``"<module>"``)."""
    bodies = {}
    for m in re.finditer(r"\bvoid\s+(bind\w+)\s*\(\s*py::module_?\s*&\s*(\w+)\s*\)\s*\{", code):
        start = m.end() - 1
        bodies[m.group(1)] = (m.group(2), code[start:match_close(code, start)])
    m = re.search(r"\bPYBIND11_MODULE\s*\(\s*\w+\s*,\s*(\w+)\s*\)\s*\{", code)
    if m:
        start = m.end() - 1
        bodies["<module>"] = (m.group(1), code[start:match_close(code, start)])
    return bodies


# --------------------------------------------------------------------------- bindings


class Scope(object):
    """A class or enum being collected."""

    def __init__(self, kind, name, cpp, targs, in_parsers):
        self.kind, self.name, self.cpp, self.targs = kind, name, cpp, targs
        self.in_parsers = in_parsers
        self.methods, self.properties, self.static = set(), set(), set()
        self.attributes, self.deprecated, self.members = set(), set(), []
        self.enumerators = {}  # python member -> C++ enumerator (``kFP16``)
        self.export_values, self.buffer_protocol, self.arithmetic = False, False, False


def _is_deprecated(args):
    return re.search(r"utils::deprecate(Member)?\s*\(", args) is not None


class Collector(object):
    def __init__(self):
        self.scopes = {}  # full python name -> Scope
        self.order = []
        self.module = {False: {"functions": set(), "attributes": set()},
                       True: {"functions": set(), "attributes": set()}}
        self.warnings = []

    # A chain: `.name(args)` calls following position i.
    @staticmethod
    def _chain(code, i):
        calls = []
        while True:
            m = re.compile(r"\s*\.\s*(\w+)\s*\(").match(code, i)
            if not m:
                return calls, i
            open_at = m.end() - 1
            close = match_close(code, open_at)
            calls.append((m.group(1), code[open_at + 1:close - 1]))
            i = close

    def _apply(self, scope, calls, strings):
        for method, args in calls:
            parts = split_args(args)
            first = parts[0] if parts else ""
            sm = _STR_RE.match(first)
            name = strings[int(sm.group(1))] if sm and sm.group(0) == first else None
            if scope.kind == "enum":
                if method == "value" and name:
                    scope.members.append(name)
                    scope.enumerators[name] = parts[1].split("::")[-1] if len(parts) > 1 else None
                elif method == "export_values":
                    scope.export_values = True
                elif method.startswith("def") and name:
                    scope.attributes.add(name)
                continue
            if method == "def" and first.startswith("py::init"):
                scope.methods.add("__init__")
            elif method == "def_buffer":
                scope.buffer_protocol = True
            elif name is None:
                if method.startswith("def"):
                    self.warnings.append("{}.{}({}...) has no name".format(
                        scope.name, method, first[:40]))
                continue
            elif method == "def":
                scope.methods.add(name)
            elif method in ("def_static", "def_property_static", "def_property_readonly_static",
                            "def_readwrite_static", "def_readonly_static"):
                scope.static.add(name)
            elif method in ("def_property", "def_property_readonly", "def_readwrite",
                            "def_readonly"):
                scope.properties.add(name)
            else:
                self.warnings.append("{}: unknown chained call .{}".format(scope.name, method))
                continue
            if name and _is_deprecated(args):
                scope.deprecated.add(name)

    def collect(self, module_var, body, strings, in_parsers):
        consumed = []
        variables = {}  # C++ variable -> Scope
        decl = re.compile(r"\bpy::(class_|enum_|bind_vector)\s*<")
        for m in decl.finditer(body):
            kind = m.group(1)
            tend = match_angle(body, m.end() - 1)
            targs = split_args(body[m.end():tend - 1])
            rest = body[tend:]
            vm = re.match(r"\s*(" + _IDENT + r")\s*[({]", rest)
            var = None
            if vm:
                var = vm.group(1)
                open_at = tend + vm.end() - 1
            else:
                om = re.match(r"\s*\(", rest)
                if not om:
                    continue  # a type named in a declaration or template argument
                open_at = tend + om.end() - 1
            close = match_close(body, open_at)
            ctor = split_args(body[open_at + 1:close - 1])
            if len(ctor) < 2 or not _STR_RE.match(ctor[1]):
                continue
            parent_name = ctor[0]
            parent = variables.get(parent_name)
            if parent is None and parent_name != module_var:
                self.warnings.append("{} declared in unknown scope {}".format(ctor[1],
                                                                              parent_name))
                continue
            py_name = strings[int(_STR_RE.match(ctor[1]).group(1))]
            full = "{}.{}".format(parent.name, py_name) if parent else py_name
            scope = self.scopes.get(full)
            if scope is None:
                scope = Scope({"class_": "class", "enum_": "enum",
                               "bind_vector": "vector"}[kind],
                              full, cpp_type(targs[0]), targs, in_parsers)
                self.scopes[full] = scope
                self.order.append(full)
            if parent:
                parent.attributes.add(py_name)
            if any(re.match(r"py::arithmetic\s*\(", arg) for arg in ctor[2:]):
                scope.arithmetic = True
            if var:
                variables[var] = scope
            calls, end = self._chain(body, close)
            self._apply(scope, calls, strings)
            consumed.append((m.start(), end))
            if scope.export_values:
                target = parent.attributes if parent else self.module[in_parsers]["attributes"]
                target.update(scope.members)
        for var, scope in variables.items():
            for m in re.finditer(r"(?<![\w.])" + re.escape(var) + r"(?=\s*\.\s*\w+\s*\()", body):
                calls, end = self._chain(body, m.end())
                self._apply(scope, calls, strings)
                consumed.append((m.start(), end))
        mod = self.module[in_parsers]
        mv = re.escape(module_var)
        module_call = r"(?<![\w.])" + mv + r"\s*\.\s*(def|attr|add_object)\s*\(\s*__S(\d+)__"
        for m in re.finditer(module_call, body):
            name = strings[int(m.group(2))]
            if m.group(1) == "def":
                mod["functions"].add(name)
            elif m.group(1) == "add_object":
                mod["attributes"].add(name)
            else:
                close = match_close(body, body.index("(", m.start()))
                if re.match(r"\s*=(?!=)", body[close:]):
                    mod["attributes"].add(name)
            consumed.append((m.start(), m.end()))
        for m in re.finditer(r"\.\s*def\w*\s*\(", body):
            if not any(a <= m.start() < b for a, b in consumed):
                line = body[:m.start()].count("\n")
                self.warnings.append("unattached {} (body line {})".format(m.group(0), line))


def bindings(tree, collector):
    files = [p for p in tree.files("python/src") if p.endswith(".cpp")]
    functions = {}  # bind name -> (module_var, body, strings, in_parsers)
    for path in files:
        code, strings = lex(tree.read(path))
        code = preprocess(code)
        for name, (var, body) in function_bodies(code).items():
            functions[name] = (var, body, strings, "/parsers/" in path)
    reached, todo = [], ["<module>"]
    while todo:
        name = todo.pop(0)
        if name in reached or name not in functions:
            if name not in functions:
                collector.warnings.append("bind function {} not found".format(name))
            continue
        reached.append(name)
        var, body, strings, in_parsers = functions[name]
        collector.collect(var, body, strings, in_parsers)
        todo.extend(re.findall(r"\b(bind\w+)\s*\(\s*" + re.escape(var) + r"\s*\)\s*;", body))
    return reached


# --------------------------------------------------------------------------- __init__.py


def _const_true(test):
    """Evaluates a test made only of string constants (placeholders substituted)."""
    for node in ast.walk(test):
        if not isinstance(node, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Eq, ast.NotEq,
                                 ast.And, ast.Or, ast.Not, ast.Load, ast.expr_context)) and \
                type(node).__name__ not in ("Str", "Constant"):
            return None
    return bool(eval(compile(ast.Expression(test), "<test>", "eval"), {"__builtins__": {}}))


def python_init(tree, collector):
    available = set(tree.files("python/packaging"))
    path = next((p for p in PY_INIT_CANDIDATES if p in available), None)
    if path is None:
        collector.warnings.append("no tensorrt/__init__.py")
        return None
    source = tree.read(path)
    for key, value in PY_PLACEHOLDERS.items():
        source = source.replace(key, value)
    source = re.sub(r"##\w+##", "0", source)
    module = collector.module[False]
    functions, names = set(), set()

    def visit(statements):
        for node in statements:
            if isinstance(node, ast.FunctionDef):
                functions.add(node.name)
            elif isinstance(node, ast.If):
                verdict = _const_true(node.test)
                if verdict is not None:
                    visit(node.body if verdict else node.orelse)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        functions.discard(target.id)
                        names.discard(target.id)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        set_on(target.value.id, target.attr, node.value)
            elif isinstance(node, ast.For):
                copy_members(node)

    def set_on(owner, attr, value):
        scope = collector.scopes.get(owner)
        if scope is None:
            collector.warnings.append("__init__.py sets {}.{} on an unknown name".format(
                owner, attr))
            return
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "property":
            scope.properties.add(attr) if scope.kind == "class" else scope.attributes.add(attr)
        elif isinstance(value, ast.Lambda) or (isinstance(value, ast.Name) and
                                               value.id in functions):
            scope.methods.add(attr) if scope.kind == "class" else scope.attributes.add(attr)
        else:
            scope.attributes.add(attr)

    def copy_members(node):
        # for attr, value in A.B.__members__.items(): setattr(C, attr, value)
        it = node.iter
        try:
            owner = it.func.value
            assert it.func.attr == "items" and owner.attr == "__members__"
            enum_name = "{}.{}".format(owner.value.value.id, owner.value.attr)
        except (AttributeError, AssertionError):
            return
        for stmt in node.body:
            call = getattr(stmt, "value", None)
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "setattr":
                target = collector.scopes.get(call.args[0].id)
                enum = collector.scopes.get(enum_name)
                if target is not None and enum is not None:
                    target.attributes.update(enum.members)

    visit(ast.parse(source).body)
    module["functions"].update(functions)
    module["attributes"].update(names)
    return path


# --------------------------------------------------------------------------- headers


def _enum_value(expr, known):
    expr = re.sub(r"static_cast\s*<[^>]*>", "", expr)
    expr = re.sub(r"\b(\d+)[uUlL]+\b", r"\1", expr)
    expr = re.sub(_IDENT, lambda m: str(known[m.group(0)]) if m.group(0) in known else
                  m.group(0), expr)
    if not re.match(r"^[\d\s()<>|&~+\-*xXa-fA-F]+$", expr):
        return None
    try:
        return int(eval(expr, {"__builtins__": {}}, {}))
    except Exception:
        return None


def header_enums(tree, paths):
    """{C++ enum name: {enumerator: int or None}} from ``enum [class] Name [: type] {...}``."""
    enums, constants, codes = {}, {}, [lex(tree.read(path))[0] for path in paths]
    for code in codes:  # `constexpr int32_t kPLUGIN_VERSION_PYTHON_BIT{0x40};` and the like
        for m in re.finditer(r"\bconstexpr\s+[\w:]+\s+(\w+)\s*(?:=|\{)\s*([^;{}]+)", code):
            value = _enum_value(m.group(2), constants)
            if value is not None:
                constants.setdefault(m.group(1), value)
    for code in codes:
        for m in re.finditer(r"\benum\s+(?:class\s+)?(\w+)\s*(?::\s*[\w:]+)?\s*\{([^}]*)\}",
                             code):
            values, nxt = {}, 0
            known = dict(constants)
            for item in m.group(2).split(","):
                im = re.match(r"\s*(" + _IDENT + r")(?:\s+[A-Z_][A-Z0-9_]*)*\s*(?:=\s*(.+))?$",
                              item.strip(), re.S)
                if not im:
                    continue
                value = _enum_value(im.group(2), known) if im.group(2) else nxt
                values[im.group(1)] = known[im.group(1)] = value
                nxt = value + 1 if value is not None else None
            enums.setdefault(m.group(1), values)
    return enums


def header_version(tree):
    text = tree.read("include/NvInferVersion.h")
    defines = dict(re.findall(r"#define\s+(\w+)\s+(\w+)", text))

    def value(name):
        seen = 0
        while name in defines and seen < 5:
            name, seen = defines[name], seen + 1
        return name
    return ".".join(value("NV_TENSORRT_" + part) for part in ("MAJOR", "MINOR", "PATCH", "BUILD"))


def enum_values(scope, enums_core, enums_parsers):
    """Each member's C++ value where the header is in the repository (8.2's parser headers are
    in a git submodule: its parser enums fall back to their position in the binding)."""
    cpp = scope.cpp.split("::")[-1]
    tables = [enums_parsers, enums_core] if scope.in_parsers else [enums_core]
    table = next((t[cpp] for t in tables if cpp in t), None)
    values = {member: (table or {}).get(scope.enumerators.get(member))
              for member in scope.members}
    if any(value is None for value in values.values()):
        return {member: position for position, member in enumerate(scope.members)}, "binding"
    return values, "header"


# --------------------------------------------------------------------------- manifest


def build_manifest(git_dir, tag):
    tree = GitTree(git_dir, tag)
    collector = Collector()
    reached = bindings(tree, collector)
    init_path = python_init(tree, collector)
    headers = [p for p in tree.files("include") if p.endswith(".h")]
    parser_headers = [p for p in headers if re.search(r"Nv(Onnx|Uff|Caffe)Parser", p)]
    enums_core = header_enums(tree, [p for p in headers if p not in parser_headers])
    enums_parsers = header_enums(tree, parser_headers)
    cpp2py = {}
    for name in collector.order:
        cpp2py.setdefault(collector.scopes[name].cpp, name)

    def section(in_parsers):
        classes, enums, enum_attrs, values, by_position, arithmetic = {}, {}, {}, {}, [], []
        for name in sorted(collector.scopes):
            scope = collector.scopes[name]
            if scope.in_parsers != in_parsers:
                continue
            if scope.kind == "enum":
                enums[name] = sorted(set(scope.members))
                values[name], source = enum_values(scope, enums_core, enums_parsers)
                if source != "header":
                    by_position.append(name)
                if scope.arithmetic:
                    arithmetic.append(name)
                if scope.attributes:
                    enum_attrs[name] = sorted(scope.attributes)
                continue
            bases = [cpp2py[cpp_type(t)] for t in scope.targs[1:]
                     if cpp_type(t) in cpp2py and cpp2py[cpp_type(t)] != name]
            entry = {"bases": bases, "methods": sorted(scope.methods),
                     "properties": sorted(scope.properties), "static": sorted(scope.static),
                     "attributes": sorted(scope.attributes),
                     "deprecated": sorted(scope.deprecated)}
            if scope.kind == "vector":
                entry["kind"] = "bind_vector"
            if scope.buffer_protocol:
                entry["buffer_protocol"] = True
            classes[name] = entry
        mod = collector.module[in_parsers]
        return {"functions": sorted(mod["functions"]), "attributes": sorted(mod["attributes"]),
                "classes": classes, "enums": enums, "enum_attributes": enum_attrs,
                "enum_values": values, "enum_values_by_position": by_position,
                "arithmetic_enums": arithmetic}

    core, parsers = section(False), section(True)
    manifest = {
        "release": release_of(tag),
        "tag": tag,
        "version": header_version(tree),
        "source": {"bind_functions": sorted(reached), "python_init": init_path},
        "module": {"functions": core["functions"], "attributes": core["attributes"]},
        "classes": core["classes"],
        "enums": core["enums"],
        "enum_attributes": core["enum_attributes"],
        "enum_values": core["enum_values"],
        "enum_values_by_position": core["enum_values_by_position"],
        "arithmetic_enums": core["arithmetic_enums"],
        "parsers": parsers,
    }
    return manifest, collector.warnings


def dumps(manifest):
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"


def manifest_path(out_dir, tag):
    return os.path.join(out_dir, "trt-{}.json".format(release_of(tag)))


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", required=True, help="TensorRT git directory (bare is fine)")
    parser.add_argument("--tags", nargs="+", default=list(DEFAULT_TAGS))
    parser.add_argument("--out", required=True, help="folder for trt-<release>.json")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file under --out differs")
    parser.add_argument("--verbose", action="store_true", help="print parse warnings")
    args = parser.parse_args(argv)
    _check_tags(parser, args.repo, args.tags)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error("--out {} is not a folder".format(args.out))
    stale, written = [], []
    for tag in args.tags:
        manifest, warnings = build_manifest(args.repo, tag)
        text = dumps(manifest)
        path = manifest_path(args.out, tag)
        if args.verbose:
            for warning in warnings:
                print("{}: warning: {}".format(tag, warning), file=sys.stderr)
        if args.check:
            try:
                with open(path) as handle:
                    same = handle.read() == text
            except IOError:
                same = False
            if not same:
                stale.append(path)
            continue
        written.append((path, text.encode("utf-8"), "the manifest"))
        print("{}: {} classes, {} enums -> {}".format(
            tag, len(manifest["classes"]) + len(manifest["parsers"]["classes"]),
            len(manifest["enums"]) + len(manifest["parsers"]["enums"]), path))
    if written:
        os.makedirs(args.out, exist_ok=True)
        fileio.write_files_atomic(written)  # every release's file, or none
    if stale:
        print("out of date: {}".format(", ".join(stale)), file=sys.stderr)
        return 1
    return 0


def _check_tags(parser, repo, tags):
    for tag in tags:
        if subprocess.run(["git", "--git-dir", repo, "rev-parse", "--verify", "--quiet",
                           tag + "^{commit}"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            parser.error("--repo {} has no tag {} (give a git directory of NVIDIA/TensorRT, "
                         "fetched with its tags)".format(repo, tag))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
