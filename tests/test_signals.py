"""SIGTERM as an interrupt, never inside an import; signals deferred while files are finished."""

import os
import signal
import types

import pytest

from edge_segnet import signals


def _frame(filename, back=None):
    return types.SimpleNamespace(f_code=types.SimpleNamespace(co_filename=filename), f_back=back)


def test_sigterm_raises_terminated_and_sigint_keyboard_interrupt(monkeypatch):
    with pytest.raises(signals.Terminated):
        signals._interrupt(signal.SIGTERM, _frame(__file__))
    with pytest.raises(KeyboardInterrupt) as caught:
        signals._interrupt(signal.SIGINT, _frame(__file__))
    assert not isinstance(caught.value, signals.Terminated)
    assert signals.exit_code(signals.Terminated()) == 143
    assert signals.exit_code(KeyboardInterrupt()) == 130


def test_a_signal_inside_an_import_waits_until_the_import_is_done(monkeypatch):
    timers = []
    monkeypatch.setattr(signal, "setitimer", lambda which, seconds: timers.append(seconds))
    monkeypatch.setattr(signal, "signal", lambda signum, handler: None)
    inside = _frame("/x/edge_segnet/graph/prepare.py", _frame("<frozen importlib._bootstrap>"))
    signals._interrupt(signal.SIGTERM, inside)  # deferred: no exception
    assert timers == [signals._RETRY_SECONDS]
    signals._retry(signal.SIGALRM, inside)  # still importing: deferred again
    assert len(timers) == 2
    with pytest.raises(signals.Terminated):
        signals._retry(signal.SIGALRM, _frame(__file__))
    assert signals._waiting == []


def test_signals_inside_the_deferred_block_are_remembered_not_raised():
    previous = signal.getsignal(signal.SIGINT)
    with signals.deferred() as pending:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert pending.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is previous


def test_a_deferred_signal_goes_to_the_handler_the_window_replaced():
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        with signals.deferred() as pending:
            os.kill(os.getpid(), signal.SIGTERM)
        assert received == []  # not while the window is open
        pending.deliver()
        assert received == [signal.SIGTERM]
        # Nested windows: the inner one hands it to the outer, which holds it.
        with signals.deferred() as outer:
            with signals.deferred() as inner:
                os.kill(os.getpid(), signal.SIGTERM)
            inner.deliver()
            assert outer.signum == signal.SIGTERM
        outer.deliver()
        assert received == [signal.SIGTERM] * 2
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_deferred_signal_raises_without_a_python_handler_and_is_dropped_if_ignored():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with signals.deferred() as pending:
            os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(signals.Terminated):
            pending.deliver()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with signals.deferred() as pending:
            os.kill(os.getpid(), signal.SIGTERM)
        pending.deliver()
        signals.Pending().deliver()  # nothing came: nothing happens
    finally:
        signal.signal(signal.SIGTERM, previous)
