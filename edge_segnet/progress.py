"""Progress on the terminal, the one helper every long loop uses: redrawn in place on a
terminal, a plain line every tenth otherwise (a log file, CI). It writes to stderr, beside the
log, never to stdout, which holds a command's results."""

import contextlib
import logging
import sys
import time


@contextlib.contextmanager
def log_lines_to(stream=None, prefix=""):
    """While the block runs, the package's INFO lines (the ``edge_segnet`` logger), one per
    line with ``prefix``, on ``stream`` (default: stdout as it is at each line): how the
    workstation tools show a run's progress; the CLI sets its own up instead. The handler is
    gone afterwards, so nothing writes to a stream that has since been closed."""
    logger = logging.getLogger("edge_segnet")
    handler = _Lines(stream, prefix)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class _Lines(logging.Handler):
    def __init__(self, stream, prefix):
        super(_Lines, self).__init__()
        self.stream, self.prefix = stream, prefix

    def emit(self, record):
        try:
            stream = self.stream or sys.stdout
            stream.write(self.prefix + record.getMessage() + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - a log line must not end the run
            self.handleError(record)


def count(label, done, total, stream=None, bar_width=None):
    """Frames, images or models done of ``total``: ``label: done/total`` (with a bar of
    ``bar_width`` characters on a terminal)."""
    stream = stream or sys.stderr
    if stream.isatty():
        if bar_width:
            filled = int(bar_width * done / max(total, 1))
            text = "{} [{}{}] {}/{}".format(label, "#" * filled, "." * (bar_width - filled),
                                            done, total)
        else:
            text = "{}: {}/{}".format(label, done, total)
        stream.write("\r" + text + ("\n" if done == total else ""))
        stream.flush()
    elif done == total or done % max(1, total // 10) == 0:
        stream.write("{}: {}/{}\n".format(label, done, total))


def megabytes(count):
    return "{:.1f} MB".format(count / 1e6)


class Progress(object):
    """A progress bar on ``stream`` (stderr by default): redrawn in place on a terminal, a plain
    line every tenth (or every 10 MB when the total is unknown) otherwise."""

    def __init__(self, label, total=None, stream=None, interval=0.2, clock=time.monotonic):
        self.label, self.total = label, total
        self.stream = stream if stream is not None else sys.stderr
        self.interval, self.clock = interval, clock
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start_done = 0
        self.done = 0
        self.started = clock()
        self.last_draw = None
        self.last_step = -1
        self.last_done = None

    def begin(self, done=0):
        self.start_done = self.done = done
        self.started = self.clock()
        self._draw(force=True)

    def update(self, done):
        self.done = done
        self._draw()

    def finish(self):
        self._draw(force=True, final=True)

    def _text(self):
        rate = (self.done - self.start_done) / max(1e-6, self.clock() - self.started)
        if self.total:
            fraction = min(1.0, float(self.done) / self.total)
            bar = "#" * int(fraction * 24)
            return "{} {:3d}% [{:<24}] {} / {}  {}/s".format(
                self.label, int(fraction * 100), bar, megabytes(self.done),
                megabytes(self.total), megabytes(rate))
        return "{} {}  {}/s".format(self.label, megabytes(self.done), megabytes(rate))

    def _draw(self, force=False, final=False):
        now = self.clock()
        if self.tty:
            if not force and self.last_draw is not None and now - self.last_draw < self.interval:
                return
            self.last_draw = now
            self.stream.write("\r" + self._text() + ("\n" if final else ""))
        else:
            step = (int(10 * self.done / self.total) if self.total
                    else int(self.done // 10000000))
            if step == self.last_step and not (final and self.done != self.last_done):
                return
            self.last_step, self.last_draw, self.last_done = step, now, self.done
            self.stream.write(self._text() + "\n")
        self.stream.flush()
