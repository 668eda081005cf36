"""``verify``: two models on the same frames, compared the way segmentation cares about:
logit differences, arg-max agreement and per-class IoU between the two label maps."""

import json
import math

from edge_segnet.errors import EdgeSegnetError
from edge_segnet.runtime import open_segmenter
from edge_segnet.runtime.compare import Comparison, check_tolerances, compare_open

__all__ = ("Comparison", "VerificationFailed", "check_tolerances", "compare", "compare_open",
           "compare_segmenters", "report_json")


class VerificationFailed(EdgeSegnetError):
    """The two models differ by more than the tolerances."""


def compare(path_a, path_b, frames, threads=None, backend_b="auto"):
    """Run both models on every frame; returns a Comparison (model A is the reference)."""
    segmenter_a = open_segmenter(path_a, threads=threads)
    segmenter_b = open_segmenter(path_b, backend=backend_b, threads=threads)
    try:
        return compare_open(segmenter_a, segmenter_b, frames, path_a, path_b)
    finally:
        segmenter_a.close()
        segmenter_b.close()


def compare_segmenters(path_a, segmenter_b, frames, threads=None):
    """Model ``path_a`` (on its own backend) against an open Segmenter, e.g. an engine."""
    segmenter_a = open_segmenter(path_a, threads=threads)
    try:
        return compare_open(segmenter_a, segmenter_b, frames, path_a, segmenter_b.model_path)
    finally:
        segmenter_a.close()


def _json_safe(value):
    """``value`` with every NaN or infinity as null: JSON has no such numbers."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_json(comparison, atol, min_agreement):
    payload = comparison.to_json()
    payload.update({"atol": atol, "min_agreement_percent": min_agreement,
                    "failures": comparison.failures(atol, min_agreement)})
    return json.dumps(_json_safe(payload), indent=2, allow_nan=False)
