"""tools/interleave.py, the rounds every benchmark that prints a ratio runs its variants in."""

from tests import tool_scripts


def test_every_round_runs_each_variant_once_in_a_shuffled_order():
    interleave = tool_scripts.load("interleave")
    calls = []
    variants = {name: (lambda name=name: calls.append(name) or len(calls))
                for name in "abcd"}
    values = interleave.rounds(variants, 6, seed=1)
    rounds = [calls[index:index + 4] for index in range(0, 24, 4)]
    assert all(sorted(order) == list("abcd") for order in rounds)
    assert len({tuple(order) for order in rounds}) > 1  # not one fixed order
    assert all(len(values[name]) == 6 for name in "abcd")


def test_ratios_are_per_round_and_the_control_says_when_the_noise_is_too_large():
    interleave = tool_scripts.load("interleave")
    values = {"x": [1.0, 2.0, 4.0], "y": [2.0, 2.0, 2.0], "again": [1.01, 1.98, 4.1]}
    assert interleave.ratios(values, "x", "y") == [0.5, 1.0, 2.0]
    assert interleave.spread([0.5, 1.0, 2.0]) == "1.000 [0.500, 2.000]"
    assert "(ok)" in interleave.control_line(values, "x", "again")
    values["drifted"] = [1.1, 2.2, 4.4]
    assert "NOISY" in interleave.control_line(values, "x", "drifted")
