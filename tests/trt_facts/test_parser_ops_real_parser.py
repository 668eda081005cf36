"""The parser-coverage table (trt_facts/parser_ops, newest line: 10.1, read for 11.x) against a
real ONNX parser: TensorRT for RTX 1.7's, the only NVIDIA parser on the package index. One
one-node graph per op and input type the table accepts for the newest release, attribute
variants where the table has restrictions, and graphs it refuses; the table's verdict
(``unparseable_nodes``) and the parser's must agree, or the test fails naming the op.

Where they differ for a reason this file can state, the difference is listed in
KNOWN_DIFFERENCES with that reason, and the test checks it still holds (so a wheel that closes
it fails the test until the entry goes). Ops whose one-node graph is not built here are listed
in NOT_BUILT with the reason; every op the table accepts is in one list or the other.
Skipped, saying why, where the wheels are absent; EDGE_SEGNET_REQUIRE_RTX=1 (CI) fails instead.
"""

import collections
import os
import pickle

import numpy as np
import onnx
import onnx.defs
import pytest
from onnx import TensorProto as TP
from onnx import helper

from edge_segnet.trt_facts import parser_ops
from tests import rtx_support

NEWEST = "11.1"  # a TensorRT 11 release: the table's newest line (10.1) stands for it
OPSET = 17
TOKENS = {"FP32": TP.FLOAT, "FP16": TP.FLOAT16, "BF16": TP.BFLOAT16, "INT32": TP.INT32,
          "INT64": TP.INT64, "INT8": TP.INT8, "UINT8": TP.UINT8, "BOOL": TP.BOOL}
_SCHEMA_TYPES = {"tensor(float)": TP.FLOAT, "tensor(float16)": TP.FLOAT16,
                 "tensor(bfloat16)": TP.BFLOAT16, "tensor(int32)": TP.INT32,
                 "tensor(int64)": TP.INT64, "tensor(int8)": TP.INT8,
                 "tensor(uint8)": TP.UINT8, "tensor(bool)": TP.BOOL}
_SECONDARY = (TP.FLOAT, TP.INT64, TP.INT32, TP.BOOL, TP.FLOAT16)
SHAPE = [1, 3, 4, 4]
FLOATS = ("FP32", "FP16", "BF16")

Case = collections.namedtuple("Case", "op label model")

# Ops the table accepts whose one-node graph this file does not build, and why.
NOT_BUILT = {
    "DeformConv": "opset 19 op that the installed onnx's checker knows but whose offsets/mask "
                  "layout needs a hand-made graph not written yet",
    "ImageScaler": "experimental op removed from onnx: no schema to build it from",
    "ParametricSoftplus": "experimental op removed from onnx: no schema to build it from",
    "ScaledTanh": "experimental op removed from onnx: no schema to build it from",
    "If": "needs subgraphs",
    "Loop": "needs subgraphs",
    "Scan": "needs subgraphs",
    "LSTM": "recurrent op: weights of a layout not written here",
    "GRU": "recurrent op: weights of a layout not written here",
    "RNN": "recurrent op: weights of a layout not written here",
    "MeanVarianceNormalization": "onnx's shape inference refuses the one-node graph (function "
                                 "op)",
    "RandomNormal": "no input: its output alone would be a constant network",
    "RandomUniform": "no input: its output alone would be a constant network",
    "EyeLike": "2-D only; not written yet",
}

# (op, label) -> why TensorRT for RTX 1.7's parser differs from the table. Each still holds.
KNOWN_DIFFERENCES = {
    # Where the table and the parser disagree, and onnx-tensorrt's own 10.1-GA importers
    # (onnxOpImporters.cpp, importerUtils.cpp) carry the same refusal: the table's row
    # (operators.md) is what is wrong, for TensorRT 10.1+/11 as for RTX. Its rows list
    # INT32/INT64 for these; Relu goes through activationHelper (importerUtils.cpp line 29:
    # "Found unsupported input type"), the reductions through unary SQRT/LOG layers.
    ("Relu", "INT32"): "the parser asserts 'Found unsupported input type of INT32'",
    ("ReduceL2", "INT32"): "SQRT of INT32 unsupported (validUnaryType)",
    ("ReduceL2", "INT64"): "SQRT of INT64 unsupported (validUnaryType)",
    ("ReduceLogSum", "INT32"): "LOG of INT32 unsupported (validUnaryType)",
    ("ReduceLogSum", "INT64"): "LOG of INT64 unsupported (validUnaryType)",
    ("ReduceLogSumExp", "INT32"): "'Found unsupported input type of INT32'",
    ("ReduceLogSumExp", "INT64"): "'Found unsupported input type of INT64'",
    # RTX's own: it imports NonZero through a V3 plugin (kV3ONE creator "NonZero" version 1)
    # that its registry lacks, where 10.1-GA's NonZero importer adds an INonZeroLayer
    # (onnxOpImporters.cpp, NonZero, addNonZero).
    ("NonZero", "FP32"): "RTX: the NonZero plugin creator (V3) is not in its registry",
    ("NonZero", "FP16"): "RTX: the NonZero plugin creator (V3) is not in its registry",
    # 10.1-GA imports RoiAlign through the ROIAlign plugin too (onnxOpImporters.cpp line
    # 4940); TensorRT ships it in libnvinfer_plugin, TensorRT for RTX ships no such library.
    ("RoiAlign", "FP32"): "RTX: 'ROIAlign plugin was not found in the plugin registry'",
    ("RoiAlign", "FP16"): "RTX: 'ROIAlign plugin was not found in the plugin registry'",
    # Rows the parser contradicts, where the parser asserts more than the row says (10.1-GA's
    # LpPool importer, line 3334; Range importer, line 4192):
    ("LpPool", "FP32 1-D"): "addPoolingNd takes 2-D or 3-D windows only",
    ("LpPool", "FP16 1-D"): "addPoolingNd takes 2-D or 3-D windows only",
    ("LpPool", "BF16 1-D"): "'Only float inputs/outputs supported in LpPool' (FP32, FP16)",
    ("LpPool", "BF16 2-D"): "'Only float inputs/outputs supported in LpPool' (FP32, FP16)",
    ("LpPool", "BF16 3-D"): "'Only float inputs/outputs supported in LpPool' (FP32, FP16)",
    ("Range", "FP16"): "'only supports int32, int64, and float input types for Range'",
    # ... and where it takes more than the row's types (the table refuses, the parser
    # accepts; the table stays on the safe side, so these do not make a graph fail to build):
    ("GridSample", "BF16"): "row types FP16, FP32; the parser takes BF16",
    ("NonMaxSuppression", "BF16"): "row types FP16, FP32; the parser takes BF16",
    ("CumSum", "INT32"): "row types BF16, FP16, FP32; the parser takes INT32",
    ("CumSum", "INT64"): "row types BF16, FP16, FP32; the parser takes INT64",
}


def _value(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def _init(name, array):
    return onnx.numpy_helper.from_array(np.asarray(array), name)


def _model(node, inputs, initializers=(), opset=OPSET, outputs=None):
    """A one-node model, its outputs typed by onnx's strict shape inference (None where it
    cannot type them: the graph is not one onnx accepts), or as ``outputs`` say where onnx
    infers nothing for the op (a function op such as GroupNormalization-18)."""
    graph = helper.make_graph([node], "g", inputs, list(outputs or []),
                              initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if outputs:  # unchecked: onnx >= 1.16 calls GroupNormalization-18 deprecated
        return model
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception:  # noqa: BLE001 - the caller reports the op as not built
        return None
    known = {value.name: value for value in inferred.graph.value_info}
    for output in node.output:
        if output not in known or not known[output].type.tensor_type.elem_type:
            return None
        model.graph.output.append(known[output])
    return model


def _generic(op, elem):
    """Every required input a graph input of SHAPE; the first input's type ``elem``, others
    the first of _SECONDARY their constraint allows. None: the type does not apply."""
    schema = onnx.defs.get_schema(op, OPSET)
    allowed = {c.type_param_str: [_SCHEMA_TYPES[t] for t in c.allowed_type_strs
                                  if t in _SCHEMA_TYPES] for c in schema.type_constraints}
    inputs = []
    for index, formal in enumerate(schema.inputs):
        if formal.option == onnx.defs.OpSchema.FormalParameterOption.Optional:
            break
        param = formal.type_str
        if param in allowed and (index == 0 or param == schema.inputs[0].type_str):
            if elem not in allowed[param]:
                return None
            chosen = elem
        elif param in allowed:
            chosen = next((t for t in _SECONDARY if t in allowed[param]), None)
        else:
            chosen = _SCHEMA_TYPES.get(param)
        if chosen is None:
            return None
        inputs.append(_value("x{}".format(index), chosen, SHAPE))
    outputs = ["y{}".format(index) for index, formal in enumerate(schema.outputs)
               if formal.option != onnx.defs.OpSchema.FormalParameterOption.Optional]
    node = helper.make_node(op, [value.name for value in inputs], outputs or ["y0"], name="n")
    return _model(node, inputs)


def _np(token):
    return {"FP32": np.float32, "FP16": np.float16, "INT32": np.int32,
            "INT64": np.int64}.get(token)


def _special_cases(token):
    """Hand-made graphs: ops whose inputs have a meaning (shapes, axes, scales), attribute
    variants the table restricts, and graphs the table refuses. (op, label, model)."""
    elem = TOKENS[token]
    x = _value("x", elem, SHAPE)
    cases = []

    def add(op, label, node, inputs, inits=(), opset=OPSET, outputs=None):
        cases.append((op, label, node, inputs, inits, opset, outputs))

    def i64(name, values):
        return _init(name, np.array(values, dtype=np.int64))

    if token in FLOATS:
        w = _value("w", elem, [4, 3, 3, 3])
        for rank, label in ((3, "1-D"), (4, "2-D"), (5, "3-D")):
            spatial = [6] * (rank - 2)
            add("Conv", "{} {}".format(token, label), helper.make_node(
                "Conv", ["x", "w"], ["y"], name="n"),
                [_value("x", elem, [1, 3] + spatial), _value("w", elem, [4, 3] + [3] * (
                    rank - 2))])
            add("ConvTranspose", "{} {}".format(token, label), helper.make_node(
                "ConvTranspose", ["x", "w"], ["y"], name="n"),
                [_value("x", elem, [1, 3] + spatial), _value("w", elem, [3, 4] + [3] * (
                    rank - 2))])
            for pool in ("MaxPool", "AveragePool", "LpPool"):
                add(pool, "{} {}".format(token, label), helper.make_node(
                    pool, ["x"], ["y"], name="n", kernel_shape=[2] * (rank - 2),
                    strides=[2] * (rank - 2)), [_value("x", elem, [1, 3] + spatial)])
        del w
        for pool in ("MaxPool", "AveragePool"):
            add(pool, "dilations 2" if token == "FP32" else token + " dilations 2",
                helper.make_node(pool, ["x"], ["y"], name="n", kernel_shape=[2, 2],
                                 dilations=[2, 2]), [_value("x", elem, [1, 3, 8, 8])],
                opset=19 if pool == "AveragePool" else OPSET)
        add("MaxPool", token + " indices output", helper.make_node(
            "MaxPool", ["x"], ["y", "i"], name="n", kernel_shape=[2, 2], strides=[2, 2]), [x])
        add("BatchNormalization", token, helper.make_node(
            "BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="n"),
            [x] + [_value(n, elem, [3]) for n in ("s", "b", "m", "v")])
        add("LRN", token, helper.make_node("LRN", ["x"], ["y"], name="n", size=3), [x])
        add("Einsum", token, helper.make_node("Einsum", ["a", "b"], ["y"], name="n",
                                              equation="ij,jk->ik"),
            [_value("a", elem, [2, 3]), _value("b", elem, [3, 4])])
        add("Gemm", token, helper.make_node("Gemm", ["a", "b"], ["y"], name="n"),
            [_value("a", elem, [2, 3]), _value("b", elem, [3, 4])])
        add("Mod", token + " fmod", helper.make_node("Mod", ["x", "z"], ["y"], name="n",
                                                      fmod=1), [x, _value("z", elem, SHAPE)])
        add("GridSample", token, helper.make_node("GridSample", ["x", "g"], ["y"], name="n"),
            [x, _value("g", elem, [1, 4, 4, 2])])
        add("RoiAlign", token, helper.make_node("RoiAlign", ["x", "r", "b"], ["y"], name="n"),
            [x, _value("r", elem, [2, 4]), _value("b", TP.INT64, [2])])
        add("NonMaxSuppression", token, helper.make_node(
            "NonMaxSuppression", ["b", "s"], ["y"], name="n"),
            [_value("b", elem, [1, 4, 4]), _value("s", elem, [1, 1, 4])])
        add("Gelu", token, helper.make_node("Gelu", ["x"], ["y"], name="n"), [x], opset=20)
        add("Mish", token, helper.make_node("Mish", ["x"], ["y"], name="n"), [x], opset=18)
        add("GroupNormalization", token, helper.make_node(
            "GroupNormalization", ["x", "s", "b"], ["y"], name="n", num_groups=3),
            [x, _value("s", elem, [3]), _value("b", elem, [3])], opset=18,
            outputs=[_value("y", elem, SHAPE)])
        add("SpaceToDepth", token, helper.make_node("SpaceToDepth", ["x"], ["y"], name="n",
                                                    blocksize=2), [x])
        add("DepthToSpace", token + " DCR", helper.make_node(
            "DepthToSpace", ["x"], ["y"], name="n", blocksize=2, mode="DCR"),
            [_value("x", elem, [1, 4, 2, 2])])
        add("DepthToSpace", token + " CRD", helper.make_node(
            "DepthToSpace", ["x"], ["y"], name="n", blocksize=2, mode="CRD"),
            [_value("x", elem, [1, 4, 2, 2])])
        scales = _init("scales", np.array([1, 1, 2, 2], dtype=np.float32))
        add("Upsample", token, helper.make_node("Upsample", ["x", "scales"], ["y"], name="n"),
            [x], [scales], opset=9)
        for mode in ("nearest", "linear", "cubic"):
            for transform in ("half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn",
                              "asymmetric", "align_corners"):
                if transform == "tf_half_pixel_for_nn" and mode != "nearest":
                    continue  # onnx defines it for nearest only
                add("Resize", "{} {} {}".format(token, mode, transform), helper.make_node(
                    "Resize", ["x", "", "scales"], ["y"], name="n", mode=mode,
                    coordinate_transformation_mode=transform), [x], [scales])
        for nearest in ("floor", "ceil", "round_prefer_floor", "round_prefer_ceil"):
            add("Resize", "{} nearest_mode {}".format(token, nearest), helper.make_node(
                "Resize", ["x", "", "scales"], ["y"], name="n", mode="nearest",
                nearest_mode=nearest), [x], [scales])
        add("Resize", token + " antialias", helper.make_node(
            "Resize", ["x", "", "scales"], ["y"], name="n", mode="linear", antialias=1),
            [x], [scales], opset=18)
        add("Resize", token + " keep_aspect_ratio_policy not_larger", helper.make_node(
            "Resize", ["x", "", "", "sizes"], ["y"], name="n", mode="linear", axes=[2, 3],
            keep_aspect_ratio_policy="not_larger"), [x], [i64("sizes", [8, 6])], opset=18)
        if token != "BF16":
            zero = _init("zp", np.array(0, dtype=np.int8))
            scale = _init("sc", np.array(0.5, dtype=np.float32))
            add("QuantizeLinear", token + " per tensor", helper.make_node(
                "QuantizeLinear", ["x", "sc", "zp"], ["y"], name="n"),
                [_value("x", TP.FLOAT, SHAPE)], [scale, zero])
            add("QuantizeLinear", "zero point 3", helper.make_node(
                "QuantizeLinear", ["x", "sc", "zp"], ["y"], name="n"),
                [_value("x", TP.FLOAT, SHAPE)], [scale, _init("zp", np.array(3, np.int8))])
            add("QuantizeLinear", "per channel", helper.make_node(
                "QuantizeLinear", ["x", "sc", "zp"], ["y"], name="n", axis=1),
                [_value("x", TP.FLOAT, SHAPE)],
                [_init("sc", np.full(3, 0.5, np.float32)), _init("zp", np.zeros(3, np.int8))])
            add("DequantizeLinear", "INT8 per tensor", helper.make_node(
                "DequantizeLinear", ["q", "sc", "zp"], ["y"], name="n"),
                [_value("q", TP.INT8, SHAPE)], [scale, zero])
            add("DequantizeLinear", "INT8 per channel", helper.make_node(
                "DequantizeLinear", ["q", "sc", "zp"], ["y"], name="n", axis=1),
                [_value("q", TP.INT8, SHAPE)],
                [_init("sc", np.full(3, 0.5, np.float32)), _init("zp", np.zeros(3, np.int8))])
    if token in FLOATS + ("INT32", "INT64"):
        add("Reshape", token, helper.make_node("Reshape", ["x", "shape"], ["y"], name="n"),
            [x], [i64("shape", [1, -1])])
        for mode, opset in (("constant", OPSET), ("edge", OPSET), ("reflect", OPSET),
                            ("wrap", 19)):
            add("Pad", "{} {}".format(token, mode), helper.make_node(
                "Pad", ["x", "pads"], ["y"], name="n", mode=mode), [x],
                [i64("pads", [0, 0, 1, 1, 0, 0, 1, 1])], opset=opset)
        add("Slice", token, helper.make_node("Slice", ["x", "s", "e", "a"], ["y"], name="n"),
            [x], [i64("s", [1]), i64("e", [3]), i64("a", [2])])
        add("Tile", token, helper.make_node("Tile", ["x", "r"], ["y"], name="n"), [x],
            [i64("r", [1, 1, 2, 2])])
        add("TopK", token, helper.make_node("TopK", ["x", "k"], ["v", "i"], name="n"), [x],
            [i64("k", [2])])
        add("TopK", token + " unsorted", helper.make_node(
            "TopK", ["x", "k"], ["v", "i"], name="n", sorted=0), [x], [i64("k", [2])])
        add("Unsqueeze", token, helper.make_node("Unsqueeze", ["x", "a"], ["y"], name="n"),
            [x], [i64("a", [0])])
        add("Squeeze", token + " axes", helper.make_node("Squeeze", ["x", "a"], ["y"],
                                                         name="n"), [x], [i64("a", [0])])
        add("CumSum", token, helper.make_node("CumSum", ["x", "a"], ["y"], name="n"), [x],
            [i64("a", 1)])
        add("Expand", token, helper.make_node("Expand", ["x", "s"], ["y"], name="n"),
            [_value("x", elem, [1, 3, 1, 4])], [i64("s", [1, 3, 4, 4])])
        add("Concat", token, helper.make_node("Concat", ["x", "z"], ["y"], name="n", axis=1),
            [x, _value("z", elem, SHAPE)])
        add("ReverseSequence", token, helper.make_node(
            "ReverseSequence", ["x", "l"], ["y"], name="n", batch_axis=1, time_axis=0),
            [_value("x", elem, [4, 2, 3])], [i64("l", [4, 2])])
        add("ScatterND", token + " reduction add", helper.make_node(
            "ScatterND", ["x", "i", "u"], ["y"], name="n", reduction="add"),
            [x, _value("u", elem, [1, 4, 4])], [i64("i", [[0]])], opset=16)
        add("ScatterND", token, helper.make_node("ScatterND", ["x", "i", "u"], ["y"],
                                                 name="n"),
            [x, _value("u", elem, [1, 4, 4])], [i64("i", [[0]])], opset=16)
        add("ArgMax", token + " select_last_index", helper.make_node(
            "ArgMax", ["x"], ["y"], name="n", axis=1, select_last_index=1), [x])
        if _np(token) is not None:
            dtype = _np(token)
            add("Constant", token, helper.make_node(
                "Constant", [], ["y"], name="n", value=_init("v", np.ones(SHAPE, dtype))), [])
            if token == "FP32":
                add("Constant", "sparse_value", helper.make_node(
                    "Constant", [], ["y"], name="n", sparse_value=helper.make_sparse_tensor(
                        _init("v", np.ones(2, dtype)), i64("i", [0, 3]), [4])), [])
            add("Range", token, helper.make_node("Range", ["a", "b", "c"], ["y"], name="n"),
                [], [_init("a", np.array(0, dtype)), _init("b", np.array(6, dtype)),
                     _init("c", np.array(2, dtype))])
            add("OneHot", token, helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="n"),
                [_value("i", TP.INT64, [2, 3])], [i64("d", 4), _init("v", np.array(
                    [0, 1], dtype))])
            add("ConstantOfShape", token, helper.make_node(
                "ConstantOfShape", ["s"], ["y"], name="n",
                value=onnx.numpy_helper.from_array(np.array([1], dtype))),
                [], [i64("s", [2, 3])])
    if token in FLOATS + ("INT32", "INT64", "BOOL", "UINT8"):
        for target in ("FLOAT", "FLOAT16", "INT32", "INT64", "BOOL", "UINT8"):
            add("Cast", "{} to {}".format(token, target), helper.make_node(
                "Cast", ["x"], ["y"], name="n", to=getattr(TP, target)), [x])
    made = []
    for op, label, node, inputs, inits, opset, outputs in cases:
        made.append((op, label, _model(node, inputs, inits, opset, outputs)))
    return made


def _cases():
    built, not_built = [], []
    special = [(token, case) for token in ("FP32", "FP16", "BF16", "INT32", "INT64", "BOOL",
                                            "UINT8") for case in _special_cases(token)]
    by_hand = {op for _, (op, _, _) in special}
    for op in parser_ops.supported_ops(NEWEST):
        if op in by_hand:
            continue  # its inputs mean something: the hand-made graphs stand for it
        row = parser_ops.op_row(NEWEST, op)
        try:
            onnx.defs.get_schema(op, OPSET)
        except Exception:  # noqa: BLE001 - op unknown at this opset: special cases only
            continue
        for token in row["types"]:
            if token in TOKENS and op not in NOT_BUILT:
                model = _generic(op, TOKENS[token])
                if model is not None:
                    built.append(Case(op, token, model))
    for token, (op, label, model) in special:
        if model is None:
            not_built.append((op, label))
        else:
            built.append(Case(op, label, model))
    # Ops the table refuses: rejected by name, or absent from the table.
    for op, inputs in (("Unique", 1), ("BitShift", 2), ("Det", 1), ("MaxUnpool", 2)):
        elem = TP.UINT8 if op == "BitShift" else (TP.INT64 if op == "MaxUnpool" else TP.FLOAT)
        values = [_value("x0", TP.FLOAT if op == "MaxUnpool" else elem, SHAPE)] + \
            [_value("x{}".format(i), elem, SHAPE) for i in range(1, inputs)]
        attrs = {"kernel_shape": [2, 2]} if op == "MaxUnpool" else (
            {"direction": "LEFT"} if op == "BitShift" else {})
        node = helper.make_node(op, [v.name for v in values], ["y"], name="n", **attrs)
        if op == "Det":
            values = [_value("x0", elem, [2, 3, 3])]
        model = _model(node, values)
        if model is None:
            not_built.append((op, "refused"))
        else:
            built.append(Case(op, "refused", model))
    return built, not_built


def _parse_in_child(trt, data):
    """(parsed, [error descriptions]) from a forked child: the parser can crash (a TopK whose
    K is not 1-D ends it in SIGSEGV), and a crash must fail one case, not the session."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            network = rtx_support.parse_and_build(trt, data, build=False, quiet=True)
            result = (bool(network.parsed), [desc for _, _, desc in network.errors])
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            result = (False, ["{}: {}".format(type(exc).__name__, exc)])
        os.write(write_end, pickle.dumps(result))
        os._exit(0)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return False, ["the parser crashed (wait status {})".format(status)]
    return pickle.loads(b"".join(chunks))


@pytest.fixture(scope="module")
def verdicts():
    trt = rtx_support.bindings()
    built, not_built = _cases()
    results = []
    for case in built:
        table = parser_ops.unparseable_nodes(case.model, NEWEST, plugin_ops=())
        parsed, errors = _parse_in_child(trt, case.model.SerializeToString())
        results.append((case, table, parsed, errors))
    print("\nparser table {} vs TensorRT for RTX {} parser: {} one-node graphs, {} ops; "
          "not built: {}".format(parser_ops.release_line(NEWEST), trt.__version__,
                                 len(results), len({case.op for case in built}),
                                 ", ".join(sorted(NOT_BUILT))))
    return results, not_built


def test_every_op_the_table_accepts_is_checked_or_listed(verdicts):
    results, not_built = verdicts
    checked = {case.op for case, table, _, _ in results if not table}
    missing = sorted(set(parser_ops.supported_ops(NEWEST)) - checked - set(NOT_BUILT))
    assert not missing, "ops the table accepts with no graph parsed: {}".format(missing)
    assert not not_built, "hand-made graphs onnx does not accept: {}".format(not_built)


def test_table_and_real_parser_agree(verdicts):
    results, _ = verdicts
    disagreements = []
    for case, table, parsed, errors in results:
        known = KNOWN_DIFFERENCES.get((case.op, case.label))
        agree = (not table) == parsed
        if agree and known is None:
            continue
        if not agree and known is not None:
            continue
        disagreements.append("{} [{}]: table {}, parser {}{}".format(
            case.op, case.label, "refuses ({})".format(table[0][2]) if table else "accepts",
            "accepts" if parsed else "refuses ({})".format(errors[0][:200] if errors else ""),
            "; listed as a known difference that no longer holds: " + known if known else ""))
    assert not disagreements, "\n".join(disagreements)


def test_refused_graphs_are_refused_by_both(verdicts):
    """The refusing side is checked too: a table that accepted everything would pass above
    only if the parser did as well."""
    results, _ = verdicts
    refused = [(case.op, case.label) for case, table, parsed, _ in results
               if table and not parsed]
    for expected in (("Unique", "refused"), ("MaxUnpool", "refused"),
                     ("QuantizeLinear", "zero point 3"), ("Resize", "FP32 antialias"),
                     ("MaxPool", "FP32 indices output"), ("MaxPool", "dilations 2"),
                     ("ScatterND", "FP32 reduction add")):
        assert expected in refused, (expected, [r for r in results if (r[0].op, r[0].label)
                                                == expected])
