from edge_segnet.platform import cuda


class _FakeCudaLibrary(object):
    """Stands for libcuda/libcudart: their *GetVersion(int *) calls write e.g. 10020."""

    def __init__(self, version, status=0):
        self.version, self.status = version, status

    def cuDriverGetVersion(self, pointer):
        pointer._obj.value = self.version
        return self.status


def test_versions_are_read_as_major_dot_minor():
    assert cuda._query_version(_FakeCudaLibrary(10020), "cuDriverGetVersion") == "10.2"
    assert cuda._query_version(_FakeCudaLibrary(12040), "cuDriverGetVersion") == "12.4"


def test_a_missing_library_or_failing_call_gives_none():
    assert cuda._query_version(None, "cuDriverGetVersion") is None
    assert cuda._query_version(_FakeCudaLibrary(0, status=100), "cuDriverGetVersion") is None

