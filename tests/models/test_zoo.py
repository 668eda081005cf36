import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from edge_segnet.cli import app
from edge_segnet.errors import DataError, ModelError
from edge_segnet.models import labels as labels_module
from edge_segnet.models import zoo
from tests.test_cli import assert_one_line_error


def _cli(*args):
    return CliRunner().invoke(app, list(args))


def test_an_empty_model_file_is_said_to_be_empty_not_to_lack_an_opset(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"")
    with pytest.raises(ModelError, match="m.onnx is empty \\(0 bytes\\), not an ONNX model"):
        zoo.load(str(path))
    result = _cli("prepare", str(path), "-o", str(tmp_path / "p.onnx"))
    assert_one_line_error(result, 1, "is empty (0 bytes), not an ONNX model")
    assert "opset" not in result.output


def test_bytes_that_parse_as_no_model_are_not_an_onnx_model(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"\x08\x07")  # a ModelProto with ir_version 7 and nothing else
    with pytest.raises(ModelError, match="is not an ONNX model: it holds no graph"):
        zoo.load(str(path))


def _external_data_model(folder):
    weight = numpy_helper.from_array(np.arange(1000, dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1000])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1000])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    path = str(folder / "m.onnx")
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="m.data", size_threshold=0)
    return path


def test_a_model_with_external_data_loads_it(tmp_path):
    model = zoo.load(_external_data_model(tmp_path))
    assert np.array_equal(numpy_helper.to_array(model.graph.initializer[0]),
                          np.arange(1000, dtype=np.float32))


def test_a_missing_external_data_file_is_named(tmp_path):
    path = _external_data_model(tmp_path)
    (tmp_path / "m.data").unlink()
    with pytest.raises(ModelError, match="keeps tensor 'w' in the external data file "
                                         ".*m.data, which is missing") as info:
        zoo.load(path)
    assert "ValidationError" not in str(info.value) and "not found: " not in str(info.value)
    assert_one_line_error(_cli("prepare", path, "-o", str(tmp_path / "p.onnx")), 1,
                          "m.data, which is missing (copy m.data beside the model)")


def test_a_truncated_external_data_file_is_named(tmp_path):
    path = _external_data_model(tmp_path)
    with open(str(tmp_path / "m.data"), "r+b") as handle:
        handle.truncate(100)
    with pytest.raises(ModelError, match="m.data holds 100 bytes but tensor 'w' .* needs bytes "
                                         "up to 4000"):
        zoo.load(path)


def test_a_fifo_named_like_a_model_is_refused_by_every_command_taking_a_model(tmp_path, fifo):
    path = fifo(tmp_path / "model.onnx")
    with pytest.raises(ModelError, match="model .*model.onnx is not a regular file: it is a "
                                         "FIFO"):
        zoo.load(path)
    from edge_segnet.data import camvid

    data = str(tmp_path / "data")
    camvid.make_synthetic(data, 3, size=(48, 64))
    for args in (["prepare", path, "-o", str(tmp_path / "p.onnx")],
                 ["run", "--model", path, "--max-frames", "1", "--headless"],
                 ["eval", path, "--data", data],
                 ["verify", path, path, "--synthetic", "1"],
                 ["profile", path, "--iterations", "1"],
                 ["build", path, "--print-trtexec"],
                 ["selftest", "--model", path]):
        assert_one_line_error(_cli(*args), 1, "model.onnx is not a regular file: it is a FIFO")


def test_labels_for_another_class_count_are_refused_not_padded(tmp_path):
    three = labels_module.LabelSet(["road", "car", "sky"], [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                                   source="labels.txt")
    with pytest.raises(DataError, match="labels.txt names 3 classes but the model has 12 "
                                        "\\(--classes 12\\)"):
        zoo.create("segnet-basic", class_count=12, labels=three)
    assert len(zoo.create("segnet-basic", class_count=3, labels=three).graph.output) == 1
    (tmp_path / "labels.txt").write_text("road\ncar\nsky\n")
    result = _cli("export-model", "segnet-basic", "-o", str(tmp_path / "m.onnx"), "--labels",
                  str(tmp_path / "labels.txt"))
    assert_one_line_error(result, 1, "labels.txt names 3 classes but the model has 12")
    assert "--classes 3" in result.output
    assert not (tmp_path / "m.onnx").exists()
