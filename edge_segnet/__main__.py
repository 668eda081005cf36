"""``edge-segnet`` and ``python -m edge_segnet``. Signals are taken before the command line
(typer, numpy, onnx) is imported, so that Ctrl-C or SIGTERM during start-up is one line and its
exit code too, not a traceback, a crash or a silent kill."""

import sys

from edge_segnet import signals


def main():
    # An interrupt inside a C extension's module initialisation (numpy, onnx, protobuf) can
    # crash the interpreter at exit (seen: SIGSEGV): start-up defers signals, then obeys them.
    with signals.deferred() as pending:
        from edge_segnet import cli
    if pending.signum is not None:
        exc = pending.exception()
        sys.stderr.write(("terminated" if isinstance(exc, signals.Terminated)
                          else "interrupted") + "\n")
        return signals.exit_code(exc)
    signals.terminate_like_interrupt()
    try:
        return cli.main()
    finally:
        # The command is over and its files are final: a late Ctrl-C must not turn the
        # interpreter's exit (joining threads) into an "Exception ignored" traceback.
        signals.ignore()


if __name__ == "__main__":
    sys.exit(main())
