"""An image and its label map painted together, so every pixel's label is exact."""

import numpy as np


class Canvas(object):
    """BGR float image and uint8 labels of one size; shapes paint both at once."""

    def __init__(self, height, width):
        self.height, self.width = height, width
        self.image = np.zeros((height, width, 3), dtype=np.float32)
        self.labels = np.zeros((height, width), dtype=np.uint8)

    def paint(self, rows, cols, mask, class_id, color):
        """Paint ``mask`` (a boolean array over the window rows x cols) with one class."""
        if mask is None:
            self.image[rows, cols] = color
            self.labels[rows, cols] = class_id
            return
        self.image[rows, cols][mask] = color
        self.labels[rows, cols][mask] = class_id

    def _window(self, left, top, right, bottom):
        """Pixel index window covering the box, clipped; None when empty."""
        c0, c1 = max(int(np.floor(left)), 0), min(int(np.ceil(right)), self.width)
        r0, r1 = max(int(np.floor(top)), 0), min(int(np.ceil(bottom)), self.height)
        if c0 >= c1 or r0 >= r1:
            return None
        return slice(r0, r1), slice(c0, c1)

    def _centres(self, rows, cols):
        v = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None] + 0.5
        u = np.arange(cols.start, cols.stop, dtype=np.float32)[None, :] + 0.5
        return u, v

    def rect(self, left, top, right, bottom, class_id, color):
        """Pixels whose centres lie inside the box."""
        window = self._window(np.round(left), np.round(top), np.round(right), np.round(bottom))
        if window is not None:
            self.paint(window[0], window[1], None, class_id, color)

    def ellipse(self, cu, cv, ru, rv, class_id, color):
        if ru <= 0 or rv <= 0:
            return
        window = self._window(cu - ru, cv - rv, cu + ru, cv + rv)
        if window is None:
            return
        u, v = self._centres(*window)
        mask = ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1.0
        self.paint(window[0], window[1], mask, class_id, color)

    def polygon(self, points, class_id, color):
        """A convex polygon given by its corners in either winding order."""
        points = np.asarray(points, dtype=np.float32)
        window = self._window(points[:, 0].min(), points[:, 1].min(), points[:, 0].max(),
                              points[:, 1].max())
        if window is None:
            return
        u, v = self._centres(*window)
        area = 0.0
        for i in range(len(points)):
            (x0, y0), (x1, y1) = points[i], points[(i + 1) % len(points)]
            area += x0 * y1 - x1 * y0
        sign = 1.0 if area >= 0 else -1.0
        mask = np.ones(np.broadcast(u, v).shape, dtype=bool)
        for i in range(len(points)):
            (x0, y0), (x1, y1) = points[i], points[(i + 1) % len(points)]
            mask &= sign * ((x1 - x0) * (v - y0) - (y1 - y0) * (u - x0)) >= 0
        self.paint(window[0], window[1], mask, class_id, color)

    def to_uint8(self, noise=None):
        image = self.image if noise is None else self.image + noise
        return np.clip(image, 0, 255).astype(np.uint8)
