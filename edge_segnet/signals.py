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


_RETRY_SECONDS = 0.02
_waiting = []


def _importing(frame):
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<frozen importlib") or "importlib/_bootstrap" in filename:
            return True
        frame = frame.f_back
    return False


def _interrupt(signum, frame):
    # An exception raised inside the import machinery can leave a module half-initialised
    # and the interpreter printing "Exception ignored" tracebacks (seen on Python 3.6): the
    # signal waits until the import is done, re-checked on a short timer.
    if _importing(frame):
        if not _waiting:
            _waiting.append(signum)
        signal.signal(signal.SIGALRM, _retry)
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        return
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _retry(signum, frame):
    if _waiting:
        _interrupt(_waiting.pop(), frame)


def terminate_like_interrupt():
    """From now on SIGTERM raises Terminated and SIGINT KeyboardInterrupt in the main thread,
    never inside an import. A SIGINT that the parent ignores (a background job) stays
    ignored."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _interrupt)


def ignore():
    """SIGINT and SIGTERM do nothing from now on (the process is exiting)."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)


class Pending(object):
    def __init__(self):
        self.signum, self.handlers = None, {}

    def exception(self):
        return Terminated() if self.signum == signal.SIGTERM else KeyboardInterrupt()

    def deliver(self):
        """Hand the remembered signal, if any, to the handler the window replaced, as if it
        had come now: a training loop's handler only records it and stops after its
        checkpoint, the command line's raises. Where no Python handler was in place it raises
        (the process is ours to wind down, not the default's to kill mid-file)."""
        if self.signum is None:
            return
        handler = self.handlers.get(self.signum)
        if callable(handler):
            handler(self.signum, None)
        elif handler is not signal.SIG_IGN:
            raise self.exception()


@contextlib.contextmanager
def deferred():
    """SIGINT and SIGTERM arriving inside the block are remembered, not raised: a second Ctrl-C
    while a video is being finished must not lose the video. After the block the caller reads
    ``pending.signum`` and decides (the run has usually ended already), or calls
    ``pending.deliver()``."""
    pending = Pending()
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def remember(signum, frame):
        pending.signum = pending.signum or signum

    previous = pending.handlers = {signum: signal.signal(signum, remember)
                                   for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield pending
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
