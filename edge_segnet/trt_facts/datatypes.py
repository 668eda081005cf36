"""The numpy type of each TensorRT ``DataType``, by the member's name, so that the engine code
never calls ``tensorrt.nptype``: in 8.2.1 and 8.5.2 that helper builds its table with
``np.bool`` on every call (python/packaging/tensorrt/__init__.py, ``nptype``: line 165 at 8.2.1,
line 166 at 8.5.2), which numpy 1.24 removed, so it raises AttributeError for every type; 8.6.1
switched to ``np.bool_`` (python/packaging/bindings_wheel/tensorrt/__init__.py, ``nptype``).

The table is the one of 10.3.0's ``nptype`` (the same file there): 8.2 has no UINT8 or INT64
members (they are never asked for there), and BF16, FP8, INT4, FP4 have no numpy type."""

# DataType member name -> numpy dtype name.
NUMPY_TYPES = {
    "FLOAT": "float32",
    "HALF": "float16",
    "INT8": "int8",
    "INT32": "int32",
    "INT64": "int64",
    "BOOL": "bool",
    "UINT8": "uint8",
}


def member_name(datatype):
    """"HALF" for DataType.HALF: pybind11 enums have ``name`` (and print as DataType.HALF
    where an older pybind11 lacks it)."""
    name = getattr(datatype, "name", None)
    return name if isinstance(name, str) else str(datatype).rsplit(".", 1)[-1]


def numpy_type_name(datatype):
    """The numpy dtype name of a DataType member, or None where numpy has none."""
    return NUMPY_TYPES.get(member_name(datatype))
