"""A killed writer's MP4 made playable: frame boundaries read back from the mp4v bitstream,
checked against the index OpenCV itself writes, and a real cut file repaired and decoded."""

import os
import struct
import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge_segnet.errors import DataError
from edge_segnet.video import mp4_repair

SIZE = (120, 160)  # height, width


def _frames(count):
    rng = np.random.RandomState(3)
    base = rng.randint(0, 255, SIZE + (3,)).astype(np.uint8)
    return [np.roll(base, 5 * index, axis=1) for index in range(count)]


def _write(path, frames):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0,
                             (SIZE[1], SIZE[0]))
    for frame in frames:
        writer.write(frame)
    writer.release()


def _decoded(path):
    capture, frames = cv2.VideoCapture(str(path)), []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def _table(data, kind):
    at = data.index(kind) + 4
    return data[at:]


def _sizes(data):
    stsz = _table(data, b"stsz")
    count = struct.unpack(">I", stsz[8:12])[0]
    return list(struct.unpack(">{}I".format(count), stsz[12:12 + 4 * count]))


def test_the_frames_read_back_are_those_opencvs_own_index_lists(tmp_path):
    path = tmp_path / "whole.mp4"
    _write(path, _frames(40))  # OpenCV's mp4v puts a keyframe every 12 frames
    data = path.read_bytes()
    mdat = data.index(b"mdat") + 4
    found = mp4_repair.frames_in(data, mdat, data.index(b"moov") - 4)
    sizes = _sizes(data)
    count = len(sizes)
    stco = _table(data, b"stco")
    chunks = struct.unpack(">I", stco[4:8])[0]
    offsets = struct.unpack(">{}I".format(chunks), stco[8:8 + 4 * chunks])
    stss = _table(data, b"stss")
    keys = struct.unpack(">{}I".format(struct.unpack(">I", stss[4:8])[0]),
                         stss[8:8 + 4 * struct.unpack(">I", stss[4:8])[0]])
    # The last frame is left out: in a cut file it may be incomplete.
    assert [size for _, size, _ in found] == sizes[:-1]
    assert found[0][0] == offsets[0]
    assert [i + 1 for i, (_, _, key) in enumerate(found) if key] == [k for k in keys
                                                                      if k < count]
    assert len(keys) > 1


def test_a_writer_killed_mid_video_leaves_frames_that_decode_as_recorded(tmp_path):
    frames = _frames(60)
    complete = tmp_path / "complete.mp4"
    _write(complete, frames)
    cut = tmp_path / "cut.mp4"
    script = ("import sys, time, cv2, numpy as np\n"
              "sys.path.insert(0, {root!r})\n"
              "from tests.video.test_mp4_repair import _frames, SIZE\n"
              "w = cv2.VideoWriter({path!r}, cv2.VideoWriter_fourcc(*'mp4v'), 25.0, "
              "(SIZE[1], SIZE[0]))\n"
              "[w.write(f) for f in _frames(60)]\n"
              "print('written', flush=True)\n"
              "time.sleep(60)\n").format(root=os.getcwd(), path=str(cut))
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              universal_newlines=True)
    assert writer.stdout.readline().strip() == "written"
    writer.kill()  # SIGKILL: OpenCV never writes the index
    writer.wait(timeout=30)
    assert _decoded(cut) == []
    kept = mp4_repair.repair(str(cut), SIZE[1], SIZE[0], 25.0)
    decoded = _decoded(cut)
    assert 0 < kept == len(decoded) < 60
    # Lost: what was still in FFmpeg's output buffers (seen: 30 kB with OpenCV 5.1's FFmpeg,
    # 76 kB with 4.6's), and the frame they cut.
    sizes = _sizes(complete.read_bytes())
    assert sum(sizes[kept:]) <= 128 * 1024 + max(sizes)
    reference = _decoded(complete)
    assert all(np.array_equal(a, b) for a, b in zip(decoded, reference))
    capture = cv2.VideoCapture(str(cut))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(25.0)
    assert (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (SIZE[1], SIZE[0])


def test_a_finished_mp4_or_another_file_is_not_touched(tmp_path):
    whole = tmp_path / "whole.mp4"
    _write(whole, _frames(5))
    before = whole.read_bytes()
    assert mp4_repair.repair(str(whole), SIZE[1], SIZE[0], 25.0) == 5  # playable already
    text = tmp_path / "notes.mp4"
    text.write_bytes(b"not a video at all, just some text")
    with pytest.raises(DataError, match="not an MP4"):
        mp4_repair.repair(str(text), SIZE[1], SIZE[0], 25.0)
    assert whole.read_bytes() == before
    assert text.read_bytes() == b"not a video at all, just some text"


def _header_fields(data):
    """mvhd (time scale, duration, rate), tkhd duration, mdhd (time scale, duration, language)
    of a version-0 index."""
    mvhd = data.index(b"mvhd") + 4
    tkhd = data.index(b"tkhd") + 4
    mdhd = data.index(b"mdhd") + 4
    return (struct.unpack(">IIi", data[mvhd + 12:mvhd + 24]),
            struct.unpack(">I", data[tkhd + 20:tkhd + 24]),
            struct.unpack(">IIH", data[mdhd + 12:mdhd + 22]))


def _cut(tmp_path, frames):
    """An MP4 of ``frames`` as a killed writer leaves it: its bytes up to the index."""
    whole = tmp_path / "whole.mp4"
    _write(whole, frames)
    data = whole.read_bytes()
    moov = data.index(b"moov") - 4
    mdat = data.index(b"mdat") - 4
    cut = bytearray(data[:moov])
    cut[mdat:mdat + 4] = b"\0\0\0\0"  # size 0: as FFmpeg leaves it before the end
    path = tmp_path / "cut.mp4"
    path.write_bytes(bytes(cut))
    return path


def test_the_rebuilt_index_states_the_duration_rate_and_language_opencv_would(tmp_path):
    frames = _frames(30)
    path = _cut(tmp_path, frames)
    kept = mp4_repair.repair(str(path), SIZE[1], SIZE[0], 25.0)
    reference = tmp_path / "reference.mp4"
    _write(reference, frames[:kept])  # what OpenCV writes for the frames kept
    assert _header_fields(path.read_bytes()) == _header_fields(reference.read_bytes())
    (scale, duration, rate), _, _ = _header_fields(path.read_bytes())
    assert rate == 0x10000 and duration * 25 == scale * kept


def test_a_repaired_file_is_kept_as_it_is_and_a_cut_index_is_written_again(tmp_path):
    path = _cut(tmp_path, _frames(30))
    kept = mp4_repair.repair(str(path), SIZE[1], SIZE[0], 25.0)
    repaired = path.read_bytes()
    assert mp4_repair.repair(str(path), SIZE[1], SIZE[0], 25.0) == kept
    assert path.read_bytes() == repaired
    path.write_bytes(repaired[:-100])  # killed while writing the index
    assert mp4_repair.repair(str(path), SIZE[1], SIZE[0], 25.0) >= kept - 1
    assert len(_decoded(path)) >= kept - 1


def test_links_fifos_and_files_with_other_names_are_never_opened_for_repair(tmp_path):
    victim = _cut(tmp_path, _frames(20))
    before = victim.read_bytes()
    link = tmp_path / "link.mp4"
    link.symlink_to(victim)
    hard = tmp_path / "hard.mp4"
    os.link(str(victim), str(hard))
    fifo = tmp_path / "fifo.mp4"
    os.mkfifo(str(fifo))
    for path in (link, hard, fifo):
        with pytest.raises(DataError):
            mp4_repair.repair(str(path), SIZE[1], SIZE[0], 25.0)
    assert victim.read_bytes() == before
