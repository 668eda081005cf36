"""Property-based fuzzing of what users type and feed: sizes, source URIs, --serve addresses,
label and colour files, and a model's metadata. Whatever the input, a parser returns a valid
value or raises one of our errors (one line, an exit code), never anything else."""

import json
import os
import tempfile

import onnx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from edge_segnet.errors import EdgeSegnetError
from edge_segnet.models import labels as labels_module
from edge_segnet.models import metadata
from edge_segnet.sizes import MAX_SIDE, MIN_SIDE, format_size, parse_size
from edge_segnet.video import sources
from edge_segnet.video.mjpeg_server import parse_address

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Text as users produce it: digits and separators often, any character sometimes.
typed = st.one_of(
    st.text(alphabet="0123456789xX:/.,-+ *?[]", max_size=24),
    st.text(max_size=24),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(
        st.sampled_from(["labels", "colors", "name", "color", "x"]) | st.text(max_size=6),
        children, max_size=4),
    max_leaves=20)


def _one_line(exc):
    text = str(exc)
    assert text and "\n" not in text, repr(text)


@FUZZ
@given(typed)
def test_sizes_parse_in_range_or_refuse_in_one_line(text):
    try:
        height, width = parse_size(text)
    except EdgeSegnetError as exc:
        _one_line(exc)
        return
    assert MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE
    assert parse_size(format_size((height, width))) == (height, width)


@FUZZ
@given(typed)
def test_source_uris_parse_to_a_kind_or_refuse_in_one_line(text):
    try:
        spec = sources.parse_source(text)
    except EdgeSegnetError as exc:
        _one_line(exc)
        return
    assert spec.kind in ("synthetic", "v4l2", "csi", "stream", "video", "images")


@FUZZ
@given(typed)
def test_serve_addresses_parse_to_host_and_port_or_refuse_in_one_line(text):
    try:
        host, port = parse_address(text)
    except EdgeSegnetError as exc:
        _one_line(exc)
        return
    assert isinstance(host, str) and host
    assert 0 <= port < 65536


@FUZZ
@given(json_values)
def test_label_json_gives_a_consistent_label_set_or_refuses(obj):
    try:
        label_set = labels_module.from_json_obj(obj, source="labels.json")
    except EdgeSegnetError as exc:
        _one_line(exc)
        return
    assert all(isinstance(name, str) and name for name in label_set.names)
    assert label_set.colors_rgb.shape == (len(label_set.names), 3)
    assert ((label_set.colors_rgb >= 0) & (label_set.colors_rgb <= 255)).all()


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield folder


@FUZZ
@given(names=st.binary(max_size=200), colors=st.binary(max_size=200),
       as_json=st.booleans())
def test_label_and_colour_files_load_or_refuse_in_one_line(scratch, names, colors, as_json):
    labels_path = os.path.join(scratch, "labels.json" if as_json else "labels.txt")
    colors_path = os.path.join(scratch, "colors.txt")
    with open(labels_path, "wb") as handle:
        handle.write(names)
    with open(colors_path, "wb") as handle:
        handle.write(colors)
    for arguments in ((labels_path, None), (None, colors_path), (labels_path, colors_path)):
        try:
            label_set = labels_module.load(*arguments)
        except EdgeSegnetError as exc:
            _one_line(exc)
            continue
        assert label_set.colors_rgb.shape == (len(label_set.names), 3)


@FUZZ
@given(st.dictionaries(st.sampled_from(["labels", "palette", "mean", "std", "input_size",
                                        "architecture", "color_order", "model_card"]),
                       st.one_of(json_values.map(json.dumps), st.text(max_size=20)),
                       max_size=8))
def test_model_metadata_of_any_shape_reads_as_defaults_or_refuses(props):
    model = onnx.ModelProto()
    metadata.set_props(model, {metadata.PREFIX + key: value for key, value in props.items()})
    try:
        info = metadata.ModelInfo.from_model(model, class_count=12)
    except EdgeSegnetError as exc:
        _one_line(exc)
        return
    assert len(info.labels.names) == 12
    assert len(info.mean) == 3 and len(info.std) == 3
    assert all(value > 0 for value in info.std)
    assert info.input_size is None or (len(info.input_size) == 2 and all(
        isinstance(side, int) and side > 0 for side in info.input_size))
