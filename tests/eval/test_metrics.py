import numpy as np
import pytest

from edge_segnet.eval.metrics import ConfusionMatrix


def _matrix(truth, prediction, classes=4, ignore=3):
    matrix = ConfusionMatrix(classes, ignore_index=ignore)
    matrix.update(np.array(truth), np.array(prediction))
    return matrix


def test_a_perfect_prediction_scores_one_everywhere():
    truth = np.random.RandomState(0).randint(0, 3, (20, 30))
    matrix = _matrix(truth, truth)
    assert matrix.global_accuracy() == 1.0
    assert matrix.class_average_accuracy() == 1.0
    assert matrix.mean_iou() == 1.0


def test_a_known_confusion_matrix():
    matrix = _matrix([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0])
    assert matrix.counts[:3, :3].tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert matrix.global_accuracy() == pytest.approx(4 / 6)
    assert matrix.per_class_accuracy() == {0: 0.5, 1: 1.0, 2: 0.5}
    assert matrix.class_average_accuracy() == pytest.approx(2 / 3)
    assert matrix.per_class_iou() == pytest.approx({0: 1 / 3, 1: 2 / 3, 2: 1 / 2})
    assert matrix.mean_iou() == pytest.approx(0.5)


def test_void_pixels_are_ignored_whatever_is_predicted():
    with_void = _matrix([0, 1, 3, 3, 3], [0, 1, 0, 2, 1])
    without = _matrix([0, 1], [0, 1])
    assert np.array_equal(with_void.counts, without.counts)
    assert with_void.pixels == 2


def test_predicting_void_on_a_labelled_pixel_is_an_error():
    matrix = _matrix([0, 0], [0, 3])
    assert matrix.global_accuracy() == 0.5


def test_a_class_absent_from_ground_truth():
    # Class 2 never in the truth: no accuracy; predicted once, so IoU 0 counts in the mean.
    predicted = _matrix([0, 0, 1, 1], [0, 2, 1, 1])
    assert predicted.per_class_accuracy()[2] is None
    assert predicted.class_average_accuracy() == pytest.approx((0.5 + 1.0) / 2)
    assert predicted.per_class_iou()[2] == 0.0
    assert predicted.mean_iou() == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    # Absent from truth and prediction: left out of both means.
    absent = _matrix([0, 1], [0, 1])
    assert absent.per_class_iou()[2] is None and absent.mean_iou() == 1.0


def test_metrics_equal_an_independent_computation():
    rng = np.random.RandomState(5)
    truth = rng.randint(0, 6, 5000)
    prediction = np.where(rng.rand(5000) < 0.7, truth, rng.randint(0, 6, 5000))
    matrix = ConfusionMatrix(6, ignore_index=5)
    for chunk in np.array_split(np.arange(5000), 7):  # accumulation over frames
        matrix.update(truth[chunk], prediction[chunk])
    valid = truth != 5
    t, p = truth[valid], prediction[valid]
    accuracies = [np.mean(p[t == c] == c) for c in range(5)]
    ious = [np.sum((t == c) & (p == c)) / np.sum((t == c) | (p == c)) for c in range(5)]
    assert matrix.global_accuracy() == pytest.approx(np.mean(t == p))
    assert matrix.class_average_accuracy() == pytest.approx(np.mean(accuracies))
    assert matrix.mean_iou() == pytest.approx(np.mean(ious))


def test_an_ignored_first_class_leaves_the_last_class_scored():
    # Ignoring class 0: pixels of classes 1..3 count, the last one (3) included.
    matrix = _matrix([0, 1, 1, 2, 3, 3, 0], [1, 1, 2, 2, 3, 0, 3], classes=4, ignore=0)
    # Scored pixels (truth, prediction): (1,1) (1,2) (2,2) (3,3) (3,0); predicting the ignored
    # class 0 on a pixel of class 3 is an error.
    assert matrix.pixels == 5 and matrix.counts[0].sum() == 0
    assert matrix.evaluated_classes() == [1, 2, 3]
    assert matrix.global_accuracy() == pytest.approx(3 / 5)
    assert matrix.per_class_accuracy() == {1: 0.5, 2: 1.0, 3: 0.5}
    assert matrix.class_average_accuracy() == pytest.approx(2 / 3)
    # IoU: class 1: 1 / (2 + 1 - 1); class 2: 1 / (1 + 2 - 1); class 3: 1 / (2 + 1 - 1).
    assert matrix.per_class_iou() == pytest.approx({1: 0.5, 2: 0.5, 3: 0.5})
    assert matrix.mean_iou() == pytest.approx(0.5)


def test_an_ignored_middle_class_leaves_both_neighbours_scored():
    matrix = _matrix([0, 1, 2, 2, 3, 0], [0, 2, 2, 1, 3, 1], classes=4, ignore=2)
    # Scored: (0,0) (1,2) (3,3) (0,1); class 1 predicted on a class-0 pixel is a false
    # positive of class 1; predicting the ignored class 2 on a class-1 pixel is an error.
    assert matrix.pixels == 4
    assert matrix.global_accuracy() == pytest.approx(2 / 4)
    assert matrix.per_class_accuracy() == {0: 0.5, 1: 0.0, 3: 1.0}
    assert matrix.class_average_accuracy() == pytest.approx(0.5)
    assert matrix.per_class_iou() == pytest.approx({0: 0.5, 1: 0.0, 3: 1.0})
    assert matrix.mean_iou() == pytest.approx(0.5)
