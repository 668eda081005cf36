"""tools/bench_label_upsampling.py: the two ways of bringing labels up to the frame that issue
25 asked to measure, scored on real CamVid frames."""

import cv2
import numpy as np
import pytest

from tests import tool_scripts


@pytest.fixture(scope="module")
def tool():
    return tool_scripts.load("bench_label_upsampling")


def test_bilinear_scores_move_a_boundary_that_nearest_keeps_on_the_coarse_grid(tool):
    # class 1's score rises left to right across 4 columns and meets class 0's on column 2
    # (a tie: the first class wins): nearest keeps whole coarse columns, bilinear moves the
    # boundary to the half of column 2 where class 1 is ahead.
    ramp = np.arange(4, dtype=np.float32) - 2.0
    logits = np.stack([np.zeros((1, 4), np.float32), ramp[None]])[None]
    assert tool.nearest(logits, 1, 8).tolist() == [[0, 0, 0, 0, 0, 0, 1, 1]]
    assert tool.bilinear(cv2, logits, 1, 8).tolist() == [[0, 0, 0, 0, 0, 1, 1, 1]]
    same = np.stack([np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)])[None]
    assert (tool.bilinear(cv2, same, 5, 7) == 0).all()


def test_both_ways_are_scored_per_sequence_and_timed_with_a_control(tool, camvid_mini, capsys):
    assert tool.main(["--data", camvid_mini, "--timed", "2", "--rounds", "1",
                      "--threads", "1"]) == 0
    printed = capsys.readouterr().out
    for way in ("nearest", "bilinear"):
        assert "  {:9s} all       global".format(way) in printed
    assert "ms per frame to 360x480" in printed and "ms per frame to 720x1280" in printed
    assert printed.count("control nearest_again / nearest") == 2
