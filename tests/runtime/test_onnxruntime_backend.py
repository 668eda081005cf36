import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

from edge_segnet.errors import EdgeSegnetError, ModelError, OutOfMemoryError, UsageError
from edge_segnet.models import segnet
from edge_segnet.runtime import open_segmenter, preprocess
from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter


def _save(tmp_path, graph, name="m.onnx"):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", segnet.OPSET)])
    model.ir_version = segnet.IR_VERSION
    path = str(tmp_path / name)
    onnx.save(model, path)
    return path


def test_labels_equal_argmax_of_a_bare_session_on_the_same_tensor(small_basic_model_path, frame):
    segmenter = open_segmenter(small_basic_model_path)
    result = segmenter.infer(frame, want_logits=True)
    session = onnxruntime.InferenceSession(small_basic_model_path,
                                           providers=["CPUExecutionProvider"])
    tensor = segmenter.prepare_input(frame)
    (logits,) = session.run(None, {"input": tensor})
    assert result.labels.shape == (36, 52) and result.labels.dtype == np.int32
    np.testing.assert_allclose(result.logits, logits, atol=1e-5)
    assert np.array_equal(result.labels, np.argmax(logits[0], axis=0))
    assert set(segmenter.last_timings_ms) == {"preprocess", "inference", "postprocess"}


def test_frames_of_any_size_and_gray_frames_are_accepted(small_basic_model_path):
    segmenter = open_segmenter(small_basic_model_path, threads=1)
    for shape in [(720, 1280, 3), (17, 23, 3), (36, 52), (36, 52, 4)]:
        result = segmenter.infer(np.full(shape, 90, np.uint8))
        assert result.labels.shape == (36, 52)
        assert result.logits is None


def test_metadata_gives_labels_and_input_size(small_basic_model_path):
    segmenter = open_segmenter(small_basic_model_path)
    assert segmenter.input_size == (36, 52)
    assert segmenter.info.labels.names[3] == "road"
    assert "onnxruntime" in segmenter.describe() and "36x52" in segmenter.describe()


def _conv_graph(inputs, outputs, nodes, initializers=()):
    return helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))


def test_two_float_outputs_are_ambiguous_and_listed(tmp_path):
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 3, 32, 32])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 3, 32, 32])
    path = _save(tmp_path, _conv_graph([x], [a, b], [
        helper.make_node("Relu", ["image"], ["a"]), helper.make_node("Neg", ["image"], ["b"])]))
    with pytest.raises(ModelError, match=r"which output .* a tensor\(float\) \[1, 3, 32, 32\], "
                                         r"b tensor\(float\)"):
        OnnxRuntimeSegmenter(path)
    chosen = OnnxRuntimeSegmenter(path, output_name="b")
    assert chosen.logits_output == "b"
    with pytest.raises(UsageError, match="has no output 'c'"):
        OnnxRuntimeSegmenter(path, output_name="c")


def test_two_inputs_are_refused_with_their_names(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 32, 32])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3, 32, 32])
    path = _save(tmp_path, _conv_graph([x, y], [out], [helper.make_node("Add", ["x", "y"],
                                                                         ["out"])]))
    with pytest.raises(ModelError, match="has 2 inputs .*x tensor.*y tensor"):
        OnnxRuntimeSegmenter(path)


def test_a_graph_taking_frame_bytes_and_giving_labels_is_fed_raw(tmp_path):
    """Stands for a prepared model with the pre-processing and arg-max inside the graph."""
    frame_in = helper.make_tensor_value_info("frame", TensorProto.UINT8, [1, 32, 48, 3])
    labels_out = helper.make_tensor_value_info("labels", TensorProto.INT32, [1, 32, 48])
    nodes = [
        helper.make_node("Cast", ["frame"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["f"], ["chw"], perm=[0, 3, 1, 2]),
        helper.make_node("ArgMax", ["chw"], ["idx"], axis=1, keepdims=0),
        helper.make_node("Cast", ["idx"], ["labels"], to=TensorProto.INT32),
    ]
    path = _save(tmp_path, _conv_graph([frame_in], [labels_out], nodes))
    segmenter = OnnxRuntimeSegmenter(path)
    frame = np.zeros((32, 48, 3), np.uint8)
    frame[:, :24, 2] = 200   # red left half: channel 2 of BGR is largest
    frame[:, 24:, 1] = 200
    result = segmenter.infer(frame)
    assert result.labels[:, :24].tolist() == [[2] * 24] * 32
    assert result.labels[:, 24:].tolist() == [[1] * 24] * 32
    with pytest.raises(UsageError, match="--keep-logits"):
        segmenter.infer(frame, want_logits=True)


def test_bad_model_files_get_one_line_errors(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x01garbage that is no protobuf" * 3)
    with pytest.raises(ModelError, match="not a readable ONNX model|cannot load"):
        OnnxRuntimeSegmenter(str(bad))
    with pytest.raises(ModelError, match="model file not found"):
        OnnxRuntimeSegmenter(str(tmp_path / "missing.onnx"))
    with pytest.raises(UsageError, match="--threads must be at least 1"):
        OnnxRuntimeSegmenter(str(bad), threads=0)
    with pytest.raises(UsageError, match="cannot tell the backend"):
        open_segmenter(str(tmp_path / "model.xyz"))


def test_prepare_input_matches_resize_then_normalize(small_basic_model_path, frame):
    segmenter = open_segmenter(small_basic_model_path)
    expected = preprocess.Normalizer(segmenter.info.mean, segmenter.info.std)(
        preprocess.resize(frame, (36, 52)))
    assert np.array_equal(segmenter.prepare_input(frame), expected)


def test_sessions_use_every_core_unless_told_and_idle_threads_sleep(small_basic_model_path,
                                                                    monkeypatch):
    # ORT 1.10's own default is hardware_concurrency() / 2: one thread on a 2-core machine.
    from edge_segnet.runtime import onnxruntime_backend

    seen = []
    real = onnxruntime_backend.session_options
    monkeypatch.setattr(onnxruntime_backend, "session_options",
                        lambda *args, **kwargs: seen.append(real(*args, **kwargs)) or seen[-1])
    monkeypatch.setattr(onnxruntime_backend, "machine_threads", lambda: 3)
    assert open_segmenter(small_basic_model_path).threads == 3
    assert open_segmenter(small_basic_model_path, threads=1).threads == 1
    assert [options.intra_op_num_threads for options in seen] == [3, 1]
    assert all(options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
               for options in seen)


def test_the_machine_threads_are_the_cores_this_process_may_run_on():
    import os

    from edge_segnet.runtime.onnxruntime_backend import machine_threads

    assert machine_threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("message, text", [
    ("Non-zero status code returned while running Conv node. Status Message: bfc_arena.cc:360 "
     "Failed to allocate memory for requested buffer of size 134217728",
     "ONNX Runtime ran out of memory running {} at 36x52"),
    ("std::bad_alloc", "ONNX Runtime ran out of memory running {} at 36x52"),
    ("Non-zero status code returned while running Conv node.\nsecond line",
     "ONNX Runtime failed running {}: Non-zero status code returned while running Conv node.")])
def test_a_failure_while_running_is_one_model_error_naming_the_model(
        small_basic_model_path, message, text):
    segmenter = OnnxRuntimeSegmenter(small_basic_model_path, threads=1)

    class Failing(object):
        def run(self, names, feeds):
            raise RuntimeError(message)  # what ONNX Runtime's C++ errors reach Python as

    segmenter.session = Failing()
    frame = np.zeros((36, 52, 3), np.uint8)
    with pytest.raises(EdgeSegnetError) as caught:  # OutOfMemoryError or ModelError
        segmenter.infer(frame)
    assert str(caught.value).startswith(text.format(small_basic_model_path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("message", [
    "std::bad_alloc",
    # ONNX Runtime 1.10 (JetPack 4.6's) when its arena finds no memory while the session starts
    "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Exception during initialization: "
    "bfc_arena.cc:331 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool) Failed to "
    "allocate memory for requested buffer of size 802816"])
def test_no_memory_while_loading_is_said_as_such_not_as_a_broken_model(
        small_basic_model_path, monkeypatch, message):
    import onnxruntime

    def session(*args, **kwargs):
        raise RuntimeError(message)

    monkeypatch.setattr(onnxruntime, "InferenceSession", session)
    with pytest.raises(OutOfMemoryError, match="^ONNX Runtime ran out of memory loading .* "
                                               "\\(close other programs"):
        OnnxRuntimeSegmenter(small_basic_model_path, threads=1)


_FAILING_RUN = """
import numpy as np
from onnx import TensorProto, helper
from edge_segnet.runtime.onnxruntime_backend import require_onnxruntime
ort = require_onnxruntime("a test")
graph = helper.make_graph([helper.make_node("Reshape", ["x", "s"], ["y"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
     helper.make_tensor_value_info("s", TensorProto.INT64, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
try:
    session.run(None, {"x": np.zeros((2, 3), np.float32), "s": np.array([5], np.int64)})
except Exception:
    print("raised")
"""


def test_sessions_made_without_our_options_log_only_fatal_errors():
    """A session made without our options (as the quantization package's calibrator makes
    them) logs through ONNX Runtime's default logger, which printed "[E:onnxruntime:, sequential_
    executor.cc …] Non-zero status code …" for a failing run before our one line. A process of
    its own: the default logger is the process's."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FAILING_RUN], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    assert done.stdout.decode().strip() == "raised", done.stderr.decode()
    assert done.stderr.decode() == ""
