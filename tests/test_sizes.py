import pytest

from edge_segnet.errors import UsageError
from edge_segnet.sizes import format_size, parse_size


@pytest.mark.parametrize("text, size", [("128x256", (128, 256)), (" 100 X 150 ", (100, 150)),
                                        ("360×480", (360, 480))])
def test_parse_size_reads_height_by_width(text, size):
    assert parse_size(text) == size
    assert format_size(size) == "{}x{}".format(*size)


@pytest.mark.parametrize("text", ["12x", "x256", "128", "128x256x3", "abc", "", "-1x5"])
def test_parse_size_rejects_malformed_text_naming_the_option(text):
    with pytest.raises(UsageError, match="--input-size must be HEIGHTxWIDTH"):
        parse_size(text)


def test_parse_size_rejects_sides_too_small_for_four_poolings():
    with pytest.raises(UsageError, match="between 32 and"):
        parse_size("16x256")
