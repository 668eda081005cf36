import os
import stat

import pytest

from edge_segnet import fileio
from edge_segnet.errors import OutputError


def test_atomic_path_moves_the_file_into_place_with_usual_permissions(tmp_path):
    target = tmp_path / "report.json"
    fileio.write_bytes_atomic(str(target), b"{}")
    assert target.read_bytes() == b"{}"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(str(tmp_path)) == ["report.json"]


def test_atomic_path_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "engine.plan"
    target.write_bytes(b"old engine")
    with pytest.raises(RuntimeError):
        with fileio.atomic_path(str(target)) as temp_path:
            with open(temp_path, "wb") as handle:
                handle.write(b"half")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old engine"
    assert os.listdir(str(tmp_path)) == ["engine.plan"]


def test_atomic_path_refuses_a_missing_folder(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        fileio.write_bytes_atomic(str(tmp_path / "nope" / "x.onnx"), b"")


def test_atomic_path_refuses_a_folder_without_write_access(unwritable_dir):
    with pytest.raises(OutputError, match="cannot write"):
        fileio.write_bytes_atomic(os.path.join(unwritable_dir, "x.onnx"), b"")


def test_atomic_path_refuses_a_folder_as_target(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        fileio.write_bytes_atomic(str(tmp_path), b"")
