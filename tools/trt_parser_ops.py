#!/usr/bin/env python3
"""Regenerate ``edge_segnet/trt_facts/parser_ops.json`` from a git mirror of the public
ONNX-TensorRT parser (github.com/onnx/onnx-tensorrt).

    python3 tools/trt_parser_ops.py --repo /work/.mirror/onnx+onnx-tensorrt/repo \\
        --out edge_segnet/trt_facts/parser_ops.json

For each parser release line it reads ``docs/operators.md`` (the operator support matrix: op,
Y/N, supported types, restrictions; the opset range in the text above it) and a few facts the
importers enforce that the table does not state (how INT64 and UINT8 tensors are taken, the Pad
modes, ops a plugin cannot stand in for, ...). Nothing of the parser's text or code is copied
beyond the table cells; the output is our own JSON, deterministic and sorted.

Release lines: 8.2, 8.4, 8.5, 8.6 (JetPack 4.6 to 6.0), 9.0 (no Jetson release; 9.1-9.3 use its
table), and every 10.x+ release branch in the mirror. ``main`` becomes a line only when its
version is newer than every release branch.
"""

import argparse
import json
import os
import re
import subprocess
import sys

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
    importer = importer_facts(sources(repo, ref))
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="git dir of an onnx-tensorrt mirror")
    parser.add_argument("--out", help="JSON to write (default: print)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.repo):
        parser.error("no git directory at {}".format(args.repo))
    text = dumps(build(args.repo)) + "\n"
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
