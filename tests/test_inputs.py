import pytest

from edge_segnet import inputs
from edge_segnet.errors import DataError, ModelError


def test_a_fifo_is_named_as_such_without_being_opened(tmp_path, fifo):
    path = fifo(tmp_path / "x.png")
    assert inputs.special_kind(path) == "FIFO" and not inputs.is_regular_file(path)
    with pytest.raises(DataError) as info:
        inputs.check_regular_file(path, "image")
    assert str(info.value) == "image {} is not a regular file: it is a FIFO".format(path)
    with pytest.raises(ModelError, match="model .* is not a regular file: it is a FIFO "
                                         "\\(give an .onnx model file\\)"):
        inputs.check_regular_file(path, "model", ModelError, hint="give an .onnx model file")


def test_devices_are_refused_and_files_folders_and_missing_paths_left_to_the_caller(tmp_path):
    with pytest.raises(DataError, match="/dev/null is not a regular file: it is a character "
                                        "device"):
        inputs.check_regular_file("/dev/null", "labels file")
    (tmp_path / "a.txt").write_text("a")
    for path in (tmp_path / "a.txt", tmp_path, tmp_path / "missing"):
        inputs.check_regular_file(str(path), "file")
        assert inputs.special_kind(str(path)) is None
    assert inputs.is_regular_file(str(tmp_path / "a.txt"))
    assert not inputs.is_regular_file(str(tmp_path))


def test_a_path_with_a_nul_is_left_to_the_open_that_follows():
    assert inputs.special_kind("a\x00b") is None
    inputs.check_regular_file("a\x00b", "model")
