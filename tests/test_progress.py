"""The one progress helper every long loop uses (edge_segnet/progress.py)."""

import io

from edge_segnet.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_redraws_on_a_terminal_and_prints_lines_elsewhere():
    ticks = iter(range(100))
    terminal = _Terminal()
    bar = Progress("downloading", 2000000, stream=terminal, interval=0.0,
                                   clock=lambda: float(next(ticks)))
    bar.begin(0)
    bar.update(1000000)
    bar.finish()
    text = terminal.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and " 50% [############" in text
    plain = io.StringIO()
    bar = Progress("downloading", 100, stream=plain)
    bar.begin(0)
    for done in range(1, 101):
        bar.update(done)
    bar.finish()
    lines = plain.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("downloading 100%")
    unknown = io.StringIO()
    bar = Progress("downloading", None, stream=unknown)
    bar.begin(0)
    bar.update(25000000)
    bar.update(27000000)
    bar.finish()  # the last figure is printed even between two 10 MB marks
    assert unknown.getvalue().splitlines()[-1].startswith("downloading 27.0 MB")
