"""The ONNX-TensorRT parser table (edge_segnet/trt_facts/parser_ops.json): the facts it pins, that
tools/trt_parser_ops.py reproduces it from a mirror of the parser, and that every form our
``prepare`` emits parses on the release it was prepared for (8.2, 8.6, 10.x), while raw exports
do not."""

import io
import os
import subprocess

import numpy as np
import onnx
import onnx.defs
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_segnet.errors import ModelError, UsageError
from edge_segnet import prepare as prepare_module
from edge_segnet.models import zoo
from edge_segnet.trt_facts import parser_ops
from tests import tool_scripts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "pytorch")
MIRROR = os.environ.get("EDGE_SEGNET_ONNX_TRT_MIRROR",
                        "/work/.mirror/onnx+onnx-tensorrt/repo")
ONNX_KNOWS_OPSET_20 = onnx.defs.onnx_opset_version() >= 20
LINES = ("8.2", "8.4", "8.5", "8.6", "9.0", "10.0", "10.1")
NEWEST = LINES[-1]


def row(line, op):
    return parser_ops.op_row(line, op)


# --- the table -----------------------------------------------------------------------------

def test_release_lines_are_the_parser_branches_we_read():
    entries = parser_ops.lines()
    assert tuple(entry["line"] for entry in entries) == LINES
    assert [entry["branch"] for entry in entries] == [
        "8.2-GA", "8.4-GA", "8.5-GA", "8.6-GA", "9.0-GA", "10.0-GA", "10.1-GA"]
    firsts = [tuple(entry["first"]) for entry in entries]
    assert firsts == sorted(firsts)
    for entry, following in zip(entries, entries[1:]):
        assert entry["until"] == following["first"]
    assert entries[-1]["until"] is None and "11.x" in entries[-1]["covers"]
    # The mirror's main is parser 10.0.1 (May 2024), older than 10.1-GA: not a line of its own.
    assert table_main()["used"] is False and table_main()["version"] == "10.0.1"


def table_main():
    return parser_ops.table()["main"]


@pytest.mark.parametrize("version, line", [
    ((8, 2), "8.2"), ("8.2.1", "8.2"), ((8, 3), "8.2"), ("8.4", "8.4"), ("8.5.2.2", "8.5"),
    ((8, 6, 1), "8.6"), ("8.6", "8.6"), ("9.3", "9.0"), ((10, 0), "10.0"), ("10.1", "10.1"),
    ("10.3", "10.1"), ((10, 16), "10.1"), ("11.1", "10.1"),
])
def test_release_line_is_the_newest_table_not_newer(version, line):
    assert parser_ops.release_line(version) == line


def test_newer_releases_than_the_mirror_are_marked_extrapolated():
    assert not parser_ops.is_extrapolated("10.1")
    assert not parser_ops.is_extrapolated("8.3")  # 8.3 had no parser release: 8.2's is it
    assert parser_ops.is_extrapolated("10.3") and parser_ops.is_extrapolated((11, 1))


def test_releases_older_than_8_2_have_no_table():
    with pytest.raises(UsageError, match="oldest is 8.2"):
        parser_ops.release_line((8, 0))
    with pytest.raises(UsageError):
        parser_ops.release_line("next")


@pytest.mark.parametrize("line, low, high", [
    ("8.2", 7, 13), ("8.4", 7, 17), ("8.5", 7, 17), ("8.6", 7, 17), ("9.0", 7, 19),
    ("10.0", 9, 20), ("10.1", 9, 20),
])
def test_opset_ranges(line, low, high):
    assert parser_ops.opset_range(line) == (low, high)


@pytest.mark.parametrize("line", LINES)
def test_no_parser_takes_maxunpool_or_maxpool_indices(line):
    assert row(line, "MaxUnpool")["supported"] == "N"
    assert "MaxUnpool" not in parser_ops.supported_ops(line)
    assert "`Indices` output tensor unsupported" in row(line, "MaxPool")["restrictions"]
    assert parser_ops.release(line)["importer"]["plugin_fallback"]


def test_from_10_maxunpool_is_rejected_by_name_before_any_plugin():
    for line in LINES:
        rejected = parser_ops.release(line)["importer"]["rejected_by_name"]
        assert ("MaxUnpool" in rejected) == (line.startswith("10."))
        assert "EdgeSegnetUnpool" not in rejected


def test_int64_is_cast_to_int32_before_9_and_native_after():
    for line in LINES:
        int64 = parser_ops.release(line)["importer"]["int64_as"]
        assert int64 == ("INT32" if line.startswith("8.") else "INT64")


def test_uint8_network_inputs_from_8_5():
    for line in LINES:
        importer = parser_ops.release(line)["importer"]
        assert importer["uint8_io"] == (line not in ("8.2", "8.4"))
        # 8.6 on reject UINT8 anywhere but at the network's inputs and outputs.
        assert importer["uint8_intermediate_rejected"] == (line not in ("8.2", "8.4", "8.5"))
    # The table lists UINT8 for Cast from 8.6; 8.5's importer casts UINT8 (from and to FP32 and
    # FP16 only) though its table leaves it out.
    assert [("UINT8" in row(line, "Cast")["types"]) for line in LINES] == [
        False, False, False, True, True, True, True]
    assert [parser_ops.release(line)["importer"]["cast_uint8_fp_only"] for line in LINES] == [
        False, False, True, False, False, False, False]


def test_what_tells_8_2_8_6_and_10_apart():
    # ArgMax takes INT32 from 8.6; Gather takes BOOL from 8.5; BF16 and INT64 types from 9.0.
    assert [("INT32" in row(line, "ArgMax")["types"]) for line in ("8.2", "8.5", "8.6")] == [
        False, False, True]
    assert "BOOL" not in row("8.4", "Gather")["types"] and "BOOL" in row("8.5", "Gather")["types"]
    assert "INT64" in row("10.1", "Where")["types"] and "BF16" in row("10.1", "Conv")["types"]
    # Range's float inputs had to be initializers up to 8.2.
    assert "Floating point inputs" in row("8.2", "Range")["restrictions"]
    assert row("8.4", "Range")["restrictions"] == ""
    # 10.x: Pad/ReduceMean axes, ScatterND reduction, Resize aspect/antialias.
    for op, text in (("Pad", "`axes` must be an initializer"),
                     ("ReduceMean", "`axes` must be an initializer"),
                     ("ScatterND", "`reduction` is not supported"),
                     ("Resize", "Antialiasing is not supported")):
        assert text in row("10.0", op)["restrictions"], op
        assert text not in row("8.6", op)["restrictions"], op
    assert parser_ops.release("8.6")["importer"]["scatternd_reduction"] == "ignored"
    assert parser_ops.release("10.0")["importer"]["scatternd_reduction"] == "rejected"
    assert parser_ops.release("8.6")["importer"]["pad_modes"] == ["constant", "edge", "reflect"]
    assert parser_ops.release("10.1")["importer"]["pad_modes"] == [
        "constant", "edge", "reflect", "wrap"]
    # 10.0's table gives ConstantOfShape FP32 only (as 8.x); 10.1's more (a typo read as INT64).
    assert row("10.0", "ConstantOfShape")["types"] == ["FP32"]
    assert "INT64" in row("10.1", "ConstantOfShape")["types"]
    assert parser_ops.release("10.1")["table_fixes"] == [
        "ConstantOfShape: type 'INF64' read as INT64"]


@pytest.mark.parametrize("line", LINES)
def test_every_op_segnet_graphs_use_is_in_the_table(line):
    ops = {"Conv", "BatchNormalization", "Relu", "MaxPool", "ScatterND", "Reshape", "Gather",
           "Concat", "Add", "Mul", "Sub", "Div", "Cast", "Where", "Equal", "ArgMax",
           "DepthToSpace", "Pad", "Transpose", "Resize", "LRN", "Pow", "ReduceMean", "Expand",
           "Shape", "ConstantOfShape", "Slice", "Unsqueeze", "Squeeze", "Identity", "Constant",
           "Greater", "Less", "And", "Not", "Or", "Tile", "Range", "AveragePool"}
    assert ops <= set(parser_ops.supported_ops(line))


def test_plugin_op_name_is_the_graph_passes_op():
    from edge_segnet.graph import UNPOOL_OP

    assert parser_ops.UNPOOL_PLUGIN_OP == UNPOOL_OP
    assert parser_ops.DEFAULT_PLUGIN_OPS == (UNPOOL_OP,)


def test_the_committed_json_is_in_the_tools_canonical_form():
    tool = tool_scripts.load("trt_parser_ops")
    with io.open(parser_ops.TABLE_PATH, encoding="utf-8") as handle:
        text = handle.read()
    assert text == tool.dumps(parser_ops.table()) + "\n"


def test_the_tool_reproduces_the_committed_json_from_the_mirror(tmp_path):
    if not os.path.isdir(MIRROR):
        pytest.skip("no onnx-tensorrt mirror at {} (set EDGE_SEGNET_ONNX_TRT_MIRROR)".format(
            MIRROR))
    try:
        subprocess.check_output(["git", "--git-dir", MIRROR, "rev-parse", "8.2-GA"],
                                stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip("git cannot read the mirror at {}: {}".format(MIRROR, exc))
    out = str(tmp_path / "parser_ops.json")
    assert tool_scripts.load("trt_parser_ops").main(["--repo", MIRROR, "--out", out]) == 0
    with io.open(out, encoding="utf-8") as fresh, \
            io.open(parser_ops.TABLE_PATH, encoding="utf-8") as committed:
        assert fresh.read() == committed.read()


# --- checks on small graphs ----------------------------------------------------------------

def model_of(nodes, inputs, outputs, initializers=(), opset=13, domains=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=imports)
    model.ir_version = 7
    return model


def tensor(name, elem_type=TensorProto.FLOAT, shape=(1, 4, 8, 8)):
    return helper.make_tensor_value_info(name, elem_type, list(shape))


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def pool_unpool_model():
    return model_of(
        [helper.make_node("MaxPool", ["x"], ["p", "i"], name="pool1", kernel_shape=[2, 2],
                          strides=[2, 2]),
         helper.make_node("MaxUnpool", ["p", "i"], ["y"], name="unpool1", kernel_shape=[2, 2],
                          strides=[2, 2])],
        [tensor("x")], [tensor("y")])


def reasons(model, version, **kwargs):
    return {(name, op): reason for name, op, reason in
            parser_ops.unparseable_nodes(model, version, **kwargs)}


@pytest.mark.parametrize("line", LINES)
def test_pool_indices_and_maxunpool_are_reported_everywhere(line):
    found = reasons(pool_unpool_model(), line)
    assert found[("pool1", "MaxPool")] == "indices output unsupported"
    assert found[("unpool1", "MaxUnpool")].startswith("not supported")


def test_check_parseable_names_every_node_in_one_line():
    with pytest.raises(ModelError) as caught:
        parser_ops.check_parseable(pool_unpool_model(), (8, 2))
    error = caught.value
    assert error.message == ("TensorRT 8.2's ONNX parser cannot take 2 nodes: pool1 (MaxPool: "
                             "indices output unsupported), unpool1 (MaxUnpool: not supported)")
    assert "edge-segnet prepare" in error.hint and "\n" not in str(error)
    with pytest.raises(ModelError, match=r"8\.3 \(read from the 8\.2 parser's table\)"):
        parser_ops.check_parseable(pool_unpool_model(), "8.3")
    with pytest.raises(ModelError, match="rejected by name"):
        parser_ops.check_parseable(pool_unpool_model(), "10.3")


def unpool_plugin_model():
    return model_of(
        [helper.make_node("MaxPool", ["x"], ["p"], name="pool1", kernel_shape=[2, 2],
                          strides=[2, 2]),
         helper.make_node("EdgeSegnetUnpool", ["p", "x"], ["y"], name="unpool1",
                          domain="edge_segnet", kernel_shape=[2, 2], strides=[2, 2],
                          plugin_version="1", plugin_namespace=""),
         helper.make_node("Relu", ["y"], ["z"], name="relu")],
        [tensor("x")], [tensor("z")], domains=("edge_segnet",))


@pytest.mark.parametrize("line", LINES)
def test_our_op_parses_through_the_plugin_fallback_when_the_plugin_is_loaded(line):
    model = unpool_plugin_model()
    assert parser_ops.unparseable_nodes(model, line) == []
    found = reasons(model, line, plugin_ops=())
    assert list(found) == [("unpool1", "EdgeSegnetUnpool")]
    assert "plugin" in found[("unpool1", "EdgeSegnetUnpool")]
    with pytest.raises(ModelError) as caught:
        parser_ops.check_parseable(model, line, plugin_ops=())
    assert "--unpool native" in caught.value.hint


def test_a_plugin_cannot_stand_in_for_maxunpool_from_10():
    model = pool_unpool_model()
    assert ("unpool1", "MaxUnpool") not in reasons(model, "8.6", plugin_ops=("MaxUnpool",))
    assert ("unpool1", "MaxUnpool") in reasons(model, "10.0", plugin_ops=("MaxUnpool",))


def test_opset_outside_the_range_is_reported_first():
    model = model_of([helper.make_node("Relu", ["x"], ["y"], name="relu")], [tensor("x")],
                     [tensor("y")], opset=17)
    assert parser_ops.unparseable_nodes(model, "8.2") == [
        ("", "opset", "opset 17 is outside the 7..13 it supports")]
    assert parser_ops.unparseable_nodes(model, "8.6") == []
    with pytest.raises(ModelError) as caught:
        parser_ops.check_parseable(model, "8.2")
    assert caught.value.message == ("TensorRT 8.2's ONNX parser cannot take opset 17 (it "
                                    "supports 7..13)")
    assert "lowers the opset to 13" in caught.value.hint
    old = model_of([helper.make_node("Relu", ["x"], ["y"])], [tensor("x")], [tensor("y")],
                   opset=8)
    assert [op for _, op, _ in parser_ops.unparseable_nodes(old, "10.1")] == ["opset"]


def test_uint8_input_and_casts():
    frame = tensor("frame", TensorProto.UINT8, (1, 8, 8, 3))
    model = model_of([helper.make_node("Cast", ["frame"], ["f"], name="cast", to=TensorProto.FLOAT),
                      helper.make_node("Relu", ["f"], ["y"], name="relu")],
                     [frame], [tensor("y", shape=(1, 8, 8, 3))])
    for line in ("8.2", "8.4"):
        assert "has no UINT8 tensors" in reasons(model, line)[("cast", "Cast")]
    for line in ("8.5", "8.6", "9.0", "10.0", "10.1"):
        assert parser_ops.unparseable_nodes(model, line) == []
    with pytest.raises(ModelError) as caught:
        parser_ops.check_parseable(model, "8.2")
    assert "--input-type float32" in caught.value.hint
    # 8.5 casts UINT8 only from and to FP32/FP16.
    to_int = model_of([helper.make_node("Cast", ["frame"], ["f"], name="cast",
                                        to=TensorProto.INT32)],
                      [frame], [tensor("f", TensorProto.INT32, (1, 8, 8, 3))])
    assert "only from and to FP32/FP16" in reasons(to_int, "8.5")[("cast", "Cast")]
    assert parser_ops.unparseable_nodes(to_int, "8.6") == []
    # 8.6 on: a UINT8 tensor inside the network is refused.
    inside = model_of([helper.make_node("Cast", ["x"], ["u"], name="to_u8", to=TensorProto.UINT8),
                       helper.make_node("Cast", ["u"], ["y"], name="back", to=TensorProto.FLOAT)],
                      [tensor("x")], [tensor("y")])
    assert "not a graph output" in reasons(inside, "8.6")[("to_u8", "Cast")]
    assert "not a graph output" in reasons(inside, "10.1")[("to_u8", "Cast")]


def test_int64_reads_as_int32_before_9():
    model = model_of([helper.make_node("Add", ["a", "b"], ["c"], name="add")],
                     [tensor("a", TensorProto.INT64, (4,)), tensor("b", TensorProto.INT64, (4,))],
                     [tensor("c", TensorProto.INT64, (4,))])
    for line in LINES:
        assert parser_ops.unparseable_nodes(model, line) == []
    argmax = model_of([helper.make_node("ArgMax", ["a"], ["c"], name="argmax", axis=0)],
                      [tensor("a", TensorProto.INT64, (4, 2))],
                      [tensor("c", TensorProto.INT64, (1, 2))])
    assert "is INT32 (takes FP16, FP32)" in reasons(argmax, "8.2")[("argmax", "ArgMax")]
    assert parser_ops.unparseable_nodes(argmax, "8.6") == []  # INT32 ArgMax from 8.6


def test_types_the_table_leaves_out():
    double_not = model_of([helper.make_node("Where", ["m", "a", "b"], ["c"], name="where")],
                          [tensor("m", TensorProto.BOOL, (4,)),
                           tensor("a", TensorProto.UINT16, (4,)),
                           tensor("b", TensorProto.UINT16, (4,))],
                          [tensor("c", TensorProto.UINT16, (4,))])
    assert "input a is UINT16" in reasons(double_not, "10.1")[("where", "Where")]
    equal = model_of([helper.make_node("Equal", ["a", "b"], ["c"], name="eq")],
                     [tensor("a", TensorProto.BOOL, (4,)), tensor("b", TensorProto.BOOL, (4,))],
                     [tensor("c", TensorProto.BOOL, (4,))])
    assert "input a is BOOL" in reasons(equal, "8.2")[("eq", "Equal")]


def test_restrictions_of_the_ops_segnet_graphs_use():
    x = tensor("x")
    weights = const("w", np.zeros((4, 4, 1, 1), np.float32))
    conv = model_of([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x],
                    [tensor("y")], [weights])
    assert parser_ops.unparseable_nodes(conv, "8.2") == []

    dilated = model_of([helper.make_node("MaxPool", ["x"], ["y"], name="pool",
                                         kernel_shape=[2, 2], dilations=[2, 2])],
                       [x], [tensor("y", shape=(1, 4, 6, 6))])
    assert "dilations [2, 2] would be ignored" in reasons(dilated, "10.1")[("pool", "MaxPool")]
    assert "dilations [2, 2] unsupported" in reasons(dilated, "8.6")[("pool", "MaxPool")]

    scatter = model_of([helper.make_node("ScatterND", ["d", "i", "u"], ["y"], name="scatter",
                                         reduction="add")],
                       [tensor("d", shape=(8,)), tensor("i", TensorProto.INT64, (2, 1)),
                        tensor("u", shape=(2,))], [tensor("y", shape=(8,))], opset=16)
    assert "would be ignored" in reasons(scatter, "8.6")[("scatter", "ScatterND")]
    assert "`reduction` unsupported" in reasons(scatter, "10.1")[("scatter", "ScatterND")]
    plain = model_of([helper.make_node("ScatterND", ["d", "i", "u"], ["y"], name="scatter",
                                       reduction="none")],
                     [tensor("d", shape=(8,)), tensor("i", TensorProto.INT64, (2, 1)),
                      tensor("u", shape=(2,))], [tensor("y", shape=(8,))], opset=16)
    assert parser_ops.unparseable_nodes(plain, "8.6") == []
    assert ("scatter", "ScatterND") in reasons(plain, "10.1")  # 10.x refuses the attribute

    slice_inputs = [x, tensor("starts", TensorProto.INT64, (1,))]
    sliced = model_of([helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["y"],
                                        name="slice")],
                      slice_inputs + [tensor("axes", TensorProto.INT64, (1,))],
                      [tensor("y", shape=(1, 4, 8, 4))], [const("ends", np.array([8]))])
    assert "`axes` input axes is not an initializer" in reasons(sliced, "8.2")[("slice", "Slice")]

    for mode, ok_on in (("reflect", LINES), ("edge", LINES), ("wrap", ("10.0", "10.1"))):
        pad = model_of([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode=mode)],
                       [x], [tensor("y", shape=(1, 4, 9, 9))],
                       [const("pads", np.array([0, 0, 0, 0, 0, 0, 1, 1]))], opset=19)
        for line in LINES:
            node_problems = [p for p in parser_ops.unparseable_nodes(pad, line) if p[0]]
            assert (node_problems == []) == (line in ok_on), (mode, line)

    def resize(**attrs):
        return model_of([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize",
                                          **attrs)], [x], [tensor("y", shape=(1, 4, 16, 16))],
                        [const("scales", np.array([1, 1, 2, 2], np.float32))])
    assert parser_ops.unparseable_nodes(resize(mode="nearest",
                                               coordinate_transformation_mode="asymmetric"),
                                        "8.2") == []
    assert "mode 'cubic' unsupported" in reasons(resize(mode="cubic"), "8.2")[("resize", "Resize")]
    assert "tf_crop_and_resize" in reasons(
        resize(mode="linear", coordinate_transformation_mode="tf_crop_and_resize"),
        "10.1")[("resize", "Resize")]
    assert parser_ops.unparseable_nodes(resize(mode="linear"), "10.1") == []

    d2s = model_of([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=2,
                                     mode="CRD")], [x], [tensor("y", shape=(1, 1, 16, 16))])
    assert parser_ops.unparseable_nodes(d2s, "8.2") == []
    flat_d2s = model_of([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s",
                                          blocksize=2)],
                        [tensor("x", shape=(4, 8, 8))], [tensor("y", shape=(1, 16, 16))])
    assert "4-D" in reasons(flat_d2s, "10.1")[("d2s", "DepthToSpace")]

    string = model_of([helper.make_node("Constant", [], ["s"], name="text", value_string="a")],
                      [], [helper.make_tensor_value_info("s", TensorProto.STRING, [])])
    assert "value_string" in reasons(string, "8.2")[("text", "Constant")]


# --- where the importers contradict operators.md (issue 21) ---------------------------------

def conv_model(op="Conv", weights_from="dequantize", bias_from="initializer", rank=4):
    """A Conv (or ConvTranspose) whose weights come from an initializer, a graph input or a
    Q->DQ pair on a float initializer (what calibrate writes), and whose bias is an initializer,
    a graph input or absent."""
    shape = [1, 4] + [8] * (rank - 2)
    kernel = [4, 4] + [1] * (rank - 2)
    nodes, inputs = [], [tensor("x", shape=shape)]
    inits = [const("w", np.ones(kernel, np.float32))]
    if weights_from == "dequantize":
        inits += [const("w_scale", np.full(4, 0.1, np.float32)),
                  const("w_zero", np.zeros(4, np.int8))]
        nodes += [helper.make_node("QuantizeLinear", ["w", "w_scale", "w_zero"], ["w_q"],
                                   name="w_q", axis=0),
                  helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zero"], ["w_dq"],
                                   name="w_dq", axis=0)]
        w = "w_dq"
    elif weights_from == "input":
        inputs.append(tensor("w_in", shape=kernel))
        w = "w_in"
    else:
        w = "w"
    args = ["x", w]
    if bias_from == "initializer":
        inits.append(const("b", np.zeros(4, np.float32)))
        args.append("b")
    elif bias_from == "input":
        inputs.append(tensor("b_in", shape=(4,)))
        args.append("b_in")
    nodes.append(helper.make_node(op, args, ["y"], name="conv"))
    return model_of(nodes, inputs, [tensor("y", shape=shape)], inits)


@pytest.mark.parametrize("op", ["Conv", "ConvTranspose"])
@pytest.mark.parametrize("line", LINES)
def test_every_release_takes_conv_weights_from_a_tensor(line, op):
    # 8.2-GA and 8.4-GA's operators.md: "Weights `W` must be an initializer"; their importers
    # send tensor weights to convMultiInput (Conv) or kernelTensorPtr (ConvTranspose).
    for weights_from in ("dequantize", "input", "initializer"):
        assert parser_ops.unparseable_nodes(conv_model(op, weights_from), line) == [], \
            weights_from
    assert "Weights" not in row(line, op)["restrictions"]


def test_the_corrected_rows_keep_the_tables_text_and_say_where_they_were_read():
    assert "must be an initailizer" in row("8.2", "Conv")["docs_restrictions"]
    assert "Weights `W` must be an initializer" in row("8.4", "ConvTranspose")[
        "docs_restrictions"]
    for line, branch, path in (("8.2", "8.2-GA", "builtin_op_importers.cpp"),
                               ("8.4", "8.4-GA", "builtin_op_importers.cpp"),
                               ("10.1", "10.1-GA", "onnxOpImporters.cpp")):
        notes = parser_ops.release(line)["importer_corrections"]
        conv = [note for note in notes if note.startswith("Conv:")]
        assert len(conv) == 1 and "weights may be a tensor" in conv[0]
        assert "{} {}, Conv importer".format(branch, path) in conv[0]
        assert "convMultiInput" in conv[0]
        assert parser_ops.release(line)["importer"]["conv_tensor_weights"] is True


@pytest.mark.parametrize("op", ["Conv", "ConvTranspose"])
def test_a_tensor_bias_needs_8_5(op):
    # 8.2 and 8.4 assert the bias is an initializer; 8.5 on take a tensor bias too.
    model = conv_model(op, "dequantize", bias_from="input")
    for line in LINES:
        found = reasons(model, line)
        if line in ("8.2", "8.4"):
            assert found == {("conv", op): "bias b_in is not an initializer"}, line
        else:
            assert found == {}, line
        assert parser_ops.unparseable_nodes(conv_model(op, "input", bias_from=None), line) == []


@pytest.mark.parametrize("line", LINES)
def test_one_dimensional_convolution_and_pooling_are_taken(line):
    # Every release expands an (N, C, W) input to 4-D and back; rank 6 (4-D) is refused.
    assert parser_ops.unparseable_nodes(conv_model(rank=3), line) == []
    pool = model_of([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2],
                                      strides=[2])],
                    [tensor("x", shape=(1, 4, 8))], [tensor("y", shape=(1, 4, 4))])
    assert parser_ops.unparseable_nodes(pool, line) == []
    assert "only 1D, 2D or 3D convolutions (input of rank 6)" in reasons(
        conv_model(rank=6), line)[("conv", "Conv")]


def test_pooling_dilations_are_refused_by_8_x_and_9_0_and_ignored_by_10():
    dilated = model_of([helper.make_node("AveragePool", ["x"], ["y"], name="pool",
                                         kernel_shape=[2, 2], dilations=[2, 2])],
                       [tensor("x")], [tensor("y", shape=(1, 4, 6, 6))], opset=19)
    for line in LINES:
        found = [reason for name, op, reason in parser_ops.unparseable_nodes(dilated, line)
                 if name]
        expected = "would be ignored" if line.startswith("10.") else "unsupported"
        assert found == ["dilations [2, 2] {}{}".format(expected, (
            " (the importer pools without them)" if line.startswith("10.") else
            " (must be all ones)"))], line
    assert parser_ops.release("8.2")["importer"]["pool_dilations"] == "rejected"
    assert parser_ops.release("10.0")["importer"]["pool_dilations"] == "ignored"


def test_qdq_zero_point_must_be_given_before_9_and_zero_everywhere():
    scale = const("s", np.array(0.1, np.float32))

    def qdq(zero):
        inits = [scale] + ([const("z", np.array(zero, np.int8))] if zero is not None else [])
        args = ["x", "s"] + (["z"] if zero is not None else [])
        return model_of([helper.make_node("QuantizeLinear", args, ["q"], name="q"),
                         helper.make_node("DequantizeLinear", ["q"] + args[1:], ["y"],
                                          name="dq")],
                        [tensor("x")], [tensor("y")], inits)
    for line in LINES:
        assert parser_ops.unparseable_nodes(qdq(0), line) == [], line
        without = reasons(qdq(None), line)
        # 8.2 to 8.5 assert three inputs; 8.6 asserts it for INT8; 9.0 on take two. (Without
        # a zero point ONNX types the output UINT8, which the checks refuse on other grounds.)
        missing = "no y_zero_point input" in without.get(("q", "QuantizeLinear"), "")
        assert missing == (line in ("8.2", "8.4", "8.5", "8.6")), line
        shifted = reasons(qdq(3), line)
        assert "y_zero_point z is not all zeros" in shifted[("q", "QuantizeLinear")], line
        assert "x_zero_point z is not all zeros" in shifted[("dq", "DequantizeLinear")], line


def test_cubic_resize_from_8_5_and_8_2_wants_its_scales_an_initializer():
    x = tensor("x")

    def resize(mode, scales_from="initializer"):
        inits = [const("scales", np.array([1, 1, 2, 2], np.float32))]
        inputs = [x]
        if scales_from == "input":
            inits, inputs = [], [x, tensor("scales", shape=(4,))]
        return model_of([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize",
                                          mode=mode)], inputs,
                        [tensor("y", shape=(1, 4, 16, 16))], inits)
    for line in LINES:
        # Every table lists nearest and linear only; the importers map cubic from 8.5-GA.
        cubic = reasons(resize("cubic"), line)
        assert (cubic == {}) == (line not in ("8.2", "8.4")), line
        tensor_scales = reasons(resize("linear", "input"), line)
        if line == "8.2":
            assert tensor_scales == {("resize", "Resize"): "`scales` input scales is not an "
                                                           "initializer"}
        else:
            assert tensor_scales == {}, line
    assert "mode 'cubic' unsupported" in reasons(resize("cubic"), "8.4")[("resize", "Resize")]


def test_qdq_scales_must_be_positive():
    model = model_of([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
                      helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq")],
                     [tensor("x")], [tensor("y")],
                     [const("s", np.array(0.0, np.float32)), const("z", np.array(0, np.int8))])
    for line in LINES:
        assert "scale s is not all positive" in reasons(model, line)[("q", "QuantizeLinear")]


def test_the_tool_refuses_sources_where_an_importer_it_reads_is_missing():
    with pytest.raises(SystemExit, match="convMultiInput"):
        tool_scripts.load("trt_parser_ops").importer_corrections({"builtin_op_importers.cpp": "nothing here"})


def test_unknown_ops():
    custom = model_of([helper.make_node("Mystery", ["x"], ["y"], name="m", domain="acme")],
                      [tensor("x")], [tensor("y")], domains=("acme",))
    assert "needs the TensorRT plugin registered as Mystery" in reasons(custom, "8.6")[
        ("m", "Mystery")]
    assert parser_ops.unparseable_nodes(custom, "8.6", plugin_ops=("Mystery",)) == []
    unnamed = model_of([helper.make_node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2, 2])],
                       [tensor("x"), tensor("i", TensorProto.INT64)], [tensor("y")])
    assert list(reasons(unnamed, "8.2")) == [("#0", "MaxUnpool")]


# --- what prepare emits --------------------------------------------------------------------

SIZE = (36, 52)  # odd after two poolings: the native form's Pad is there
VGG_SIZE = (68, 100)
TARGETS = ("8.2", "8.6", NEWEST)
HEADS = {
    "bare": dict(),
    "argmax": dict(argmax=True),
    "frame-float-meanstd-argmax": dict(embed_preprocess=True, input_type="float32",
                                       argmax=True),
    "frame-auto-lcn-logits": dict(embed_preprocess=True, input_type="auto",
                                  normalization="lcn", argmax=True, keep_logits=True),
    "frame-uint8-meanstd-logits": dict(embed_preprocess=True, input_type="uint8",
                                       argmax=True, keep_logits=True),
}


def copy(model):
    duplicate = onnx.ModelProto()
    duplicate.CopyFrom(model)
    return duplicate


_SOURCES = {}


def source(name):
    """A fresh copy of each raw model (made once)."""
    if name not in _SOURCES:
        if name == "segnet-basic":
            _SOURCES[name] = zoo.create("segnet-basic", input_size=SIZE)
        elif name == "segnet-vgg16":
            _SOURCES[name] = zoo.create("segnet-vgg16", input_size=VGG_SIZE, class_count=12)
        else:
            _SOURCES[name] = onnx.load(os.path.join(FIXTURES, "segnet_tiny_{}.onnx".format(
                name)))
    return copy(_SOURCES[name])


def size_of(name):
    return VGG_SIZE if name == "segnet-vgg16" else SIZE


SOURCES = ("segnet-basic", "segnet-vgg16", "torchscript", "dynamo")


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("line", LINES)
def test_raw_exports_are_reported_unparseable(name, line):
    model = source(name)
    found = parser_ops.unparseable_nodes(model, line)
    ops = {op for _, op, _ in found}
    assert "MaxPool" in ops
    assert all(reason.startswith("indices output unsupported")
               for _, op, reason in found if op == "MaxPool")
    if name == "dynamo":
        assert "MaxUnpool" not in ops
        assert ("opset" in ops) == (line in ("8.2", "8.4", "8.5", "8.6", "9.0"))
    else:
        assert "MaxUnpool" in ops
    with pytest.raises(ModelError, match="cannot take"):
        parser_ops.check_parseable(model, line)


# UINT8 input is for 8.5 and newer (test_uint8_input_parses_from_8_5_only); VGG16 takes the two
# heads that between them emit every op, the small graphs take them all.
PREPARED = [(name, target, head) for name in SOURCES for target in TARGETS for head in
            sorted(HEADS)
            if not (target == "8.2" and HEADS[head].get("input_type") == "uint8")
            and (name != "segnet-vgg16" or head in ("bare", "frame-auto-lcn-logits"))]


@pytest.mark.parametrize("form", ["plugin", "native"])
@pytest.mark.parametrize("name, target, head", PREPARED)
def test_every_prepared_form_parses_on_the_release_it_was_prepared_for(name, target, head,
                                                                       form):
    if name == "dynamo" and not ONNX_KNOWS_OPSET_20:
        pytest.skip("onnx {} cannot prepare the dynamo export's opset 20 (prepare it on a "
                    "workstation)".format(onnx.__version__))
    options = dict(HEADS[head])
    model, _ = prepare_module.prepare(source(name), prepare_module.PrepareOptions(
        input_size=size_of(name), unpool_form=form, trt_version=target, **options))
    assert parser_ops.unparseable_nodes(model, target) == []
    parser_ops.check_parseable(model, target)
    if form == "plugin":
        ops = [node.op_type for node in model.graph.node]
        assert parser_ops.UNPOOL_PLUGIN_OP in ops
        assert {op for _, op, _ in parser_ops.unparseable_nodes(model, target, plugin_ops=())} \
            == {parser_ops.UNPOOL_PLUGIN_OP}


@pytest.mark.parametrize("form", ["plugin", "native"])
def test_forms_prepared_for_8_2_parse_on_every_release(form):
    model, _ = prepare_module.prepare(source("torchscript"), prepare_module.PrepareOptions(
        input_size=SIZE, unpool_form=form, trt_version="8.2", embed_preprocess=True,
        normalization="lcn", argmax=True, keep_logits=True))
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    for line in LINES:
        assert parser_ops.unparseable_nodes(model, line) == [], line


def test_uint8_input_parses_from_8_5_only():
    model, _ = prepare_module.prepare(source("segnet-basic"), prepare_module.PrepareOptions(
        input_size=SIZE, unpool_form="native", embed_preprocess=True, input_type="uint8",
        argmax=True))
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.UINT8
    for line in LINES:
        found = parser_ops.unparseable_nodes(model, line)
        if line in ("8.2", "8.4"):
            assert [op for _, op, _ in found] == ["Cast"]
            assert "has no UINT8 tensors" in found[0][2]
        else:
            assert found == [], line
