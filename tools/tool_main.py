"""How the benchmark scripts under tools/ meet bad input: one line on stderr ("NAME: error:
what is wrong (what to do)") and a non-zero exit, never a traceback; Ctrl-C or SIGTERM a short
line and 130 or 143. Their counts are checked as the command line is parsed, so a run that could
print nothing (no rounds, no frames) is refused before minutes of setup."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import signals  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402


class Parser(argparse.ArgumentParser):
    """argparse's errors in one line (its own print the usage first)."""

    def error(self, message):
        self.exit(2, "{}: error: {} (see {} --help)\n".format(self.prog, message, self.prog))


def at_least(minimum):
    """An argparse type: a whole number no smaller than ``minimum``."""
    def whole_number(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("{!r} is not a whole number".format(text))
        if value < minimum:
            raise argparse.ArgumentTypeError("must be at least {}; got {}".format(minimum, value))
        return value
    return whole_number


def positive_number(text):
    """An argparse type: a number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not a number".format(text))
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number above 0; got {}".format(text))
    return value


def frame_size(text):
    """An argparse type: HEIGHTxWIDTH, as the package's commands take it."""
    try:
        return parse_size(text, what="the size")
    except EdgeSegnetError as error:
        raise argparse.ArgumentTypeError(str(error))


def run(main, argv=None):
    """``main(argv)``'s exit code, with the problems a user can fix said in one line."""
    name = os.path.basename(sys.argv[0])  # as argparse names it
    signals.terminate_like_interrupt()
    try:
        return main(argv) or 0
    except EdgeSegnetError as error:
        print("{}: error: {}".format(name, error), file=sys.stderr, flush=True)
        return error.exit_code
    except KeyboardInterrupt as interrupt:
        print("{}: {}".format(name, "terminated" if isinstance(interrupt, signals.Terminated)
                              else "interrupted"), file=sys.stderr, flush=True)
        return signals.exit_code(interrupt)
