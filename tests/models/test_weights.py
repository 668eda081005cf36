import numpy as np
import onnx
import pytest

from edge_segnet.errors import ModelError
from edge_segnet.models import zoo


def _npz(tmp_path, arrays, name="w.npz"):
    path = str(tmp_path / name)
    np.savez(path, **arrays)
    return path


@pytest.fixture
def basic_arrays():
    rng = np.random.RandomState(7)
    return {name: rng.standard_normal(shape).astype(np.float32)
            for name, shape in zoo.expected_weights("segnet-basic", class_count=4)}


def test_npz_weights_land_in_the_initializers_unchanged(tmp_path, basic_arrays):
    model = zoo.create("segnet-basic", class_count=4, weights_path=_npz(tmp_path, basic_arrays))
    stored = {init.name: onnx.numpy_helper.to_array(init) for init in model.graph.initializer}
    assert set(stored) == set(basic_arrays)
    for name, array in basic_arrays.items():
        assert np.array_equal(stored[name], array), name


def test_expected_weights_follow_pytorch_state_dict_names():
    names = [name for name, _ in zoo.expected_weights("segnet-vgg16")]
    assert names[:6] == ["enc1_1.conv.weight", "enc1_1.conv.bias", "enc1_1.bn.weight",
                         "enc1_1.bn.bias", "enc1_1.bn.running_mean", "enc1_1.bn.running_var"]
    assert "dec5_3.conv.weight" in names and names[-2:] == ["classifier.weight",
                                                            "classifier.bias"]


def test_a_missing_tensor_is_named_with_its_shape(tmp_path, basic_arrays):
    del basic_arrays["dec3.bn.running_var"]
    with pytest.raises(ModelError, match=r"no tensor 'dec3.bn.running_var' \(expected shape "
                                         r"\(64\)\)"):
        zoo.create("segnet-basic", class_count=4, weights_path=_npz(tmp_path, basic_arrays))


def test_an_unknown_tensor_is_named(tmp_path, basic_arrays):
    basic_arrays["enc9.conv.weight"] = np.zeros(3, np.float32)
    with pytest.raises(ModelError, match="tensors the model does not have: enc9.conv.weight"):
        zoo.create("segnet-basic", class_count=4, weights_path=_npz(tmp_path, basic_arrays))


def test_a_wrong_class_count_names_the_classifier_shapes(tmp_path, basic_arrays):
    with pytest.raises(ModelError, match=r"'classifier.weight' has shape \(4, 64, 1, 1\) but "
                                         r"the model needs \(12, 64, 1, 1\)"):
        zoo.create("segnet-basic", class_count=12, weights_path=_npz(tmp_path, basic_arrays))


def test_integer_weights_are_refused(tmp_path, basic_arrays):
    basic_arrays["enc1.conv.bias"] = np.zeros(64, np.int32)
    with pytest.raises(ModelError, match="'enc1.conv.bias' has dtype int32"):
        zoo.create("segnet-basic", class_count=4, weights_path=_npz(tmp_path, basic_arrays))


def test_a_file_that_is_no_npz_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    path.write_text("not a zip")
    with pytest.raises(ModelError, match="is not an .npz archive: it is not a zip file") as info:
        zoo.create("segnet-basic", weights_path=str(path))
    assert "pickle" not in str(info.value)  # numpy's advice is about another problem


def test_an_empty_weights_file_is_not_an_npz_archive(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"")
    with pytest.raises(ModelError, match="w.npz is not an .npz archive: it is empty"):
        zoo.create("segnet-basic", weights_path=str(path))


def test_an_npz_of_pickled_objects_is_explained_without_numpys_pickle_advice(tmp_path):
    path = str(tmp_path / "w.npz")
    np.savez(path, **{"enc1.conv.weight": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ModelError, match="hold an object array") as info:
        zoo.create("segnet-basic", weights_path=path)
    assert "allow_pickle" not in str(info.value)


def test_a_zip_whose_members_are_not_arrays_is_refused(tmp_path):
    import zipfile

    path = str(tmp_path / "w.npz")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ModelError, match="member 'notes.txt' is not a .npy array"):
        zoo.create("segnet-basic", weights_path=path)


def test_a_fifo_as_weights_is_refused_without_opening_it(tmp_path, fifo):
    path = fifo(tmp_path / "w.npz")
    with pytest.raises(ModelError, match="weights file .*w.npz is not a regular file: it is a "
                                         "FIFO"):
        zoo.create("segnet-basic", weights_path=path)
