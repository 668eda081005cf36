"""Writing result files atomically: a killed run never leaves a half-written file under the
final name."""

import contextlib
import errno
import glob
import os
import re
import stat
import tempfile

from edge_segnet import signals
from edge_segnet.errors import OutputError, UsageError

_KINDS = ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
          (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "folder"))


def special_kind(path):
    """What ``path`` is when it exists and is not a regular file ("FIFO", "folder", ...)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "special file"


def _same_file(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


def is_within(path, folder):
    """Whether ``path`` is ``folder`` or anywhere below it (links resolved, so a link into the
    folder counts as inside)."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_outputs_apart(outputs, inputs=(), datasets=()):
    """Refuse, before any work, outputs that would overwrite an input of the same command or
    each other, or land inside a dataset the command reads. ``outputs``, ``inputs`` and
    ``datasets`` are (option, path) pairs; None paths are skipped; an input given as a glob
    stands for its folder; nothing is ever written anywhere inside a dataset folder."""
    outputs = [(option, path) for option, path in outputs if path]
    inputs = [(option, path) for option, path in inputs if path]
    datasets = [(option, path) for option, path in datasets if path]
    for index, (option, path) in enumerate(outputs):
        for data_option, folder in datasets:
            if is_within(path, folder):
                raise UsageError("{} {} is inside the dataset {} {}: its images and labels "
                                 "must never be overwritten; choose a path outside it".format(
                                     option, path, data_option, folder))
        for input_option, input_path in inputs:
            if any(char in input_path for char in "*?["):
                input_path = os.path.dirname(input_path) or "."
            if _same_file(path, input_path):
                raise UsageError("{} {} is also the input {}: writing it would destroy the "
                                 "input; choose another path".format(option, path,
                                                                     input_option))
        for other_option, other_path in outputs[index + 1:]:
            if _same_file(path, other_path):
                raise UsageError("{} and {} are the same path ({}): each output needs its "
                                 "own".format(option, other_option, path))


def check_writable_dir(directory, what="output"):
    directory = directory or "."
    if not os.path.isdir(directory):
        raise OutputError(
            "cannot write {}: folder {} does not exist".format(what, directory),
            hint="create it or choose another path",
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(
            "cannot write {}: no write permission in {}".format(what, directory),
            hint="choose a writable path",
        )


def _check_replaceable(final_path, what):
    kind = special_kind(final_path)
    if kind:
        raise OutputError("cannot write {}: {} is a {}, not a regular file".format(
            what, final_path, kind), hint="choose a file path")


def check_writable_path(path, what="output"):
    """Fail early, before any work, when ``path`` cannot be written."""
    final_path = os.path.realpath(path)
    _check_replaceable(final_path, what)
    check_writable_dir(os.path.dirname(final_path), what)
    with signals.deferred() as pending:  # an interrupt here must not strand the probe
        AtomicFile(final_path, what).discard()
    pending.deliver()


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def _temporary_stem(final_path):
    root, extension = os.path.splitext(os.path.basename(final_path))
    return ".{}.".format(root), ".part" + extension


def temporary_name(final_path):
    """(prefix, suffix) of this process's temporary names for ``final_path``: hidden, carrying
    the writer's process id, and ending like the final name so that tools that pick a format
    from the extension (OpenCV, onnx) pick the right one."""
    stem, suffix = _temporary_stem(final_path)
    return "{}{}.".format(stem, os.getpid()), suffix


def stale_temporaries(final_path):
    """(path, pid) of the temporary files that killed writers (SIGKILL, power loss) left beside
    ``final_path``: their names carry the writer's process id, and that process is gone."""
    final_path = os.path.realpath(final_path)
    directory = os.path.dirname(final_path)
    stem, suffix = _temporary_stem(final_path)
    # The whole name, as temporary_name and mkstemp make it (and AtomicFile.tag extends it):
    # the temporary of another output (``cam.999.mp4``'s starts like ``cam.mp4``'s) never fits.
    ours = re.compile("^" + re.escape(stem) + r"(\d+)\.[a-z0-9_]{8}(\.[0-9a-zA-Z.-]+)?" +
                      re.escape(suffix) + "$")
    found = []
    for path in sorted(glob.glob(os.path.join(glob.escape(directory), glob.escape(stem) +
                                              "*" + glob.escape(suffix)))):
        match = ours.match(os.path.basename(path))
        if match is None:
            continue
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        pid = int(match.group(1))
        # Files and folders (make-dataset stages one) only: a link or a FIFO under such a name
        # is not a writer's leftover, and opening it would follow the link or block.
        if (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and pid != os.getpid() and \
                not _process_alive(pid):
            found.append((path, pid))
    return found


_ANY_TEMPORARY = re.compile(r"^\.(.+)\.(\d+)\.[a-z0-9_]{8}(\.[0-9a-zA-Z.-]+)?\.part(\.[0-9a-zA-Z]+)?$")


def remove_stale_temporaries_in(folder):
    """Removes the temporary files that killed writers left anywhere in ``folder`` (a folder
    of frames: the next run writes other names than the killed one was writing, so
    ``remove_stale_temporaries`` of its own names never meets them). Returns how many."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        match = _ANY_TEMPORARY.match(name)
        if match is None:
            continue
        path = os.path.join(folder, name)
        try:
            regular = stat.S_ISREG(os.lstat(path).st_mode)
        except OSError:
            continue
        pid = int(match.group(2))
        if regular and pid != os.getpid() and not _process_alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed += 1
    return removed


def remove_stale_temporaries(final_path):
    for path, _ in stale_temporaries(final_path):
        with contextlib.suppress(OSError):
            os.unlink(path)


class AtomicFile(object):
    """A temporary path beside ``final_path``; ``commit`` moves it into place, ``discard``
    removes it. The temporary file lives in the same folder so that ``os.replace`` is atomic.
    A symbolic link is written through (the file it points to is replaced); anything at
    ``final_path`` that is not a regular file (a device, a FIFO, a folder) is refused.
    """

    def __init__(self, final_path, what="output"):
        self.final_path = os.path.realpath(final_path)
        _check_replaceable(self.final_path, what)
        directory = os.path.dirname(self.final_path)
        check_writable_dir(directory, what)
        remove_stale_temporaries(self.final_path)
        prefix, suffix = temporary_name(self.final_path)
        # Between creating the temporary and the caller's cleanup an interrupt would leave it
        # behind: signals wait for this short window.
        with signals.deferred() as pending:
            try:
                fd, self.temp_path = tempfile.mkstemp(prefix=prefix, suffix=suffix,
                                                      dir=directory)
            except OSError as exc:
                raise OutputError("cannot write {} in {}: {}".format(
                    what, directory, exc.strerror or exc), hint="choose a writable path")
            os.close(fd)
            # mkstemp makes the file private; the result should have the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temp_path, 0o666 & ~umask)
        try:
            pending.deliver()
        except BaseException:
            self.discard()
            raise

    def tag(self, text):
        """Puts ``text`` (letters, digits, dots, dashes) into the temporary file's name, before
        its ``.part`` suffix: what a later run needs to know to save the file if this process
        is killed."""
        head, suffix = self.temp_path.rsplit(".part", 1)
        tagged = "{}.{}.part{}".format(head, text, suffix)
        with signals.deferred() as pending:
            os.rename(self.temp_path, tagged)
            self.temp_path = tagged
        pending.deliver()

    def commit(self):
        with open(self.temp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.temp_path, self.final_path)

    def discard(self):
        with contextlib.suppress(OSError):
            os.unlink(self.temp_path)


@contextlib.contextmanager
def atomic_path(final_path, what="output"):
    """Yield a temporary path; when the block succeeds, it becomes ``final_path``."""
    with signals.deferred() as pending:
        target = AtomicFile(final_path, what)
    try:
        pending.deliver()
        yield target.temp_path
        target.commit()
    except BaseException:
        target.discard()
        raise


def _write_failed(exc, what, final_path):
    """An OSError while writing ``final_path``'s temporary, said with the user's path (the
    temporary's name means nothing to them)."""
    reason = "no space left on the device" if exc.errno == errno.ENOSPC else \
        (exc.strerror or str(exc))
    return OutputError("cannot write {} {}: {}".format(what, final_path, reason),
                       hint="free some space or write to another disk"
                       if exc.errno in (errno.ENOSPC, errno.EDQUOT) else None)


def write_bytes_atomic(final_path, data, what="output"):
    write_files_atomic([(final_path, data, what)])


def write_files_atomic(entries):
    """Write every (final_path, bytes, what) of ``entries``, all or none: each goes to its
    temporary first, and only when all are written are they moved into place, so a full disk
    on the last leaves no first one under its final name beside an error."""
    targets = []
    try:
        for final_path, data, what in entries:
            with signals.deferred() as pending:
                target = AtomicFile(final_path, what)
                targets.append(target)
            pending.deliver()
            try:
                with open(target.temp_path, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise _write_failed(exc, what, final_path)
        with signals.deferred() as pending:
            for target in targets:
                os.replace(target.temp_path, target.final_path)
            targets = []
        pending.deliver()
    finally:
        for target in targets:
            target.discard()
