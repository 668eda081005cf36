"""An MP4 whose writer was killed (SIGKILL, power loss) made playable again.

OpenCV's FFmpeg muxer writes ``ftyp``, then every frame into one ``mdat`` box, and the index
(``moov``: where each frame is, how long, which are keyframes) only when the video is closed;
a killed writer leaves frames that no player can find. They are all there, though, and mp4v
(MPEG-4 Part 2) marks each frame with start codes, which the encoder never emits inside a
frame: the frame boundaries and keyframes can be read back from the bytes. The index is then
rebuilt from the one OpenCV writes for a two-frame video of the same size, rate and codec
(the codec configuration, ``esds``, depends on nothing else), with its sample tables replaced.

The last frame found is dropped: the writer's output buffer is cut at an arbitrary byte, so it
may be incomplete.
"""

import mmap
import os
import stat
import struct
import tempfile

from edge_segnet import inputs, signals
from edge_segnet.errors import DataError

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
_VOP = 0xB6  # a frame (video object plane); headers before it belong to the same frame
_PER_SAMPLE = {b"ctts", b"sdtp", b"stps", b"stsh"}  # tables this repair does not rebuild


def _boxes(data, start, end, cut=None):
    """(type, offset, size, header size) of the boxes in data[start:end]; a box whose declared
    size runs past ``end`` is cut to it, and its type added to ``cut`` (a set) when given."""
    found = []
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1:
            if offset + 16 > end:
                break
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
            header = 16
        elif size == 0:
            size = end - offset  # to the end of the file: the box being written
        if size < header:
            raise DataError("not an MP4 box at byte {}".format(offset))
        if offset + size > end and cut is not None:
            cut.add(kind)
        found.append((kind, offset, min(size, end - offset), header))
        offset += size
    return found


def frames_in(data, begin=0, end=None):
    """[(offset, size, keyframe)] of the mp4v frames in data[begin:end] (an mdat's contents;
    offsets in ``data``), the last, possibly cut, one left out."""
    end = len(data) if end is None else end
    frames = []
    start, has_vop, keyframe = None, False, False
    position = data.find(b"\x00\x00\x01", begin, end)
    while position != -1 and position + 3 < end:
        code = data[position + 3]
        if start is None:
            start = position
        elif has_vop:  # any start code after a frame's VOP begins the next frame
            frames.append((start, position - start, keyframe))
            start, has_vop = position, False
        if code == _VOP:
            has_vop = True
            keyframe = position + 4 < end and data[position + 4] >> 6 == 0
        position = data.find(b"\x00\x00\x01", position + 3, end)
    return frames


def _box(kind, body):
    if len(body) + 8 < 2 ** 32:
        return struct.pack(">I4s", len(body) + 8, kind) + body
    return struct.pack(">I4sQ", 1, kind, len(body) + 16) + body


def _full(version_flags, body):
    return struct.pack(">I", version_flags) + body


# Where the duration is in a box's body (from its version byte on), for versions 0 and 1:
# version and flags, creation and modification times, then the time scale (mvhd, mdhd) or the
# track id and a reserved word (tkhd).
_DURATION_AT = {b"mvhd": (16, 24), b"mdhd": (16, 24), b"tkhd": (20, 28)}


def _set_duration(kind, body, duration):
    """mvhd/tkhd/mdhd with ``duration`` (in the box's own time scale)."""
    version = body[0]
    at = _DURATION_AT[kind][1 if version else 0]
    if version:
        return body[:at] + struct.pack(">Q", duration) + body[at + 8:]
    return body[:at] + struct.pack(">I", min(duration, 2 ** 32 - 1)) + body[at + 4:]


def _timescale(kind, body):
    at = 20 if body[0] else 12
    return struct.unpack(">I", body[at:at + 4])[0]


class _Index(object):
    """The template's moov, rewritten for other frames."""

    def __init__(self, moov, frames, offsets):
        self.frames, self.offsets = frames, offsets
        self.movie_scale = None
        self.media_scale = None
        self.delta = None
        self._scan(moov, 8, len(moov))
        if not (self.movie_scale and self.media_scale and self.delta):
            raise DataError("the template MP4 has no usable index")
        self.media_duration = self.delta * len(frames)
        self.movie_duration = self.media_duration * self.movie_scale // self.media_scale
        self.moov = self._rewrite(moov, 0, len(moov))

    def _scan(self, data, start, end):
        for kind, offset, size, header in _boxes(data, start, end):
            body = data[offset + header:offset + size]
            if kind in _CONTAINERS:
                self._scan(data, offset + header, offset + size)
            elif kind == b"mvhd":
                self.movie_scale = _timescale(kind, body)
            elif kind == b"mdhd":
                self.media_scale = _timescale(kind, body)
            elif kind == b"stts" and struct.unpack(">I", body[4:8])[0]:
                self.delta = struct.unpack(">I", body[12:16])[0]
            elif kind in _PER_SAMPLE:
                raise DataError("the template MP4 has a {} table".format(kind.decode()))

    def _rewrite(self, data, start, end):
        out = b""
        for kind, offset, size, header in _boxes(data, start, end):
            body = data[offset + header:offset + size]
            if kind in _CONTAINERS:
                out += _box(kind, self._rewrite(data, offset + header, offset + size))
            else:
                out += self._leaf(kind, body)
        return out

    def _leaf(self, kind, body):
        count = len(self.frames)
        if kind in (b"mvhd", b"tkhd"):
            return _box(kind, _set_duration(kind, body, self.movie_duration))
        if kind == b"mdhd":
            return _box(kind, _set_duration(kind, body, self.media_duration))
        if kind == b"elst":
            version = body[0]
            entry = ">QqI" if version else ">IiI"
            _, media_time, rate = struct.unpack(entry, body[8:8 + struct.calcsize(entry)])
            return _box(kind, body[:4] + struct.pack(">I", 1) + struct.pack(
                entry, self.movie_duration, media_time, rate))
        if kind == b"stts":
            return _box(kind, _full(0, struct.pack(">III", 1, count, self.delta)))
        if kind == b"stss":
            keys = [i + 1 for i, (_, _, key) in enumerate(self.frames) if key]
            return _box(kind, _full(0, struct.pack(">I{}I".format(len(keys)), len(keys),
                                                   *keys)))
        if kind == b"stsc":  # one frame per chunk: every frame's offset is in stco
            return _box(kind, _full(0, struct.pack(">IIII", 1, 1, 1, 1)))
        if kind == b"stsz":
            sizes = [size for _, size, _ in self.frames]
            return _box(kind, _full(0, struct.pack(">II{}I".format(count), 0, count, *sizes)))
        if kind in (b"stco", b"co64"):
            if self.offsets and self.offsets[-1] >= 2 ** 32:
                return _box(b"co64", _full(0, struct.pack(">I{}Q".format(count), count,
                                                          *self.offsets)))
            return _box(b"stco", _full(0, struct.pack(">I{}I".format(count), count,
                                                      *self.offsets)))
        return _box(kind, body)


def _template_moov(width, height, fps, fourcc):
    """The moov OpenCV writes for two frames of this size, rate and codec."""
    cv2 = inputs.opencv_reader("repairing an MP4")
    import numpy as np

    folder = tempfile.mkdtemp(prefix="edge-segnet-mp4-")
    path = os.path.join(folder, "template.mp4")
    try:
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
        if not writer.isOpened():
            raise DataError("OpenCV cannot write a {}x{} {} template".format(width, height,
                                                                             fourcc))
        for value in (0, 128):
            writer.write(np.full((height, width, 3), value, np.uint8))
        writer.release()
        with open(path, "rb") as handle:
            data = handle.read()
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    for kind, offset, size, _ in _boxes(data, 0, len(data)):
        if kind == b"moov":
            return data[offset:offset + size]
    raise DataError("OpenCV wrote a template MP4 without an index")


def _open_regular(path):
    """A read-write descriptor of ``path`` if it is a regular file of one name: never through a
    link, never blocking on a FIFO, never into a file that has other names."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) |
                     getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError("cannot open {}: {}".format(path, exc.strerror or exc))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise DataError("{} is not a regular file of its own".format(path))
    return fd


def repair(path, width, height, fps, fourcc="mp4v"):
    """Makes the killed writer's MP4 at ``path`` playable in place; returns its frame count
    (0: nothing to save, the file is left as it was). A file repaired before (its index whole)
    is left as it is; an index cut by a kill during an earlier repair is written again."""
    fd = _open_regular(path)
    try:
        if os.fstat(fd).st_size < 16:
            return 0
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
            cut = set()
            top = _boxes(data, 0, len(data), cut)
            kinds = [kind for kind, _, _, _ in top]
            if kinds[:1] != [b"ftyp"]:
                raise DataError("{} is not an MP4".format(path))
            if b"moov" in kinds and b"moov" not in cut:
                return _sample_count(data, top)
            mdat = [(offset, size, header) for kind, offset, size, header in top
                    if kind == b"mdat"]
            if not mdat:
                return 0
            offset, size, header = mdat[0]
            frames = frames_in(data, offset + header, offset + size)
        if not frames:
            return 0
        if header != 8:
            raise DataError("{}: frames past 4 GiB are not repaired".format(path))
        end = frames[-1][0] + frames[-1][1]
        offsets = [start for start, _, _ in frames]
        moov = _Index(_template_moov(width, height, fps, fourcc), frames, offsets).moov
        # Interrupts wait; a SIGKILL meanwhile leaves an index cut short, written again next
        # time.
        with signals.deferred() as pending, os.fdopen(os.dup(fd), "r+b") as handle:
            handle.truncate(end)
            handle.seek(offset)
            handle.write(struct.pack(">I", end - offset))
            handle.seek(end)
            handle.write(moov)
            handle.flush()
            os.fsync(handle.fileno())
        pending.deliver()
        return len(frames)
    finally:
        os.close(fd)


def _sample_count(data, top):
    """The frame count an MP4's (whole) index lists."""
    for kind, offset, size, header in top:
        if kind == b"moov":
            at = bytes(data[offset:offset + size]).find(b"stsz")
            if at != -1:
                return struct.unpack(">I", data[offset + at + 12:offset + at + 16])[0]
    return 0
