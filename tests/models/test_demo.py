import numpy as np

from edge_segnet.data.synthetic import StreetScene
from edge_segnet.models import demo
from edge_segnet.runtime import open_segmenter


def test_the_demo_model_ships_small_and_segments_a_street():
    import os

    path = demo.demo_model_path()
    assert os.path.getsize(path) < 5 * 1024 * 1024
    segmenter = open_segmenter(path)
    assert segmenter.input_size == (128, 256)
    image, truth = StreetScene((128, 256), seed=12345).render(0)
    predicted = segmenter.infer(image).labels
    valid = truth != 11
    # Trained on synthetic scenes: most pixels of an unseen drive come out right.
    assert np.mean(predicted[valid] == truth[valid]) > 0.8
