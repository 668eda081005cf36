"""The unpooling op's semantics in numpy: the oracle for the graph rewrite and the plugin.

For each 2x2 window (stride 2) of the pooled tensor ``pooled`` (N x C x H x W), the value of
``values`` (N x C x H/2 x W/2, floored) goes to the window's first maximum in row-major order;
every other position is zero, and so are the last row/column that an odd H/W leaves out of the
pooling. This is what ONNX Runtime's and PyTorch's MaxPool-with-indices + MaxUnpool produce.
"""

import numpy as np


def window_switch(a, b, c, d):
    """Index 0..3 of the first maximum of the window [[a, b], [c, d]] (elementwise on arrays).

    A later position wins only when strictly greater than every earlier one, as a row-major
    scan with ``>`` does.
    """
    best = a
    switch = np.zeros(np.shape(a), dtype=np.int64)
    for index, candidate in enumerate((b, c, d), 1):
        better = candidate > best
        switch = np.where(better, index, switch)
        best = np.where(better, candidate, best)
    return switch


def unpool(values, pooled):
    """Unpool ``values`` to ``pooled``'s shape with the switches of ``pooled``'s 2x2 windows."""
    values = np.asarray(values)
    pooled = np.asarray(pooled)
    if values.ndim != 4 or pooled.ndim != 4:
        raise ValueError("unpool needs 4-D tensors, got {} and {}".format(values.shape,
                                                                          pooled.shape))
    n, c, height, width = pooled.shape
    h, w = height // 2, width // 2
    if values.shape != (n, c, h, w):
        raise ValueError("values {} do not match the pooling of {} (expected {})".format(
            values.shape, pooled.shape, (n, c, h, w)))
    a = pooled[:, :, 0:2 * h:2, 0:2 * w:2]
    b = pooled[:, :, 0:2 * h:2, 1:2 * w:2]
    c_ = pooled[:, :, 1:2 * h:2, 0:2 * w:2]
    d = pooled[:, :, 1:2 * h:2, 1:2 * w:2]
    switch = window_switch(a, b, c_, d)
    out = np.zeros((n, c, height, width), dtype=values.dtype)
    for index, (row, col) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        out[:, :, row:2 * h:2, col:2 * w:2] = np.where(switch == index, values, 0)
    return out
