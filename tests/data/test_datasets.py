import cv2
import numpy as np
import pytest

from edge_segnet.data import datasets
from edge_segnet.errors import DataError, UsageError


def _png(path, array):
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)


def test_cityscapes_layout_and_train_ids(tmp_path):
    city = "aachen"
    _png(tmp_path / "leftImg8bit/val" / city / "a_000001_leftImg8bit.png",
         np.zeros((4, 6, 3), np.uint8))
    label_ids = np.array([[7, 8, 26, 24, 0, 33]] * 4, np.uint8)
    _png(tmp_path / "gtFine/val" / city / "a_000001_gtFine_labelIds.png", label_ids)
    (sample,) = datasets.list_samples(str(tmp_path), "val", "cityscapes")
    assert sample.name == "a_000001"
    train_ids = datasets.read_labels(sample.label_path, "cityscapes")
    assert train_ids[0].tolist() == [0, 1, 13, 11, 255, 18]


def test_folder_layout_with_and_without_split(tmp_path):
    for base in (tmp_path / "flat", tmp_path / "split" / "test"):
        _png(base / "images" / "x.jpg", np.zeros((4, 4, 3), np.uint8))
        _png(base / "labels" / "x.png", np.zeros((4, 4), np.uint8))
    assert [s.name for s in datasets.list_samples(str(tmp_path / "flat"), "test", "folder")] == [
        "x"]
    assert len(datasets.list_samples(str(tmp_path / "split"), "test", "folder")) == 1


def test_layout_errors_are_explained(tmp_path):
    with pytest.raises(UsageError, match="--format must be one of"):
        datasets.list_samples(str(tmp_path), "test", "voc")
    with pytest.raises(DataError, match="dataset folder not found"):
        datasets.list_samples(str(tmp_path / "none"), "test")
    with pytest.raises(DataError, match="missing split folder .*test"):
        datasets.list_samples(str(tmp_path), "test")
    _png(tmp_path / "test" / "a.png", np.zeros((4, 4, 3), np.uint8))
    _png(tmp_path / "test" / "b.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "testannot").mkdir()
    _png(tmp_path / "testannot" / "a.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="1 images in .* have no label .*first: b"):
        datasets.list_samples(str(tmp_path), "test")
    _png(tmp_path / "testannot" / "b.png", np.zeros((4, 4), np.uint8))
    _png(tmp_path / "testannot" / "c.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="1 labels in .* have no image .*first: c"):
        datasets.list_samples(str(tmp_path), "test")


def test_unreadable_images_and_color_labels_are_refused(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot read image"):
        datasets.read_image(str(broken))
    color = tmp_path / "color.png"
    _png(color, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DataError, match="has 3 channels; it must hold one class id"):
        datasets.read_labels(str(color))


def test_a_damaged_image_or_label_is_refused_not_scored_on_its_gray(tmp_path):
    # A truncated JPEG decodes with gray where data is missing; eval and training would take
    # that gray for the scene.
    noisy = np.random.RandomState(0).randint(0, 255, (128, 128, 3)).astype(np.uint8)
    data = cv2.imencode(".jpg", noisy)[1].tobytes()
    (tmp_path / "cut.jpg").write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError, match="image .*cut.jpg is damaged \\(Premature end of JPEG "
                                        "file\\): only part of it could be decoded"):
        datasets.read_image(str(tmp_path / "cut.jpg"))
    data = cv2.imencode(".png", noisy[:, :, 0])[1].tobytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError, match="cannot read label image .*cut.png: libpng error: Read "
                                        "Error"):
        datasets.read_labels(str(tmp_path / "cut.png"))


def test_fifos_as_images_or_labels_are_refused_without_opening_them(tmp_path, fifo):
    (tmp_path / "test").mkdir()
    (tmp_path / "testannot").mkdir()
    image = fifo(tmp_path / "test" / "a.png")
    label = fifo(tmp_path / "testannot" / "a.png")
    sample, = datasets.list_samples(str(tmp_path), "test")
    assert (sample.image_path, sample.label_path) == (image, label)
    with pytest.raises(DataError, match="image .*a.png is not a regular file: it is a FIFO"):
        datasets.read_image(image)
    with pytest.raises(DataError, match="label image .*a.png is not a regular file: it is a "
                                        "FIFO"):
        datasets.read_labels(label)
