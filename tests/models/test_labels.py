import json

import numpy as np
import pytest

from edge_segnet.errors import DataError
from edge_segnet.models import labels


def test_camvid_default_has_eleven_classes_and_void_last():
    camvid = labels.camvid()
    assert len(camvid) == 12
    assert camvid.names[:4] == ("sky", "building", "pole", "road")
    assert camvid.void_index == 11
    assert camvid.colors_rgb[3].tolist() == [128, 64, 128]
    assert camvid.colors_bgr[4].tolist() == [222, 40, 60]


def test_jetson_inference_text_files(tmp_path):
    (tmp_path / "labels.txt").write_text("void\nroad\ncar\n")
    (tmp_path / "colors.txt").write_text("0 0 0\n128 64 128 255\n64, 0, 128\n")
    loaded = labels.load(str(tmp_path / "labels.txt"), str(tmp_path / "colors.txt"))
    assert loaded.names == ("void", "road", "car")
    assert loaded.colors_rgb.tolist() == [[0, 0, 0], [128, 64, 128], [64, 0, 128]]
    assert loaded.void_index == 0


def test_labels_without_colors_take_camvid_colors_by_name(tmp_path):
    (tmp_path / "labels.txt").write_text("road\nthing\n")
    loaded = labels.load(str(tmp_path / "labels.txt"))
    assert loaded.colors_rgb[0].tolist() == [128, 64, 128]
    assert loaded.void_index is None


@pytest.mark.parametrize("payload", [
    {"labels": ["a", "b"], "colors": [[1, 2, 3], [4, 5, 6]]},
    [{"name": "a", "color": [1, 2, 3]}, {"name": "b", "color": [4, 5, 6]}],
])
def test_json_label_files(tmp_path, payload):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(payload))
    loaded = labels.load(str(path))
    assert loaded.names == ("a", "b")
    assert loaded.colors_rgb.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_mismatched_counts_and_bad_lines_are_explained(tmp_path):
    (tmp_path / "labels.txt").write_text("a\nb\n")
    (tmp_path / "colors.txt").write_text("1 2 3\n")
    with pytest.raises(DataError, match="2 class names but 1 colors"):
        labels.load(str(tmp_path / "labels.txt"), str(tmp_path / "colors.txt"))
    (tmp_path / "colors.txt").write_text("1 2\n")
    with pytest.raises(DataError, match="line 1: expected 'r g b'"):
        labels.load(str(tmp_path / "labels.txt"), str(tmp_path / "colors.txt"))
    with pytest.raises(DataError, match="cannot read"):
        labels.load(str(tmp_path / "missing.txt"))


def test_with_count_pads_with_distinct_colors_and_cuts():
    camvid = labels.camvid()
    padded = camvid.with_count(15)
    assert padded.names[12:] == ("class12", "class13", "class14")
    assert len({tuple(color) for color in padded.colors_rgb.tolist()}) == 15
    assert camvid.with_count(3).names == ("sky", "building", "pole")
    assert np.array_equal(camvid.with_count(12).colors_rgb, camvid.colors_rgb)


@pytest.mark.parametrize("payload, text", [
    ({"labels": "road"}, "'labels' must be a list of class names, not a string"),
    ({"labels": {"0": "road"}}, "'labels' must be a list of class names, not an object"),
    ({"labels": ["road", ["car"]]}, "class name 1 is a list, not a string"),
    ({"labels": ["road", "car"], "colors": "red"}, "colors must be a list of [r, g, b]"),
    ({"labels": ["road", "car"], "colors": [[1, 2, 3], ["a", 2, 3]]},
     "colors must be a list of [r, g, b]"),
    ([{"name": "road", "color": "gray"}], "colors must be a list of [r, g, b]"),
])
def test_json_labels_of_the_wrong_type_are_refused_not_split_into_characters(tmp_path, payload,
                                                                             text):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(DataError) as info:
        labels.load(str(path))
    assert text in str(info.value) and str(path) in str(info.value)


def test_the_file_the_names_came_from_is_kept_for_messages(tmp_path):
    (tmp_path / "labels.txt").write_text("road\ncar\n")
    assert labels.load(str(tmp_path / "labels.txt")).source == str(tmp_path / "labels.txt")
    assert labels.camvid().source is None


@pytest.mark.parametrize("name", ["labels.txt", "labels.json"])
def test_a_fifo_as_a_labels_file_is_refused_without_opening_it(tmp_path, fifo, name):
    path = fifo(tmp_path / name)
    with pytest.raises(DataError, match="labels file .*{} is not a regular file: it is a "
                                        "FIFO".format(name)):
        labels.load(path)
    (tmp_path / "real.txt").write_text("road\n")
    with pytest.raises(DataError, match="colors file .*{} is not a regular file".format(name)):
        labels.load(str(tmp_path / "real.txt"), path)
