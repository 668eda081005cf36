"""Latency statistics shared by ``profile`` and ``run``.

Percentiles are numpy's default definition: linear interpolation between the closest ranks
(Hyndman and Fan's type 7), so p50 equals the median.
"""

import numpy as np

# A coefficient of variation above this means the timings drifted (clocks, thermals, load).
UNSTABLE_CV = 0.10


class LatencyStats(object):
    FIELDS = ("count", "min", "mean", "median", "p90", "p95", "p99", "max", "std", "cv",
              "throughput")

    def __init__(self, samples_ms):
        samples = np.asarray(samples_ms, dtype=np.float64)
        if samples.size == 0:
            raise ValueError("no latency samples")
        self.count = int(samples.size)
        self.min = float(samples.min())
        self.mean = float(samples.mean())
        self.median = float(np.median(samples))
        self.p90, self.p95, self.p99 = (float(v) for v in np.percentile(samples, [90, 95, 99]))
        self.max = float(samples.max())
        self.std = float(samples.std(ddof=1)) if samples.size > 1 else 0.0
        self.cv = self.std / self.mean if self.mean > 0 else 0.0
        self.throughput = 1000.0 / self.mean if self.mean > 0 else 0.0  # per second

    @property
    def unstable(self):
        return self.cv > UNSTABLE_CV

    def to_json(self):
        return {field: getattr(self, field) for field in self.FIELDS}
