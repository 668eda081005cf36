import re

import onnx
import pytest

from edge_segnet import prepare
from edge_segnet.graph import UNPOOL_OP, fp16
from edge_segnet.models import zoo

float16 = pytest.importorskip("onnxconverter_common.float16",
                              reason="onnxconverter-common is not installed (edge-segnet[fp16])")


def _prepared(normalization="meanstd"):
    model = zoo.create("segnet-basic", input_size=(36, 52))
    options = prepare.PrepareOptions(input_size=(36, 52), embed_preprocess=True,
                                     input_type="uint8", normalization=normalization,
                                     argmax=True, keep_logits=True, trt_version="11.1")
    return prepare.prepare(model, options)[0]


def _types(model):
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {value.name: value.type.tensor_type.elem_type for value in
             list(inferred.graph.value_info) + list(inferred.graph.input) +
             list(inferred.graph.output)}
    return types


def test_fp16_keeps_the_io_types_and_halves_the_convolutions():
    model = _prepared()
    before = {value.name: value.type.tensor_type.elem_type for value in
              list(model.graph.input) + list(model.graph.output)}
    fp16.convert(model)
    after = {value.name: value.type.tensor_type.elem_type for value in
             list(model.graph.input) + list(model.graph.output)}
    assert after == before
    weights = {init.name: init.data_type for init in model.graph.initializer}
    conv_weights = [node.input[1] for node in model.graph.node if node.op_type == "Conv"]
    assert conv_weights and all(weights[name] == onnx.TensorProto.FLOAT16
                                for name in conv_weights)
    types = _types(model)
    unpool_inputs = [name for node in model.graph.node if node.op_type == UNPOOL_OP
                     for name in node.input]
    assert unpool_inputs and all(types.get(name) == onnx.TensorProto.FLOAT16
                                 for name in unpool_inputs)


def test_local_contrast_normalisation_stays_in_fp32():
    model = _prepared("lcn")
    fp16.convert(model)
    types = _types(model)
    # prepare writes the normalisation as AveragePool of squares and a Pow of the sum.
    powers = [node for node in model.graph.node if node.op_type == "Pow"]
    assert powers and all(types.get(node.output[0]) == onnx.TensorProto.FLOAT
                          for node in powers)


def test_fp16_agrees_with_fp32_on_the_synthetic_scene_model_where_onnx_runtime_runs_fp16():
    import cv2

    from edge_segnet.models import shipped
    from edge_segnet.data.synthetic import synthetic_frames

    ort = pytest.importorskip("onnxruntime", reason="ONNX Runtime is not installed")
    options = prepare.PrepareOptions(unpool_form="native", embed_preprocess=True,
                                     input_type="uint8", argmax=True, keep_logits=True,
                                     trt_version="11.1")
    reference = prepare.prepare(zoo.load(shipped.synthetic_model_path()), options)[0]
    half = onnx.ModelProto()
    half.CopyFrom(reference)
    fp16.convert(half)

    def session(model):
        return ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"])

    try:
        half_session = session(half)
    except Exception as exc:  # ORT 1.10's CPU provider has no FP16 convolutions
        pytest.skip("ONNX Runtime cannot run FP16 on this CPU: {}".format(
            str(exc).splitlines()[0][:120]))
    reference_session = session(reference)
    agree = pixels = 0
    for frame in synthetic_frames(3):
        feed = {reference.graph.input[0].name: cv2.resize(frame, (256, 128))[None]}
        labels_half = half_session.run(None, feed)[0]
        labels = reference_session.run(None, feed)[0]
        agree += int((labels_half == labels).sum())
        pixels += labels.size
    assert agree / float(pixels) >= 0.995  # selftest's bar for FP16 engines


def test_fp16_io_makes_the_float_input_and_logits_half_and_the_segmenter_feeds_them(
        tmp_path):
    pytest.importorskip("onnxruntime", reason="runs the FP16 graph on ONNX Runtime")
    from edge_segnet.models import shipped
    from edge_segnet.runtime import open_segmenter
    from edge_segnet.data.synthetic import synthetic_frames

    options = prepare.PrepareOptions(unpool_form="native", argmax=True, keep_logits=True,
                                     fp16=True, fp16_io=True)
    out = str(tmp_path / "half-io.onnx")
    prepare.prepare_file(shipped.synthetic_model_path(), out, options)
    model = onnx.load(out)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    types = {value.name: value.type.tensor_type.elem_type for value in model.graph.output}
    assert types["labels"] == onnx.TensorProto.INT32
    assert onnx.TensorProto.FLOAT16 in types.values()
    segmenter = open_segmenter(out)
    result = segmenter.infer(next(synthetic_frames(1)), want_logits=True)
    assert result.labels.shape == (128, 256) and result.logits.dtype.name == "float32"


def test_a_model_prepared_in_fp16_is_not_converted_again_for_tensorrt_11(tmp_path):
    from edge_segnet.engine import plan
    from edge_segnet.models import shipped

    out = str(tmp_path / "half.onnx")
    prepare.prepare_file(shipped.synthetic_model_path(), out, prepare.PrepareOptions(
        embed_preprocess=True, argmax=True, keep_logits=True, fp16=True,
        trt_version="11.1"))
    built = plan.plan(out, plan.BuildOptions(precision="fp16", trt_version="11.1"))
    assert built.passes == []


@pytest.mark.parametrize("made_by", ["calibration", "fp16"])
def test_prepare_fp16_refuses_a_model_that_is_not_fp32(tmp_path, made_by):
    import os

    from edge_segnet.errors import ModelError
    from edge_segnet.models import shipped

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if made_by == "calibration":
        source = os.path.join(root, "calibration", "segnet-basic-synthetic",
                              "segnet-basic-synthetic.int8.onnx")
        message = "holds Q/DQ"
    else:
        source = str(tmp_path / "half.onnx")
        prepare.prepare_file(shipped.synthetic_model_path(), source, prepare.PrepareOptions(
            argmax=True, fp16=True))
        message = "computes in FP16 already"
    with pytest.raises(ModelError, match=message):
        prepare.prepare_file(source, str(tmp_path / "again.onnx"),
                             prepare.PrepareOptions(fp16=True))
    assert not os.path.exists(str(tmp_path / "again.onnx"))


def test_values_outside_fp16_s_range_are_counted_in_the_pass_line_not_warned_one_by_one():
    import warnings

    import numpy as np
    from onnx import numpy_helper

    def tiny_warnings(line):
        found = re.search(r"values under 1e-7 raised to \+-1e-7 \((\d+) converter warnings\)",
                          line)
        return int(found.group(1)) if found else 0

    untouched = tiny_warnings(fp16.convert(_prepared()))
    model = _prepared()
    conv = next(node for node in model.graph.node if node.op_type == "Conv")
    weight = next(init for init in model.graph.initializer if init.name == conv.input[1])
    values = numpy_helper.to_array(weight).copy()
    values.flat[0], values.flat[1], values.flat[2] = 1e-9, -1e-9, 1e6
    weight.CopyFrom(numpy_helper.from_array(values, weight.name))
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        line = fp16.convert(model)
    assert [str(warning.message) for warning in escaped] == []
    assert tiny_warnings(line) == untouched + 2  # one per sign of the first Conv's weights
    assert "values beyond FP16 cut to +-65504 (1 converter warnings)" in line
