"""Every form ``prepare`` and ``calibrate`` emit, against each release line's parser table as
corrected from onnx-tensorrt's importers: the plugin and native unpooling, the pre-processing
and arg-max heads, FP16, and the Q/DQ (INT8) models, the shipped ones included. Issue 21 item 6:
8.2's and 8.4's tables say Conv weights must be initializers, their importers take the tensor a
DequantizeLinear gives, and ``build <shipped>.int8.onnx --int8 --print-trtexec --trt-version
8.2`` was refused."""

import inspect
import os
import shutil

import onnx
import pytest
from onnx import TensorProto

from edge_segnet import prepare as prepare_module
from edge_segnet.models import zoo
from edge_segnet.trt_facts import parser_ops, releases
from tests.test_cli import cli  # noqa: F401 (fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALIBRATION = os.path.join(ROOT, "calibration")
SHIPPED_QDQ = ("segnet-basic-camvid", "segnet-basic-synthetic")
# One release of each table line (9.x reads 9.0's, 10.2 on and 11.x the newest one's).
RELEASES = ("8.2.1", "8.4.3", "8.5.2", "8.6.1", "9.0.1", "10.0.1", "10.1.0", "11.1")
SIZE = (36, 52)  # odd after two poolings: the native form's Pad is there
HEADS = {
    "bare": dict(),
    "argmax": dict(argmax=True),
    "frame-float-argmax": dict(embed_preprocess=True, input_type="float32", argmax=True),
    "frame-auto-lcn-logits": dict(embed_preprocess=True, input_type="auto",
                                  normalization="lcn", argmax=True, keep_logits=True),
    "frame-uint8-logits": dict(embed_preprocess=True, input_type="uint8", argmax=True,
                               keep_logits=True),
}


def test_the_releases_here_cover_every_table_line():
    assert sorted({parser_ops.release_line(version) for version in RELEASES}) == sorted(
        entry["line"] for entry in parser_ops.lines())


def plugin_ops(form):
    return (parser_ops.UNPOOL_PLUGIN_OP,) if form == "plugin" else ()


def qdq_path(name):
    return os.path.join(CALIBRATION, name, "{}.int8.onnx".format(name))


_RAW = {}


def raw():
    if "model" not in _RAW:
        _RAW["model"] = zoo.create("segnet-basic", input_size=SIZE, seed=5)
    duplicate = onnx.ModelProto()
    duplicate.CopyFrom(_RAW["model"])
    return duplicate


def assert_parses(model, version, form="plugin"):
    assert parser_ops.unparseable_nodes(model, version, plugin_ops=plugin_ops(form)) == []
    parser_ops.check_parseable(model, version, plugin_ops=plugin_ops(form))


# --- the Q/DQ models ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED_QDQ)
@pytest.mark.parametrize("version", RELEASES)
def test_the_shipped_qdq_models_parse_on_every_release(version, name):
    model = onnx.load(qdq_path(name))
    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    producers = {out: node.op_type for node in model.graph.node for out in node.output}
    # The case the table got wrong: weights from a DequantizeLinear, not initializers.
    assert any(producers.get(node.input[1]) == "DequantizeLinear" for node in convs)
    assert_parses(model, version)


def _calibrate_works():
    try:
        import onnxruntime.quantization
    except ImportError:
        return False
    return "calibration_cache_path" in inspect.signature(
        onnxruntime.quantization.quantize_static).parameters


_CALIBRATED = {}


def calibrated(tmp_dir, version, form):
    """calibrate's Q/DQ model for ``version``'s graph (float frames before 8.5, uint8 from
    it), made once per input type and unpooling form."""
    input_type = "uint8" if releases.supports_uint8_input(releases.parse_version(version)) \
        else "float32"
    key = (input_type, form)
    if key not in _CALIBRATED:
        from edge_segnet.quant import calibrate, frames

        source = os.path.join(tmp_dir, "raw.onnx")
        if not os.path.exists(source):
            zoo.save(raw(), source)
        out = os.path.join(tmp_dir, "{}-{}.int8.onnx".format(*key))
        full = version if version.count(".") >= 2 else version + ".0"
        calibrate.calibrate(source, frames.CalibrationSet(synthetic=2), out,
                            calibrate.CalibrateOptions(method="minmax", trt_version=full,
                                                       unpool_form=form))
        _CALIBRATED[key] = onnx.load(out)
    return _CALIBRATED[key], input_type


@pytest.fixture(scope="module")
def calibration_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("calibrated"))


@pytest.mark.skipif(not _calibrate_works(), reason="this onnxruntime's quantize_static takes "
                    "no given ranges: calibrate refuses here (tests/quant/conftest.py)")
@pytest.mark.parametrize("form", ["plugin", "native"])
@pytest.mark.parametrize("version", RELEASES)
def test_calibrated_qdq_models_parse_on_the_release_they_are_for(calibration_dir, version,
                                                                  form):
    model, input_type = calibrated(calibration_dir, version, form)
    ops = {node.op_type for node in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "ArgMax"} <= ops
    assert (parser_ops.UNPOOL_PLUGIN_OP in ops) == (form == "plugin")
    elem = model.graph.input[0].type.tensor_type.elem_type
    assert elem == (TensorProto.UINT8 if input_type == "uint8" else TensorProto.FLOAT)
    assert_parses(model, version, form)


# --- the float forms ---------------------------------------------------------------------------

def prepared(version, form, head, **extra):
    options = dict(HEADS[head])
    options.update(extra)
    model, _ = prepare_module.prepare(raw(), prepare_module.PrepareOptions(
        input_size=SIZE, unpool_form=form, trt_version=version, **options))
    return model


# uint8 frames need TensorRT 8.5: before it, prepare refuses them (test_parser_ops.py checks
# the refusal), so those pairs are not cases here.
PREPARABLE = [(version, head) for version in RELEASES for head in sorted(HEADS)
              if HEADS[head].get("input_type") != "uint8"
              or releases.supports_uint8_input(releases.parse_version(version))]


@pytest.mark.parametrize("form", ["plugin", "native"])
@pytest.mark.parametrize("version, head", PREPARABLE)
def test_every_prepared_form_parses_on_the_release_it_is_for(version, form, head):
    assert_parses(prepared(version, form, head), version, form)


@pytest.mark.parametrize("form", ["plugin", "native"])
@pytest.mark.parametrize("version", RELEASES)
def test_fp16_forms_parse_on_the_release_they_are_for(version, form):
    pytest.importorskip("onnxconverter_common.float16",
                        reason="onnxconverter-common is not installed (edge-segnet[fp16])")
    model = prepared(version, form, "frame-auto-lcn-logits", fp16=True)
    assert any(init.data_type == TensorProto.FLOAT16 for init in model.graph.initializer)
    assert_parses(model, version, form)


# --- the command of the issue ------------------------------------------------------------------

@pytest.mark.parametrize("version", ["8.2", "8.4", "8.5", "10.1"])
def test_build_print_trtexec_takes_the_shipped_int8_model(cli, tmp_path, monkeypatch,  # noqa: F811
                                                          version):
    # The command as calibration/README gives it, run from a copy of the folder so that what
    # --print-trtexec writes beside the model (MODEL.trtexec.onnx) lands in tmp_path.
    relative = os.path.join("calibration", "segnet-basic-camvid",
                            "segnet-basic-camvid.int8.onnx")
    os.makedirs(str(tmp_path / "calibration" / "segnet-basic-camvid"))
    shutil.copyfile(qdq_path("segnet-basic-camvid"), str(tmp_path / relative))
    monkeypatch.chdir(str(tmp_path))
    result = cli("build", relative, "--int8", "--print-trtexec", "--trt-version", version)
    assert result.exit_code == 0, result.output
    written = os.path.join("calibration", "segnet-basic-camvid",
                           "segnet-basic-camvid.int8.trtexec.onnx")
    assert "wrote {}".format(written) in result.output
    assert "--int8" in result.output and os.path.isfile(str(tmp_path / written))
