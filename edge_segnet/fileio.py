"""Writing result files atomically: a killed run never leaves a half-written file under the
final name."""

import contextlib
import os
import tempfile

from edge_segnet.errors import OutputError


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


def check_writable_path(path, what="output"):
    """Fail early, before any work, when ``path`` cannot be written."""
    final_path = os.path.abspath(path)
    if os.path.isdir(final_path):
        raise OutputError("cannot write {}: {} is a folder".format(what, final_path))
    check_writable_dir(os.path.dirname(final_path), what)
    probe = AtomicFile(final_path, what)
    probe.discard()


class AtomicFile(object):
    """A temporary path beside ``final_path``; ``commit`` moves it into place, ``discard``
    removes it. The temporary file lives in the same folder so that ``os.replace`` is atomic.
    """

    def __init__(self, final_path, what="output"):
        self.final_path = os.path.abspath(final_path)
        if os.path.isdir(self.final_path):
            raise OutputError("cannot write {}: {} is a folder".format(what, self.final_path))
        directory = os.path.dirname(self.final_path)
        check_writable_dir(directory, what)
        root, extension = os.path.splitext(os.path.basename(self.final_path))
        try:
            fd, self.temp_path = tempfile.mkstemp(prefix="." + root + ".",
                                                  suffix=".part" + extension, dir=directory)
        except OSError as exc:
            raise OutputError("cannot write {} in {}: {}".format(
                what, directory, exc.strerror or exc), hint="choose a writable path")
        os.close(fd)
        # mkstemp makes the file private; the result should have the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temp_path, 0o666 & ~umask)

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
    target = AtomicFile(final_path, what)
    try:
        yield target.temp_path
        target.commit()
    except BaseException:
        target.discard()
        raise


def write_bytes_atomic(final_path, data, what="output"):
    with atomic_path(final_path, what) as temp_path:
        with open(temp_path, "wb") as handle:
            handle.write(data)
