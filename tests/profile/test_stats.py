import numpy as np
import pytest

from edge_segnet.profile.stats import LatencyStats


def test_statistics_equal_numpys_on_known_samples():
    samples = [10.0, 12.0, 11.0, 30.0, 10.5, 11.5, 10.2, 12.5, 11.1, 10.9]
    stats = LatencyStats(samples)
    assert stats.count == 10 and stats.min == 10.0 and stats.max == 30.0
    assert stats.mean == pytest.approx(np.mean(samples))
    assert stats.median == pytest.approx(np.median(samples))
    # numpy's default percentile (linear interpolation, Hyndman-Fan type 7).
    for name, q in (("p90", 90), ("p95", 95), ("p99", 99)):
        assert getattr(stats, name) == pytest.approx(np.percentile(samples, q))
    # Sorted, rank (n - 1) * 0.9 = 8.1: x[8] + 0.1 * (x[9] - x[8]) = 12.5 + 0.1 * 17.5.
    assert stats.p90 == pytest.approx(14.25)
    assert stats.std == pytest.approx(np.std(samples, ddof=1))
    assert stats.cv == pytest.approx(stats.std / stats.mean)
    assert stats.throughput == pytest.approx(1000.0 / stats.mean)
    assert stats.unstable  # the 30 ms outlier


def test_steady_samples_are_stable_and_a_single_sample_works():
    assert not LatencyStats([10.0, 10.1, 9.9, 10.0]).unstable
    one = LatencyStats([5.0])
    assert one.std == 0.0 and one.p99 == 5.0
    with pytest.raises(ValueError):
        LatencyStats([])
