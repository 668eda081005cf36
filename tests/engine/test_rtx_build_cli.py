"""``edge-segnet build --target rtx`` end to end with TensorRT for RTX's real parser and builder
(ahead of time, no GPU): the engine and its description for FP32, FP16 (the FP16 graph) and INT8
(a Q/DQ model), the refusals said in one line before any work (capabilities it lacks,
calibrators, DLA, the plugin form without the unversioned library link) and the parser's own
error naming node and op; an RTX engine where no RTX GPU is, in one line. Skipped, saying why,
where the wheels are absent; EDGE_SEGNET_REQUIRE_RTX=1 (CI) makes that a failure."""

import hashlib
import json
import os

import onnx
import pytest
from onnx import helper, numpy_helper

from edge_segnet.engine import cuda_memory, plan
from edge_segnet.graph import UNPOOL_OP
from edge_segnet.models import zoo
from edge_segnet.platform import installed
from edge_segnet.quant import calibrate as calibrate_module, frames
from edge_segnet.trt_facts import rtx
from tests import rtx_support
from tests.test_cli import assert_one_line_error, cli  # noqa: F401 (fixture)

SIZE = (36, 52)


@pytest.fixture(scope="module")
def rtx_module():
    return rtx_support.bindings()


@pytest.fixture(scope="module")
def models(rtx_module, tmp_path_factory):
    """A small raw export, its native-unpooling Q/DQ model (calibrate, one synthetic frame) and
    its plugin-form raw export."""
    directory = tmp_path_factory.mktemp("rtx-cli")
    raw = str(directory / "segnet.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=SIZE), raw)
    int8 = str(directory / "segnet.int8.onnx")
    calibrate_module.calibrate(raw, frames.CalibrationSet(synthetic=1), int8,
                               calibrate_module.CalibrateOptions(unpool_form="native"))
    return {"raw": raw, "int8": int8, "dir": directory}


def _build(cli, *args):
    return cli("build", *args)


def _sidecar(engine):
    with open(engine + ".json") as handle:
        return json.load(handle)


@pytest.mark.parametrize("precision, quantization", [
    ("--fp32", None), ("--fp16", None), ("--int8", "qdq")])
def test_build_target_rtx_writes_a_real_engine_and_its_description(
        cli, rtx_module, models, tmp_path, precision, quantization):
    source = models["int8"] if precision == "--int8" else models["raw"]
    engine = str(tmp_path / "m.engine")
    result = _build(cli, source, "--target", "rtx", precision, "--compute-capability",
                    "86,89", "-o", engine)
    assert result.exit_code == 0, result.output
    assert "TensorRT for RTX {} ahead of time for compute capability 8.6, 8.9".format(
        rtx_module.__version__) in result.output
    with open(engine, "rb") as handle:
        data = handle.read()
    assert len(data) > 10000
    described = _sidecar(engine)
    assert described["tensorrt"] == {"version": rtx_module.__version__, "flavour": "rtx"}
    assert described["targets"] == {"compute_capabilities": [[8, 6], [8, 9]],
                                    "ahead_of_time": True}
    assert described["gpu"]["name"] is None  # no GPU was asked for
    assert described["precision"] == precision[2:]
    assert described["quantization"] == quantization
    assert described["flags"] == []  # strongly typed: the graph's types are the precision
    assert described["unpool"] == "native" and described["plugin"] is None
    assert described["engine_sha256"] == hashlib.sha256(data).hexdigest()
    assert described["engine_bytes"] == len(data)
    height, width = SIZE
    io = {(t["mode"], t["name"]): (t["dtype"], t["shape"]) for t in described["io"]}
    assert io[("output", "labels")] == ("int32", [1, height, width])
    # FP16 computes inside; its I/O stays float32 (--fp16-io is prepare's).
    assert io[("output", "logits")] == ("float32", [1, 12, height, width])
    (input_dtype, input_shape), = [value for key, value in io.items() if key[0] == "input"]
    # build prepares for 11.x's facts: uint8 frames, except a Q/DQ model that is kept as is.
    assert (input_dtype, input_shape) == (("float32", [1, 3, height, width]) if quantization
                                          else ("uint8", [1, height, width, 3]))
    if precision == "--fp16":
        assert any(step.startswith("fp16") for step in described["prepared_passes"])


def test_a_second_build_is_up_to_date_and_other_targets_rebuild(cli, rtx_module, models,
                                                                tmp_path):
    engine = str(tmp_path / "m.engine")
    assert _build(cli, models["raw"], "--target", "rtx", "-o", engine).exit_code == 0
    described = _sidecar(engine)
    assert described["targets"]["compute_capabilities"] == [
        list(cc) for cc in rtx.DEFAULT_COMPUTE_CAPABILITIES]
    again = _build(cli, models["raw"], "--target", "rtx", "-o", engine)
    assert again.exit_code == 0 and "up to date" in again.output
    other = _build(cli, models["raw"], "--target", "rtx", "--compute-capability", "75",
                   "-o", engine)
    assert other.exit_code == 0 and "up to date" not in other.output
    assert _sidecar(engine)["targets"]["compute_capabilities"] == [[7, 5]]


def test_only_tensorrt_for_rtx_installed_is_chosen_without_target(cli, rtx_module, models,
                                                                  tmp_path, without_modules):
    without_modules("tensorrt")
    engine = str(tmp_path / "m.engine")
    result = _build(cli, models["raw"], "-o", engine)
    assert result.exit_code == 0, result.output
    assert _sidecar(engine)["tensorrt"]["flavour"] == "rtx"


def test_the_parsers_own_error_names_node_and_op(cli, rtx_module, models, tmp_path):
    """A prepared graph whose convolution weights do not fit its input: nothing of ours can
    tell, NVIDIA's parser does."""
    built = plan.plan(models["raw"], plan.BuildOptions(target="rtx"), flavour="rtx")
    model = built.model
    conv = [node for node in model.graph.node if node.op_type == "Conv"][3]
    weights = [init for init in model.graph.initializer if init.name == conv.input[1]][0]
    array = numpy_helper.to_array(weights)
    weights.CopyFrom(numpy_helper.from_array(array[:, :array.shape[1] // 2].copy(),
                                             weights.name))
    path = str(tmp_path / "broken.onnx")
    zoo.save(model, path)
    result = _build(cli, path, "--target", "rtx", "-o", str(tmp_path / "b.engine"))
    assert_one_line_error(result, 1, "TensorRT for RTX {}'s ONNX parser rejected the model: "
                                     "node ".format(rtx_module.__version__))
    assert "'{}' (Conv): ".format(conv.name) in result.output
    assert not os.path.exists(str(tmp_path / "b.engine"))


def test_an_op_the_parser_cannot_take_is_named(cli, rtx_module, models, tmp_path):
    built = plan.plan(models["raw"], plan.BuildOptions(target="rtx"), flavour="rtx")
    model = built.model
    logits = model.graph.output[-1].name
    model.graph.node.append(helper.make_node("StringNormalizer", [logits], ["words"],
                                             name="odd_node"))
    path = str(tmp_path / "odd.onnx")
    onnx.save(model, path)
    result = _build(cli, path, "--target", "rtx", "-o", str(tmp_path / "o.engine"))
    assert_one_line_error(result, 1, "odd_node (StringNormalizer")
    # The refusal names the parser it stands for: TensorRT for RTX's, not TensorRT 11.1's.
    assert result.output.startswith(
        "error: TensorRT for RTX's ONNX parser cannot take 1 node: odd_node (StringNormalizer")


@pytest.mark.parametrize("args, text", [
    (["--compute-capability", "53"], "--compute-capability 53: TensorRT for RTX {} builds for "
                                     "compute capability 7.5, 8.0, 8.6, 8.9, 12.0, 12.1 only"
     .format(rtx.WHEEL_VERSION)),
    (["--compute-capability", "86,x"], "--compute-capability 'x'"),
    (["--int8", "--calib-cache", "CACHE"], "--calib-cache with --target rtx: TensorRT for RTX "
                                           "has no calibrators"),
    (["--dla-core", "0"], "--dla-core with --target rtx: TensorRT for RTX builds for RTX GPUs"),
    (["--target", "jetson"], "--target must be one of tensorrt, rtx; got 'jetson'"),
])
def test_what_rtx_lacks_is_refused_in_one_line(cli, rtx_module, models, tmp_path, args, text):
    cache = tmp_path / "x.calib"
    cache.write_text("TRT-8501-EntropyCalibration2\n")
    args = [str(cache) if arg == "CACHE" else arg for arg in args]
    if "--target" not in args:
        args = ["--target", "rtx"] + args
    engine = str(tmp_path / "r.engine")
    assert_one_line_error(_build(cli, models["raw"], *args, "-o", engine), 2, text)
    assert not os.path.exists(engine)


def test_the_plugin_form_without_the_unversioned_library_fails_before_the_parser(
        cli, rtx_module, models, tmp_path, monkeypatch):
    """Without libtensorrt_rtx.so the real parser would end the process (std::terminate) on
    the plugin node: the build says the exact ln -s first. A folder without the link stands for
    the wheel's."""
    bare = tmp_path / "bare-libs"
    bare.mkdir()
    monkeypatch.setattr(installed, "rtx_lib_dir", lambda: str(bare))
    result = _build(cli, models["raw"], "--target", "rtx", "--unpool", "plugin", "-o",
                    str(tmp_path / "p.engine"))
    assert_one_line_error(result, 1, "ln -s libtensorrt_rtx.so.1 {}".format(
        os.path.join(str(bare), "libtensorrt_rtx.so")))
    assert "the unpooling plugin cannot be used with TensorRT for RTX" in result.output


def test_the_plugin_form_with_the_link_goes_on_to_load_the_plugin(cli, rtx_module, models,
                                                                  tmp_path, no_built_plugin):
    """With the link (the wheel's folder) and no plugin library, the plugin build stops at
    loading the library: the plugin form is otherwise the one TensorRT uses."""
    result = _build(cli, models["raw"], "--target", "rtx", "--unpool", "plugin", "-o",
                    str(tmp_path / "p.engine"))
    assert_one_line_error(result, 1, "the unpooling plugin cannot be loaded")


def test_print_trtexec_gives_the_tensorrt_rtx_line(cli, rtx_module, models, tmp_path):
    engine = str(tmp_path / "m.engine")
    result = _build(cli, models["raw"], "--target", "rtx", "--compute-capability", "75,120",
                    "--print-trtexec", "-o", engine)
    assert result.exit_code == 0, result.output
    graph = str(tmp_path / "m.trtexec.onnx")
    assert result.output.splitlines()[-1] == (
        "tensorrt_rtx --onnx={} --saveEngine={} --computeCapabilities=75,120 "
        "--skipInference".format(graph, engine))
    assert not any(node.op_type == UNPOOL_OP for node in onnx.load(graph).graph.node)


def test_an_rtx_engine_without_an_rtx_gpu_is_one_line(cli, rtx_module, models, tmp_path,
                                                      monkeypatch):
    engine = str(tmp_path / "m.engine")
    assert _build(cli, models["raw"], "--target", "rtx", "--compute-capability", "86", "-o",
                  engine).exit_code == 0

    def no_device():  # what pycuda's cuInit says on a machine without a GPU
        raise cuda_memory.CudaError("CUDA is not usable through pycuda: cuInit failed: no CUDA-"
                                    "capable device is detected")
    monkeypatch.setattr(cuda_memory, "open_cuda", no_device)
    for command in (["verify", models["raw"], engine], ["profile", engine]):
        assert_one_line_error(cli(*command), 2, "{}: this engine needs an NVIDIA RTX GPU "
                                                "(compute capability 8.6); none found".format(
                                                    engine))
