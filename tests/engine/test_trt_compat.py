from edge_segnet.engine import trt_compat
from edge_segnet.trt_facts import releases


import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests.engine import fake_tensorrt  # noqa: E402
from tests.engine.fake_tensorrt import RELEASES, make_fake_tensorrt  # noqa: E402


@pytest.fixture
def numpy_1_24(monkeypatch):
    """The stand-in meets numpy as 1.24-1.26 are: no ``np.bool``."""
    monkeypatch.setattr(fake_tensorrt, "np", fake_tensorrt.NumpyWithoutBoolAlias())


@pytest.mark.parametrize("release", RELEASES)
def test_the_stand_in_nptype_fails_under_numpy_1_24_where_the_release_s_own_does(release,
                                                                                  numpy_1_24):
    trt = make_fake_tensorrt(release)
    if release in ("8.2.1", "8.5.2"):  # np.bool in their tensorrt/__init__.py
        with pytest.raises(AttributeError, match="bool"):
            trt.nptype(trt.float32)
    else:
        assert trt.nptype(trt.float32) is np.float32 and trt.nptype(trt.bool) is np.bool_


@pytest.mark.parametrize("release", RELEASES)
def test_every_io_data_type_maps_to_numpy_without_tensorrt_s_nptype(release, numpy_1_24):
    trt = make_fake_tensorrt(release)
    expected = {"FLOAT": np.float32, "HALF": np.float16, "INT8": np.int8, "INT32": np.int32,
                "INT64": np.int64, "BOOL": np.bool_, "UINT8": np.uint8}
    for name, member in trt.DataType.__members__.items():
        if name in expected:
            assert trt_compat.numpy_dtype(member) == np.dtype(expected[name])
        else:  # BF16, FP8, INT4 ...: numpy has no such type
            with pytest.raises(trt_compat.TensorRTError, match=name):
                trt_compat.numpy_dtype(member)
    assert not [call for call in trt._calls if call == "nptype"]
