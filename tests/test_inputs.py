import logging
import os
import threading

import cv2
import numpy as np
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


def _noisy(size=128):
    return np.random.RandomState(0).randint(0, 255, (size, size, 3)).astype(np.uint8)


def test_a_truncated_png_is_refused_with_what_libpng_said(tmp_path, capfd):
    data = cv2.imencode(".png", _noisy())[1].tobytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    image, damage = inputs.decode_image(str(tmp_path / "cut.png"))
    assert image is None and damage == "libpng error: Read Error"
    assert capfd.readouterr().err == ""  # libpng's own line never reaches the terminal


def test_a_truncated_jpeg_decodes_and_says_it_is_damaged(tmp_path, capfd):
    data = cv2.imencode(".jpg", _noisy())[1].tobytes()
    (tmp_path / "cut.jpg").write_bytes(data[:len(data) // 2])
    image, damage = inputs.decode_image(str(tmp_path / "cut.jpg"))
    assert image.shape == (128, 128, 3) and damage == "Premature end of JPEG file"
    (tmp_path / "whole.jpg").write_bytes(data)
    image, damage = inputs.decode_image(str(tmp_path / "whole.jpg"))
    assert image.shape == (128, 128, 3) and damage == ""
    assert capfd.readouterr().err == ""


def test_a_jpeg_missing_only_its_end_marker_is_whole_and_not_damaged(tmp_path, capfd):
    data = cv2.imencode(".jpg", _noisy())[1].tobytes()
    (tmp_path / "no-eoi.jpg").write_bytes(data[:-2])  # what some MJPEG grabbers write
    image, damage = inputs.decode_image(str(tmp_path / "no-eoi.jpg"))
    assert damage == "" and np.array_equal(image, cv2.imdecode(np.frombuffer(data, np.uint8),
                                                               cv2.IMREAD_COLOR))
    # A cut file stays damaged, with or without a marker after the cut.
    (tmp_path / "cut.jpg").write_bytes(data[:len(data) // 2])
    assert inputs.decode_image(str(tmp_path / "cut.jpg"))[1] == "Premature end of JPEG file"
    (tmp_path / "cut-eoi.jpg").write_bytes(data[:len(data) // 2] + b"\xff\xd9")
    assert inputs.decode_image(str(tmp_path / "cut-eoi.jpg"))[1] == (
        "Corrupt JPEG data: premature end of data segment")
    assert capfd.readouterr().err == ""
    assert sorted(os.listdir(str(tmp_path))) == ["cut-eoi.jpg", "cut.jpg", "no-eoi.jpg"]


def test_empty_missing_and_folder_paths_are_said_without_decoding(tmp_path, fifo):
    (tmp_path / "empty.png").write_bytes(b"")
    assert inputs.decode_image(str(tmp_path / "empty.png")) == (None, "the file is empty")
    with pytest.raises(DataError, match="image not found: .*gone.png"):
        inputs.decode_image(str(tmp_path / "gone.png"))
    with pytest.raises(DataError, match="label image .* is a folder"):
        inputs.decode_image(str(tmp_path), "label image")
    with pytest.raises(DataError, match="is not a regular file: it is a FIFO"):
        inputs.decode_image(fifo(tmp_path / "f.png"))


def test_a_line_another_thread_logs_meanwhile_is_not_taken_for_the_codecs(capfd, monkeypatch):
    # fd 2 is the process's: a line logged while the codec's output is caught waits for the
    # handler and reaches the terminal after, instead of ending up in our message.
    logger = logging.getLogger("edge_segnet.test_inputs")
    stream = open(2, "w", closefd=False)  # fd 2 itself, as the CLI's stderr is outside tests
    handler = logging.StreamHandler(stream)
    package = logging.getLogger("edge_segnet")
    # Only this handler: a CLI test earlier in the run may have left the CLI's own.
    monkeypatch.setattr(package, "handlers", [handler])
    monkeypatch.setattr(package, "propagate", False)
    try:
        def decode():
            other = threading.Thread(target=logger.warning, args=("from another thread",))
            other.start()
            other.join(0.2)  # blocked on the handler while the codec runs
            os.write(2, b"codec says no\n")
            return other

        other, said = inputs._decode_capturing_stderr(decode)
        other.join(5)
    finally:
        stream.close()
    assert said == "codec says no"
    assert capfd.readouterr().err == "from another thread\n"


def test_the_codec_capture_file_is_closed_at_exit_without_a_resource_warning(tmp_path):
    import subprocess
    import sys

    cv2.imwrite(str(tmp_path / "a.png"), _noisy())
    code = ("from edge_segnet import inputs; "
            "assert inputs.decode_image({!r})[0] is not None".format(str(tmp_path / "a.png")))
    done = subprocess.run([sys.executable, "-W", "always::ResourceWarning", "-c", code],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ResourceWarning" not in done.stderr
