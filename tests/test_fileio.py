import os
import stat

import pytest

from edge_segnet import fileio
from edge_segnet.errors import OutputError, UsageError


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


def test_the_permission_check_comes_before_any_file_is_made(tmp_path, monkeypatch):
    # Root passes every access check, so the folder is made to look read-only.
    monkeypatch.setattr(fileio.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="no write permission in {}".format(tmp_path)):
        fileio.write_bytes_atomic(str(tmp_path / "x.onnx"), b"")
    assert os.listdir(str(tmp_path)) == []


def test_atomic_path_refuses_a_folder_as_target(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        fileio.write_bytes_atomic(str(tmp_path), b"")


@pytest.mark.parametrize("make, kind", [
    (lambda path: os.mkfifo(path), "FIFO"),
    (lambda path: os.mkdir(path), "folder"),
])
def test_atomic_path_refuses_what_is_not_a_regular_file(tmp_path, make, kind):
    target = str(tmp_path / "model.onnx")
    make(target)
    for check in (fileio.check_writable_path, fileio.AtomicFile):
        with pytest.raises(OutputError, match="is a {}, not a regular file".format(kind)):
            check(target)
    assert os.listdir(str(tmp_path)) == ["model.onnx"]


def test_atomic_path_refuses_a_device_node_before_touching_it():
    # /dev/full as a model file once replaced the device: refused, and the node stays.
    before = os.stat("/dev/null")
    with pytest.raises(OutputError, match="/dev/null is a character device"):
        fileio.write_bytes_atomic("/dev/null", b"model")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_atomic_path_writes_through_a_symbolic_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    fileio.write_bytes_atomic(str(link), b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_temporaries_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / ".out.{}.abc12_yz.part.mp4".format(dead.pid)
    tagged = tmp_path / ".out.{}.k2l9m0n1.480x360-30fps.part.mp4".format(dead.pid)
    live = tmp_path / ".out.{}.def45678.part.mp4".format(os.getppid())
    other = tmp_path / ".other.{}.abc12345.part.mp4".format(dead.pid)
    # The temporary of a live run writing out.1234.mp4 starts like out.mp4's would.
    another_output = tmp_path / ".out.1234.{}.abcdefgh.part.mp4".format(os.getppid())
    for path in (stale, tagged, live, other, another_output):
        path.write_bytes(b"half a video")
    link = tmp_path / ".out.{}.qwertyui.part.mp4".format(dead.pid)
    link.symlink_to(other)  # not a writer's leftover: left alone, never followed
    with fileio.atomic_path(str(tmp_path / "out.mp4")) as temp_path:
        assert ".{}.".format(os.getpid()) in os.path.basename(temp_path)
        open(temp_path, "wb").close()
    assert sorted(os.listdir(str(tmp_path))) == sorted(
        [live.name, other.name, another_output.name, link.name, "out.mp4"])
    assert other.read_bytes() == b"half a video"


def test_outputs_may_not_be_an_input_or_each_other(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "frames").mkdir()
    with pytest.raises(UsageError, match="--json ./m.onnx is also the input MODEL"):
        fileio.check_outputs_apart([("--json", "./m.onnx")], [("MODEL", "m.onnx")])
    with pytest.raises(UsageError, match="-o and --report are the same path"):
        fileio.check_outputs_apart([("-o", "p.onnx"), ("--report", "sub/../p.onnx")])
    with pytest.raises(UsageError, match="--labels frames is also the input --source"):
        fileio.check_outputs_apart([("--labels", "frames")], [("--source", "frames/*.png")])
    fileio.check_outputs_apart([("-o", "out.mp4"), ("--labels", "labels"), ("--json", None)],
                               [("--source", "frames"), ("--model", None)])


def test_files_written_together_are_all_or_none_and_a_full_disk_names_the_file(
        tmp_path, monkeypatch):
    import errno

    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    first, second = str(tmp_path / "a.onnx"), str(tmp_path / "b.calib")
    with pytest.raises(OutputError, match=r"cannot write cache .*b\.calib: no space left"):
        fileio.write_files_atomic([(first, b"model", "model"), (second, b"cache", "cache")])
    assert os.listdir(str(tmp_path)) == []
    monkeypatch.setattr(os, "fsync", real_fsync)
    fileio.write_files_atomic([(first, b"model", "model"), (second, b"cache", "cache")])
    assert sorted(os.listdir(str(tmp_path))) == ["a.onnx", "b.calib"]
