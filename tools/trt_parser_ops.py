#!/usr/bin/env python3
"""Regenerate ``edge_segnet/trt_facts/parser_ops.json`` from a git mirror of the public
ONNX-TensorRT parser (github.com/onnx/onnx-tensorrt).

    python3 tools/trt_parser_ops.py --repo /work/.mirror/onnx+onnx-tensorrt/repo \\
        --out edge_segnet/trt_facts/parser_ops.json

For each parser release line it reads ``docs/operators.md`` (the operator support matrix: op,
Y/N, supported types, restrictions; the opset range in the text above it) and a few facts the
importers enforce that the table does not state (how INT64 and UINT8 tensors are taken, the Pad
modes, ops a plugin cannot stand in for, ...). Where the importers contradict the table (Conv
weights from a DequantizeLinear, 1-D convolution and pooling, pooling dilations, the Q/DQ zero
point, cubic Resize: ``importer_corrections``), the row is rewritten from the importer, its own
text kept as ``docs_restrictions`` and the change noted, with where it was read, in
``importer_corrections``. Nothing of the parser's text or code is copied beyond the table
cells; the output is our own JSON, deterministic and sorted.

Release lines: 8.2, 8.4, 8.5, 8.6 (JetPack 4.6 to 6.0), 9.0 (no Jetson release; 9.1-9.3 use its
table), and every 10.x+ release branch in the mirror. ``main`` becomes a line only when its
version is newer than every release branch.
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import fileio  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_main  # noqa: E402

SCHEMA = 1
SOURCE = "github.com/onnx/onnx-tensorrt"
# Before 10 only these minors get a table: 8.3 had no parser release, 9.x never shipped in a
# JetPack and its four branches agree on every op SegNet graphs use.
OLD_LINES = ((8, 2), (8, 4), (8, 5), (8, 6), (9, 0))
NEW_LINES_FROM = (10, 0)

# Table cells that are typos in some release's table, read as meant.
TYPE_FIXES = {"INF64": "INT64"}

_BRANCH = re.compile(r"^(\d+)\.(\d+)(-GA)?$")


def git(repo, *args):
    return subprocess.check_output(["git", "--git-dir", repo] + list(args)).decode("utf-8")


def git_show(repo, ref, path):
    try:
        return subprocess.check_output(["git", "--git-dir", repo, "show",
                                        "{}:{}".format(ref, path)],
                                       stderr=subprocess.DEVNULL).decode("utf-8", "replace")
    except subprocess.CalledProcessError:
        return None


def sources(repo, ref, suffixes=(".cpp", ".hpp")):
    """{path: text} of the parser's own top-level C++ sources at ``ref``."""
    names = git(repo, "ls-tree", "--name-only", ref).split()
    return {name: git_show(repo, ref, name) for name in sorted(names)
            if name.endswith(suffixes)}


def parser_version(repo, ref):
    text = git_show(repo, ref, "CMakeLists.txt") or ""
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        match = re.search(r"set\(ONNX2TRT_{}\s+(\d+)\)".format(part), text)
        if not match:
            return None
        parts.append(int(match.group(1)))
    return tuple(parts)


def release_branches(repo):
    """{(major, minor): branch} for the release branches, "-GA" preferred."""
    found = {}
    for line in git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split():
        match = _BRANCH.match(line)
        if not match:
            continue
        key = (int(match.group(1)), int(match.group(2)))
        if key not in found or match.group(3):
            found[key] = line
    return found


def choose_lines(repo):
    """[(line name, ref)] in version order, with the reason main is or is not used."""
    branches = release_branches(repo)
    chosen = [(key, branches[key]) for key in sorted(branches)
              if key in OLD_LINES or key >= NEW_LINES_FROM]
    main_version = parser_version(repo, "main")
    newest = max(parser_version(repo, ref) or (0, 0, 0) for _, ref in chosen)
    main = {"commit": git(repo, "rev-parse", "main").strip(),
            "date": git(repo, "log", "-1", "--format=%cd", "--date=short", "main").strip(),
            "version": ".".join(str(v) for v in main_version) if main_version else None}
    if main_version and main_version > newest and tuple(main_version[:2]) not in branches:
        chosen.append((tuple(main_version[:2]), "main"))
        main["used"] = True
        main["why"] = "newer than every release branch"
    else:
        main["used"] = False
        main["why"] = "main is parser {}, not newer than the newest release branch ({})".format(
            main["version"], ".".join(str(v) for v in newest))
    return chosen, main


# --- docs/operators.md -------------------------------------------------------------------------

def parse_table(text):
    """{op: {"supported", "types", "restrictions"}} from the support matrix, plus the fixes
    applied to cells."""
    ops, fixes = {}, []
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        cells += [""] * (4 - len(cells))
        name, supported, types, restrictions = cells[0], cells[1], cells[2], "|".join(cells[3:])
        if not name or name == "Operator" or set(name) <= {"-", ":"}:
            continue
        tokens = []
        for token in (t.strip() for t in types.split(",")):
            if not token:
                continue
            if token in TYPE_FIXES:
                fixes.append("{}: type {!r} read as {}".format(name, token, TYPE_FIXES[token]))
                token = TYPE_FIXES[token]
            tokens.append(token)
        ops[name] = {"supported": supported, "types": sorted(set(tokens)),
                     "restrictions": re.sub(r"\s+", " ", restrictions.strip().strip("|")).strip()}
    return ops, fixes


def parse_header(text):
    """Opset range and the ONNX data types stated above the table."""
    facts = {}
    match = re.search(r"inclusive range of opset (\d+) to opset (\d+)", text)
    if match:
        facts["min"], facts["max"] = int(match.group(1)), int(match.group(2))
        facts["stated"] = match.group(0)
    else:
        match = re.search(r"operators up to Opset (\d+)", text, re.IGNORECASE)
        if match:
            facts["max"] = int(match.group(1))
            facts["stated"] = match.group(0)
    types = re.search(r"supports the following ONNX data types: ([^\n]+)", text)
    data_types = []
    if types:
        data_types = [t.strip() for t in re.split(r",|\band\b", types.group(1).rstrip(". "))
                      if t.strip()]
    return facts, data_types


# --- importer facts ----------------------------------------------------------------------------

def _importer_body(code, op):
    """The body of ``op``'s importer in any of the files (the DEFINE_... macro to the next)."""
    for text in code.values():
        match = re.search(r"DEFINE_BUILTIN_OP_IMPORTER\({}\)(.*?)(?=\nDEFINE_|\Z)".format(op),
                          text, re.S)
        if match:
            return match.group(1)
    return ""


def _located_importer(code, op):
    """(file, body) of ``op``'s importer, or (None, "")."""
    for name in sorted(code):
        match = re.search(r"DEFINE_BUILTIN_OP_IMPORTER\({}\)(.*?)(?=\nDEFINE_|\Z)".format(op),
                          code[name], re.S)
        if match:
            return name, match.group(1)
    return None, ""


def _located_helper(code, function):
    """(file, body) of the definition of a helper the importers call (a definition starts a
    line and opens a brace before any semicolon; it ends at the next closing brace that starts
    a line), or (None, "")."""
    for name in sorted(code):
        if not name.endswith(".cpp"):
            continue
        match = re.search(r"\n\w[\w:<>* ]*\b{}\(([^;{{]*?)\)\s*\{{(.*?)\n\}}".format(function),
                          code[name], re.S)
        if match:
            return name, match.group(2)
    return None, ""


def _flat(text):
    return re.sub(r"\s+", " ", text)


# Where docs/operators.md and the importers disagree, the importers are what the parser does.
# Each fact below is read from the importer's source of every release line (so it follows the
# code, not a table edited by hand) and is cited in the generated JSON with the branch, the
# file and the function it was read from. What they say, in our words:
#
# Conv: from 8.2-GA on, builtin_op_importers.cpp's Conv importer sends a node whose weights are
#   a tensor (a DequantizeLinear's output in a Q/DQ model) to convMultiInput (onnx2trt_utils.cpp,
#   from 10.0 importerUtils.cpp), which sets that tensor as the convolution's kernel input;
#   operators.md's "Weights `W` must be an initializer" of 8.2 and 8.4 is contradicted. On 8.2
#   and 8.4 the same importer asserts that a bias given with tensor weights is an initializer
#   (and its weights path asserts the same); from 8.5 a tensor bias also goes to convMultiInput.
# ConvTranspose: from 8.2-GA on its importer takes a tensor kernel (kernelTensorPtr) beside
#   initializer weights; 8.2 and 8.4 assert the bias is an initializer, 8.5 on take a tensor
#   bias (biasTensorPtr).
# Conv, ConvTranspose and pooling: every release's importers expand a 3-D (N, C, W) input to
#   4-D and back (needToExpandDims in the Conv importer, convMultiInput and poolingHelper; the
#   ConvTranspose importer asserts rank 3 to 5): 1D, not only 2D or 3D, is taken.
# MaxPool/AveragePool dilations: 8.2-GA to 9.0-GA's poolingHelper asserts every dilation is 1
#   (read from opset 10 on), which 8.x's and 9.0's operators.md do not say; 10.x's passes no
#   dilations to getKernelParams, so they are ignored (its table's restriction stands).
# QuantizeLinear/DequantizeLinear: 8.2-GA to 8.5-GA's QuantDequantLinearHelper asserts three
#   inputs (the zero point given); 8.6-GA asserts it for INT8; from 9.0 two suffice. Every
#   release asserts an initializer zero point is all zeros (as the table says) and an
#   initializer scale all positive (which it does not say; parser_ops checks both).
# Resize: from 8.5-GA the importer maps mode "cubic" to a cubic resize (8.2 and 8.4 assert it
#   away), though every table lists only nearest and linear; 8.2-GA's asserts that `scales` is
#   an initializer when no `sizes` input is given (8.4 on take a tensor).
def importer_corrections(code):
    """{fact: (value, [(file, function), ...])} of the facts above, read from ``code``."""
    facts = {}
    conv_file, conv = _located_importer(code, "Conv")
    conv = _flat(conv)
    multi_file, multi = _located_helper(code, "convMultiInput")
    conv_at = [(conv_file, "Conv importer")]
    facts["conv_tensor_weights"] = ("inputs.at(1).is_tensor()" in conv and
                                    "convMultiInput(" in conv and bool(multi),
                                    conv_at + [(multi_file, "convMultiInput")])
    facts["conv_tensor_bias"] = ("inputs.at(2).is_tensor()" in conv, conv_at)
    facts["conv_1d"] = ("nbDims == 3" in conv and "nbDims == 3" in _flat(multi),
                        conv_at + [(multi_file, "convMultiInput")])
    deconv_file, deconv = _located_importer(code, "ConvTranspose")
    deconv = _flat(deconv)
    deconv_at = [(deconv_file, "ConvTranspose importer")]
    facts["deconv_tensor_weights"] = ("kernelTensorPtr = inputs.at(1).is_tensor()" in deconv,
                                      deconv_at)
    facts["deconv_tensor_bias"] = ("biasTensorPtr" in deconv and
                                   "inputs.at(2).is_tensor()" in deconv, deconv_at)
    facts["deconv_1d"] = (bool(re.search(r"dims\.nbDims >= 3 && dims\.nbDims <= 5", deconv)),
                          deconv_at)
    pool_file, pool = _located_helper(code, "poolingHelper")
    pool = _flat(pool)
    pool_at = [(pool_file, "poolingHelper")]
    facts["pool_1d"] = ("needToExpandDims = (dims.nbDims == 3)" in pool, pool_at)
    facts["pool_dilations"] = ("rejected" if "dilations other than 1" in pool else "ignored",
                               pool_at)
    qdq_file, qdq = _located_helper(code, "QuantDequantLinearHelper")
    qdq = _flat(qdq)
    if "requires 3 inputs for the DequantizeLinear" in qdq:
        required = "always"
    elif "requires 3 inputs for the INT8" in qdq:
        required = "int8"
    else:
        required = None
    facts["qdq_zero_point_required"] = (required, [(qdq_file, "QuantDequantLinearHelper")])
    resize_file, resize = _located_importer(code, "Resize")
    resize = _flat(resize)
    resize_at = [(resize_file, "Resize importer")]
    cubic = 'mode == "cubic"' in resize and bool(re.search(r"(Resize|Interpolation)Mode::kCUBIC",
                                                             resize))
    facts["resize_modes"] = (["nearest", "linear"] + (["cubic"] if cubic else []), resize_at)
    facts["resize_scales_initializer"] = ("Resize scales must be an initializer" in resize,
                                          resize_at)
    missing = sorted({function for _, places in facts.values() for name, function in places
                      if name is None})
    if missing:
        # A fact read from nowhere would silently fall back to the table's text.
        raise SystemExit("the parser's sources have no {}: read them again and update "
                         "importer_corrections".format(", ".join(missing)))
    return facts


_CONV_DOCS = re.compile(r"Weights `W` must be an init\w*er")
_RANK_DOCS = re.compile(r"2D or 3D (?:convolutions|deconvolutions|pooling|Pooling) only")


def _sentences(parts):
    """One restrictions cell from sentences, each ending with a full stop."""
    kept = [re.sub(r"[\\.\s]+$", "", part.strip()) for part in parts]
    return " ".join(part + "." for part in kept if part)


def _rest(text):
    """A cell's sentences, split at full stops (the table escapes some as "\\.")."""
    return [part for part in re.split(r"\\?\.\s+|\\?\.$", text) if part.strip()]


def correct_rows(ops, corrections, ref):
    """Rewrite the rows whose restrictions the importer contradicts or leaves out (the table's
    own text kept as "docs_restrictions"); returns one note per row saying what changed and
    where in the importer it was read."""
    notes = []

    def value(fact):
        return corrections[fact][0]

    def rewrite(op, parts, facts, why):
        row = ops.get(op)
        text = parts if isinstance(parts, str) else _sentences(parts)
        if row is None or re.sub(r"[\\.\s]", "", row["restrictions"]) == re.sub(
                r"[\\.\s]", "", text):
            return
        row.setdefault("docs_restrictions", row["restrictions"])
        row["restrictions"] = text
        places = []
        for fact in facts:
            for where in corrections[fact][1]:
                if where not in places:
                    places.append(where)
        notes.append("{}: {} (read in {})".format(op, why, "; ".join(
            "{} {}, {}".format(ref, name, function) for name, function in places)))

    for op, weights, bias, one_d, what in (
            ("Conv", "conv_tensor_weights", "conv_tensor_bias", "conv_1d", "convolutions"),
            ("ConvTranspose", "deconv_tensor_weights", "deconv_tensor_bias", "deconv_1d",
             "deconvolutions")):
        if op not in ops:
            continue
        rest = [part for part in _rest(ops[op]["restrictions"])
                if not _CONV_DOCS.search(part) and not _RANK_DOCS.search(part)]
        parts = ["{} {} only".format("1D, 2D or 3D" if value(one_d) else "2D or 3D", what)]
        if not value(weights):
            parts.append("Weights `W` must be an initializer")
        if not value(bias):
            parts.append("Bias `B` must be an initializer")
        why = "weights may be a tensor (a DequantizeLinear's output)" if value(weights) else \
            "weights must be initializers"
        why += "; the bias must be an initializer" if not value(bias) else \
            "; the bias may be a tensor"
        rewrite(op, parts + rest, (weights, bias, one_d), why + "; input of rank 3 to 5")
    for op in ("MaxPool", "AveragePool"):
        if op not in ops:
            continue
        rest = [part for part in _rest(ops[op]["restrictions"]) if not _RANK_DOCS.search(part)]
        parts = ["1D, 2D or 3D pooling only" if value("pool_1d") else "2D or 3D pooling only"]
        if not any("`dilations`" in part for part in rest):
            if value("pool_dilations") == "rejected":
                rest.append("`dilations` must be empty or all ones")
        rewrite(op, parts + rest, ("pool_1d", "pool_dilations"),
                "input of rank 3 to 5; dilations other than 1 are {}".format(
                    "refused" if value("pool_dilations") == "rejected" else
                    "ignored (the table's restriction stands: the result would be wrong)"))
    if "Resize" in ops:
        text = ops["Resize"]["restrictions"]
        modes = ", ".join("`{}`".format(mode) for mode in value("resize_modes"))
        text = re.sub(r"Supported resize modes:[^<]*", "Supported resize modes: {}.".format(
            modes), text)
        if value("resize_scales_initializer"):
            text += "<br />`scales` must be an initializer when `sizes` is not given."
        rewrite("Resize", text, ("resize_modes", "resize_scales_initializer"),
                "modes {}{}".format(", ".join(value("resize_modes")), (
                    "; scales must be an initializer" if value("resize_scales_initializer")
                    else "")))
    required = value("qdq_zero_point_required")
    for op, label in (("QuantizeLinear", "y_zero_point"), ("DequantizeLinear", "x_zero_point")):
        if op not in ops or not required:
            continue
        parts = _rest(ops[op]["restrictions"]) + ["`{}` must be given{}".format(
            label, "" if required == "always" else " (INT8)")]
        rewrite(op, parts, ("qdq_zero_point_required",), "the zero-point input is required")
    return sorted(notes)


def importer_facts(code):
    everything = "\n".join(code.values())
    facts = {}
    int64 = re.search(r"TensorProto::INT64:\s*\*trt_dtype\s*=\s*nvinfer1::DataType::k(\w+)",
                      everything)
    facts["int64_as"] = int64.group(1) if int64 else None
    facts["uint8_io"] = bool(re.search(
        r"TensorProto::UINT8:\s*\*trt_dtype\s*=\s*nvinfer1::DataType::kUINT8", everything))
    cast = _importer_body(code, "Cast")
    facts["cast_uint8_fp_only"] = "UINT8 type casting is only supported from FP types" in cast
    facts["uint8_intermediate_rejected"] = "UINT8 types for intermediate tensors" in everything
    facts["plugin_fallback"] = "FallbackPluginImporter" in everything
    facts["pad_modes"] = sorted(set(re.findall(r'mode == "(\w+)"', _importer_body(code, "Pad"))))
    scatter = _importer_body(code, "ScatterND")
    facts["scatternd_reduction"] = "rejected" if '"reduction"' in scatter else "ignored"
    facts["constant_unsupported_attributes"] = sorted(
        {"sparse_value", "value_string", "value_strings"}
        if "sparse_value, value_string and value_strings" in everything else [])
    checkers = code.get("onnxOpCheckers.cpp") or ""
    facts["rejected_by_name"] = sorted(re.findall(
        r"DEFINE_OP_CHECKER\((\w+)\)\s*\{\s*STATIC_CHECK\(false\b", checkers))
    warn = re.search(r'version < (\d+)\)\s*\{\s*LOG_WARNING\(\s*"TensorRT supports ONNX graphs '
                     r'generated with at least opset', everything)
    facts["opset_warning_below"] = int(warn.group(1)) if warn else None
    slil = re.search(r"Per-opset (\d+) ONNX does not support the select_last_index", everything)
    facts["select_last_index_from_opset"] = int(slil.group(1)) if slil else None
    return facts


# --- assembling --------------------------------------------------------------------------------

def read_line(repo, key, ref):
    text = git_show(repo, ref, "docs/operators.md")
    if text is None:
        raise SystemExit("{} has no docs/operators.md".format(ref))
    ops, fixes = parse_table(text)
    opset, data_types = parse_header(text)
    code = sources(repo, ref)
    importer = importer_facts(code)
    corrections = importer_corrections(code)
    importer.update((fact, found[0]) for fact, found in corrections.items())
    notes = correct_rows(ops, corrections, ref)
    if "min" not in opset:
        opset["min"] = importer["opset_warning_below"]
        opset["min_source"] = ("ModelImporter.cpp warns below this opset; operators.md states "
                               "no lower bound")
    else:
        opset["min_source"] = "docs/operators.md"
    version = parser_version(repo, ref)
    return {
        "line": "{}.{}".format(*key),
        "first": list(key),
        "branch": ref,
        "commit": git(repo, "rev-parse", ref).strip(),
        "date": git(repo, "log", "-1", "--format=%cd", "--date=short", ref).strip(),
        "parser_version": ".".join(str(v) for v in version) if version else None,
        "opset": opset,
        "data_types": data_types,
        "table_fixes": sorted(fixes),
        "importer_corrections": notes,
        "importer": importer,
        "ops": ops,
    }


def build(repo):
    chosen, main = choose_lines(repo)
    lines = [read_line(repo, key, ref) for key, ref in chosen]
    for entry, following in zip(lines, lines[1:] + [None]):
        entry["until"] = following["first"] if following else None
        if following:
            entry["covers"] = "TensorRT {} up to (not including) {}".format(
                entry["line"], following["line"])
        else:
            entry["covers"] = ("TensorRT {} and newer: the newest table in the mirror, also "
                               "used for later 10.x and 11.x releases".format(entry["line"]))
    return {"schema": SCHEMA, "source": SOURCE, "generated_by": "tools/trt_parser_ops.py",
            "main": main, "lines": lines}


def _scalar_or_scalars(value):
    if isinstance(value, list):
        return all(not isinstance(item, (dict, list)) for item in value)
    return not isinstance(value, dict)


def dumps(value, level=0):
    """JSON with sorted keys; dicts of scalars (an op's row) and lists of scalars on one line."""
    pad, inner = " " * level, " " * (level + 1)
    compact = lambda v: json.dumps(v, sort_keys=True, ensure_ascii=True)  # noqa: E731
    if isinstance(value, dict):
        if not value or all(_scalar_or_scalars(v) for v in value.values()) and level > 0:
            return compact(value)
        items = ["{}{}: {}".format(inner, compact(key), dumps(value[key], level + 1))
                 for key in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and not _scalar_or_scalars(value):
        items = [inner + dumps(item, level + 1) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return compact(value)


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="git dir of an onnx-tensorrt mirror")
    parser.add_argument("--out", help="JSON to write (default: print)")
    args = parser.parse_args(argv)
    if not _is_git_dir(args.repo):
        parser.error("no git directory at {}".format(args.repo))
    if args.out:
        fileio.check_writable_path(args.out, what="--out")
    text = dumps(build(args.repo)) + "\n"
    if args.out:
        fileio.write_bytes_atomic(args.out, text.encode("utf-8"), what="--out")
    else:
        sys.stdout.write(text)
    return 0


def _is_git_dir(path):
    return subprocess.run(["git", "--git-dir", path, "rev-parse", "--git-dir"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
