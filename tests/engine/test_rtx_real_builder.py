"""Every graph ``prepare`` and ``calibrate`` emit, for both shipped models and both zoo
architectures, through NVIDIA's own ONNX parser and builder: TensorRT for RTX's, which builds
ahead of time without a GPU. Native unpooling parses and builds (strongly typed: FP16 from the
FP16 graph, INT8 from Q/DQ), and the network's I/O is what the graph and the engine description
say; plugin unpooling fails on the plugin nodes alone, each named, when no plugin library is
loaded. Nothing here runs an engine (that needs an RTX GPU). Skipped, saying why, where the
wheels are absent; EDGE_SEGNET_REQUIRE_RTX=1 (CI) makes that a failure."""

import collections
import os
import time

import onnx
import onnx.helper
import pytest

from edge_segnet import prepare as prepare_module
from edge_segnet.graph import UNPOOL_OP, heads
from edge_segnet.models import metadata, shipped, zoo
from edge_segnet.quant import calibrate as calibrate_module, frames
from tests import rtx_support

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALIBRATION = os.path.join(ROOT, "calibration")
SHIPPED = ("segnet-basic-camvid", "segnet-basic-synthetic")
ZOO = ("segnet-basic", "segnet-vgg16")

# prepare's forms: (name, PrepareOptions keywords). No FP16 check: it measures the FP16 graph on
# ONNX Runtime and does not change it.
NATIVE_FORMS = (
    ("plain", {}),
    ("float32-meanstd", dict(embed_preprocess=True, input_type="float32")),
    ("uint8-meanstd", dict(embed_preprocess=True, input_type="uint8")),
    ("float32-lcn", dict(embed_preprocess=True, input_type="float32", normalization="lcn")),
    ("uint8-lcn", dict(embed_preprocess=True, input_type="uint8", normalization="lcn")),
    ("argmax", dict(argmax=True)),
    ("argmax-logits", dict(argmax=True, keep_logits=True)),
    ("fp16", dict(fp16=True)),
    ("fp16-io", dict(fp16=True, fp16_io=True)),
    ("fp16-float32-argmax", dict(fp16=True, embed_preprocess=True,
                                 input_type="float32", argmax=True)),
    ("fp16-io-uint8-argmax-logits", dict(fp16=True, fp16_io=True,
                                         embed_preprocess=True, input_type="uint8",
                                         argmax=True, keep_logits=True)),
)
PLUGIN_FORMS = (
    ("plugin", {}),
    ("plugin-fp16", dict(fp16=True)),
    ("plugin-uint8-argmax-logits", dict(embed_preprocess=True, input_type="uint8", argmax=True,
                                        keep_logits=True)),
)

Form = collections.namedtuple("Form", "model name path options")


def _sources(directory):
    paths = {name: shipped.resolve(name) for name in SHIPPED}
    for name in ZOO:
        paths[name] = os.path.join(directory, name + ".onnx")
        zoo.save(zoo.create(name), paths[name])
    return paths


@pytest.fixture(scope="session")
def rtx():
    return rtx_support.bindings()


@pytest.fixture(scope="session")
def forms(rtx, tmp_path_factory):
    """Every form, written once per session: {"native": [...], "plugin": [...]}."""
    directory = str(tmp_path_factory.mktemp("rtx-forms"))
    made = {"native": [], "plugin": []}
    for model, source in sorted(_sources(directory).items()):
        for unpool, table in (("native", NATIVE_FORMS), ("plugin", PLUGIN_FORMS)):
            for name, keywords in table:
                path = os.path.join(directory, "{}.{}.{}.onnx".format(model, unpool, name))
                prepared, _ = prepare_module.prepare(zoo.load(source), prepare_module
                                                     .PrepareOptions(unpool_form=unpool,
                                                                     **keywords))
                zoo.save(prepared, path)
                made[unpool].append(Form(model, "{} {}".format(unpool, name), path,
                                         keywords))
        # calibrate's forms with native unpooling: from the raw export (prepared as build does:
        # pre-processing, arg-max and logits in the graph) and from prepare's plain output (kept
        # as it is). One synthetic frame: the graph's structure, not its scales, is under test.
        plain = [form.path for form in made["native"] if form.model == model and
                 form.name == "native plain"][0]
        for name, float_path in (("int8 from the export", source), ("int8 from prepare", plain)):
            path = os.path.join(directory, "{}.native.{}.int8.onnx".format(
                model, name.rsplit(" ", 1)[-1]))
            calibrate_module.calibrate(float_path, frames.CalibrationSet(synthetic=1), path,
                                       calibrate_module.CalibrateOptions(unpool_form="native"))
            made["native"].append(Form(model, "native " + name, path, {"int8": True}))
    # The shipped Q/DQ models (plugin unpooling, as calibration/README.md made them).
    for model in SHIPPED:
        made["plugin"].append(Form(model, "plugin int8 (calibration/)", os.path.join(
            CALIBRATION, model, model + ".int8.onnx"), {"int8": True}))
    return made


@pytest.fixture(scope="session")
def built(rtx, forms):
    """The real builder's result for every native form, built once."""
    results = []
    start = time.perf_counter()
    for form in forms["native"]:
        with open(form.path, "rb") as handle:
            results.append((form, rtx_support.parse_and_build(rtx, handle.read())))
    count = sum(1 for _, network in results if network.plan_bytes)
    print("\nTensorRT for RTX {}: {} graphs parsed and built (strongly typed, ahead of time for "
          "{}) in {:.1f} s".format(rtx.__version__, count, ", ".join(
              "SM{}{}".format(*cc) for cc in rtx_support.rtx.COMPUTE_CAPABILITIES),
              time.perf_counter() - start))
    return results


def _graph_io(model):
    """The ONNX graph's I/O as the engine description records it: (name, mode, shape, numpy
    dtype name), inputs first."""
    def record(value, mode):
        tensor = value.type.tensor_type
        return (value.name, mode, tuple(dim.dim_value for dim in tensor.shape.dim),
                onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name)
    return [record(value, "input") for value in model.graph.input] + \
        [record(value, "output") for value in model.graph.output]


def _expected_io(form, model):
    """The I/O the form's options and prepare's metadata imply, independently of the graph's
    declarations: the input format prepare recorded (uint8 NHWC frame, float NCHW frame or the
    normalised NCHW tensor), FP16 float I/O only with --fp16-io, arg-max's int32 label map
    and the logits beside it with --keep-logits (calibrate's export forms keep both)."""
    info = metadata.ModelInfo.from_model(model)
    height, width = info.input_size
    input_format = info.extra.get("input_format", heads.FORMAT_NORMALIZED)
    float_type = "float16" if form.options.get("fp16_io") else "float32"
    if input_format == heads.FORMAT_BGR_UINT8:
        expected_input = ((1, height, width, 3), "uint8")
    else:
        expected_input = ((1, 3, height, width), float_type)
    argmax = form.options.get("argmax") or "export" in form.name
    logits = ((1, len(info.labels), height, width), float_type)
    outputs = [((1, height, width), "int32")] if argmax else []
    if not argmax or form.options.get("keep_logits") or "export" in form.name:
        outputs.append(logits)
    return expected_input, outputs


def test_every_native_form_parses_and_builds(built):
    failed = ["{} {}: {}".format(form.model, form.name, "; ".join(
        "{} ({}): {}".format(*error) for error in network.errors) or "the builder returned "
        "no engine") for form, network in built if not network.plan_bytes]
    assert not failed
    models = {form.model for form, _ in built}
    assert models == set(SHIPPED + ZOO)
    assert len(built) >= 40


def test_network_io_is_the_graphs_and_the_descriptions(built):
    for form, network in built:
        model = onnx.load(form.path)
        assert network.io() == _graph_io(model), (form.model, form.name)
        expected_input, expected_outputs = _expected_io(form, model)
        (name, shape, dtype), = network.inputs
        assert (shape, dtype) == expected_input, (form.model, form.name, name)
        assert [(shape, dtype) for _, shape, dtype in network.outputs] == expected_outputs, (
            form.model, form.name)
        if len(network.outputs) == 2:
            assert network.outputs[0][0] == heads.LABELS_OUTPUT, (form.model, form.name)


def test_fp16_and_int8_are_in_the_network_not_flags(built):
    """Strongly typed: the FP16 forms' layers compute in FP16, the calibrated ones hold INT8
    tensors from their Q/DQ nodes, and the FP32 forms hold neither."""
    for form, network in built:
        half = network.layer_outputs.get("float16", 0)
        int8 = network.layer_outputs.get("int8", 0)
        if form.options.get("fp16"):
            assert half > network.layer_outputs.get("float32", 0), (form, network.layer_outputs)
        else:
            assert half == 0, (form, network.layer_outputs)
        quantize_nodes = sum(1 for node in onnx.load(form.path).graph.node
                             if node.op_type == "QuantizeLinear")
        assert int8 == (quantize_nodes if form.options.get("int8") else 0), (
            form, network.layer_outputs, quantize_nodes)


def test_plugin_forms_fail_on_the_plugin_nodes_alone(rtx, forms):
    for form in forms["plugin"]:
        model = onnx.load(form.path)
        plugin_nodes = sorted(node.name for node in model.graph.node if node.op_type == UNPOOL_OP)
        assert plugin_nodes, form
        with open(form.path, "rb") as handle:
            network = rtx_support.parse_and_build(rtx, handle.read(), quiet=True)
        assert not network.parsed, form
        assert sorted(name for name, _, _ in network.errors) == plugin_nodes, (form,
                                                                               network.errors)
        for name, op, desc in network.errors:
            assert op == UNPOOL_OP and "Plugin not found" in desc, (form, name, op, desc)
