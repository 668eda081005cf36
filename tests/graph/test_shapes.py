from edge_segnet.graph.shapes import static_shapes
from edge_segnet.models import zoo


def test_static_shapes_include_unpooling_outputs_at_odd_sizes():
    shapes = static_shapes(zoo.create("segnet-basic", input_size=(100, 150)))
    assert shapes["unpool1.out"] == [1, 64, 100, 150]
    assert shapes["unpool2.out"] == [1, 64, 50, 75]
    assert shapes["unpool3.out"] == [1, 64, 25, 37]
