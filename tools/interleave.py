"""Rounds of the compared variants, in a random order in each round, for every benchmark that
prints a ratio.

A machine shared with other work drifts by tens of percent within a minute: timing each
variant in its own block measures the drift as much as the variant. Here each round runs every
variant once, in a shuffled order, so drift hits them alike; ratios are taken within a round
and printed as median [min, max] over rounds. A control variant (the same thing measured
twice under two names) shows what noise alone gives: its ratio should be within +-3 % of 1.
"""

import random
import statistics


def rounds(variants, count, seed=0, report=None):
    """{name: [value of each round]}: ``variants`` maps a name to a callable returning one
    measurement; every round calls each once, in a random order. ``report(round, values)``
    is called after each round (progress for slow benchmarks)."""
    order = list(variants)
    rng = random.Random(seed)
    values = {name: [] for name in order}
    for index in range(count):
        rng.shuffle(order)
        for name in order:
            values[name].append(variants[name]())
        if report is not None:
            report(index + 1, {name: values[name][-1] for name in variants})
    return values


def ratios(values, numerator, denominator):
    """The per-round ratios numerator / denominator."""
    return [a / b for a, b in zip(values[numerator], values[denominator])]


def spread(samples, digits=3):
    """'median [min, max]' of ``samples``."""
    template = "{{:.{0}f}} [{{:.{0}f}}, {{:.{0}f}}]".format(digits)
    return template.format(statistics.median(samples), min(samples), max(samples))


def control_line(values, first, second, tolerance=0.03):
    """The control's ratio with a verdict: is the noise small enough to trust the others?"""
    ratio = ratios(values, second, first)
    middle = statistics.median(ratio)
    verdict = "ok" if abs(middle - 1.0) <= tolerance else \
        "NOISY: the machine drifted more than +-{:.0%}; rerun with more rounds".format(tolerance)
    return "control {} / {} (the same thing twice): {} ({})".format(
        second, first, spread(ratio), verdict)
