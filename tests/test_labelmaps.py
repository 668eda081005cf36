import cv2
import numpy as np
import pytest

from edge_segnet import labelmaps


@pytest.mark.parametrize("source, target", [((360, 480), (128, 256)), ((360, 480), (160, 320)),
                                            ((7, 9), (3, 5))])
def test_downsampling_matches_opencvs_centre_aligned_nearest(source, target):
    if not hasattr(cv2, "INTER_NEAREST_EXACT"):
        pytest.skip("this OpenCV has no INTER_NEAREST_EXACT to compare with")
    labels = np.random.default_rng(0).integers(0, 12, source).astype(np.uint8)
    expected = cv2.resize(labels, target[::-1], interpolation=cv2.INTER_NEAREST_EXACT)
    assert np.array_equal(labelmaps.resize_labels(labels, *target), expected)


def test_each_output_pixel_takes_the_source_pixel_under_its_centre():
    # 3 -> 2: centres at 0.75 and 2.25 source pixels; INTER_NEAREST would take 0 and 1.
    labels = np.array([[0, 1, 2]], np.uint8)
    assert labelmaps.resize_labels(labels, 1, 2).tolist() == [[0, 2]]
    # 2 -> 5 upsampling: centres at 0.2, 0.6, 1.0, 1.4, 1.8 source pixels.
    assert labelmaps.resize_labels(np.array([[4, 7]], np.int32), 1, 5).tolist() == [
        [4, 4, 7, 7, 7]]


def test_a_round_trip_through_the_model_size_keeps_more_pixels_than_top_left_nearest():
    # Thin vertical stripes, as poles are: what a ~0.3-pixel offset loses.
    labels = np.zeros((360, 480), np.uint8)
    labels[:, 3::7] = 1
    back = labelmaps.resize_labels(labelmaps.resize_labels(labels, 128, 256), 360, 480)
    small = cv2.resize(labels, (256, 128), interpolation=cv2.INTER_NEAREST)
    top_left = cv2.resize(small, (480, 360), interpolation=cv2.INTER_NEAREST)
    assert (back == labels).mean() > (top_left == labels).mean()


def test_same_size_is_returned_as_it_is_and_dtype_is_kept():
    labels = np.arange(12, dtype=np.int64).reshape(3, 4)
    assert labelmaps.resize_labels(labels, 3, 4) is labels
    assert labelmaps.resize_labels(labels, 6, 8).dtype == np.int64
