"""SIGTERM handled like Ctrl-C, and windows in which neither can cut a file in half.

``timeout``, systemd and docker stop a process with SIGTERM; Python's default for it is to die
on the spot, leaving a video without its index and temporary files behind. The command line
turns it into ``Terminated`` (a KeyboardInterrupt, so every path that finishes its files on
Ctrl-C does so on SIGTERM too)."""

import contextlib
import signal
import threading

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED = 143   # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def exit_code(interrupt):
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def _raise_terminated(signum, frame):
    raise Terminated()


def terminate_like_interrupt():
    """From now on SIGTERM raises Terminated in the main thread."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


class Pending(object):
    def __init__(self):
        self.signum = None

    def exception(self):
        return Terminated() if self.signum == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def deferred():
    """SIGINT and SIGTERM arriving inside the block are remembered, not raised: a second Ctrl-C
    while a video is being finished must not lose the video. The caller reads
    ``pending.signum`` after the block and decides (the run has usually ended already)."""
    pending = Pending()
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def remember(signum, frame):
        pending.signum = pending.signum or signum

    previous = {signum: signal.signal(signum, remember)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield pending
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
