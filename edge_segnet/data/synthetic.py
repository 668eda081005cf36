"""Deterministic street scenes with exact CamVid labels, seen by a camera driving down a street.

The world is cut into cells along the street; each cell's contents (facades, trees, poles,
signs, fences, parked cars, pedestrians, cyclists, bins) come from a random generator seeded by
(scene seed, cell index), so any frame of an endless drive can be drawn on its own and the same
seed always gives the same pixels. Frames are pinhole projections (camera 1.5 m above the road)
drawn back to front; the image and its label map are painted by the same shapes.
"""

import numpy as np

from edge_segnet.data.canvas import Canvas
from edge_segnet.errors import UsageError
from edge_segnet.models.labels import camvid

_NAMES = camvid().names
SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, BICYCLIST, VOID = (
    _NAMES.index(name) for name in ("sky", "building", "pole", "road", "pavement", "tree", "sign",
                                    "fence", "car", "pedestrian", "bicyclist", "void"))

CAMERA_HEIGHT = 1.5   # metres above the road
ROAD_HALF_WIDTH = 4.0
PAVEMENT_EDGE = 7.5   # facades stand just beyond
FACADE_X = 8.0
CELL_LENGTH = 12.0
NEAR, FAR = 1.5, 70.0
SPEED = 0.8           # metres per frame: 24 m/s at 30 fps would be fast; this reads as a drive

# BGR base colors, varied per object.
_SKY_TOP, _SKY_HORIZON = np.array([235, 190, 140.0]), np.array([245, 225, 205.0])
_ROAD = np.array([92, 90, 88.0])
_PAVEMENT = np.array([150, 165, 175.0])
_FACADES = np.array([[60, 70, 150], [150, 190, 215], [120, 120, 125], [90, 110, 170],
                     [190, 200, 205], [70, 90, 110]], dtype=np.float64)
_CARS = np.array([[40, 40, 200], [200, 80, 30], [230, 230, 230], [30, 30, 30], [60, 150, 60],
                  [150, 150, 160]], dtype=np.float64)
_CLOTHES = np.array([[120, 60, 30], [40, 40, 40], [60, 60, 160], [170, 170, 60],
                     [90, 130, 200]], dtype=np.float64)
_SIGNS = np.array([[40, 40, 210], [180, 90, 20], [40, 200, 230]], dtype=np.float64)


class StreetScene(object):
    """Frames of one drive: ``render(t)`` -> (BGR uint8 image, uint8 labels), both H x W."""

    def __init__(self, size=(360, 480), seed=0, noise=4.0):
        self.height, self.width = int(size[0]), int(size[1])
        self.seed = int(seed)
        self.noise = float(noise)
        rng = np.random.RandomState(self._key(-1))
        self.brightness = rng.uniform(0.8, 1.1)
        self.sway = rng.uniform(0.0, 2 * np.pi)
        self.start = rng.uniform(0.0, 1000.0)
        self.focal = 0.9 * self.width

    def _key(self, cell):
        return (self.seed * 1000003 + cell * 7919 + 12345) % (2 ** 32)

    def camera(self, t):
        """(distance travelled in metres, vanishing point u, horizon v) at frame ``t``."""
        distance = self.start + SPEED * t
        vanish_u = self.width * (0.5 + 0.03 * np.sin(0.05 * t + self.sway))
        horizon_v = self.height * (0.42 + 0.01 * np.sin(0.11 * t + self.sway))
        return distance, vanish_u, horizon_v

    def render(self, t=0):
        canvas = Canvas(self.height, self.width)
        distance, vanish_u, horizon_v = self.camera(t)
        projector = _Projector(self.focal, vanish_u, horizon_v)
        self._background(canvas, distance, projector)
        drawables = []
        first, last = int((distance + NEAR) // CELL_LENGTH), int((distance + FAR) // CELL_LENGTH)
        for cell in range(first, last + 1):
            drawables.extend(_cell_contents(cell, np.random.RandomState(self._key(cell))))
        # Facades lie behind everything on their side of the street; the rest back to front.
        drawables.sort(key=lambda item: (item.kind != "facade", -(item.z - distance)))
        for item in drawables:
            item.draw(canvas, projector, distance)
        canvas.image *= self.brightness
        noise = None
        if self.noise > 0:
            noise = np.random.RandomState(self._key(10 ** 6 + int(t))).normal(
                0.0, self.noise, canvas.image.shape).astype(np.float32)
        return canvas.to_uint8(noise), canvas.labels

    def _background(self, canvas, distance, projector):
        rows = np.arange(self.height, dtype=np.float32) + 0.5
        cols = np.arange(self.width, dtype=np.float32) + 0.5
        sky_rows = rows < projector.horizon_v
        mix = np.clip(rows / max(projector.horizon_v, 1.0), 0, 1)[:, None]
        canvas.image[:] = (_SKY_TOP * (1 - mix) + _SKY_HORIZON * mix)[:, None, :]
        canvas.labels[sky_rows] = SKY
        # A distant skyline where no facade stands in front.
        skyline = projector.horizon_v - 0.03 * self.height * (
            1.5 + np.sin(cols * 0.05 + self.sway) + 0.5 * np.sin(cols * 0.013))
        far_building = (rows[:, None] >= skyline[None, :]) & sky_rows[:, None]
        canvas.image[far_building] = (165, 160, 150)
        canvas.labels[far_building] = BUILDING
        # The ground, per pixel: world x and z from the row and column.
        ground = rows > projector.horizon_v + 0.5
        z = projector.focal * CAMERA_HEIGHT / (rows[ground] - projector.horizon_v)
        x = (cols[None, :] - projector.vanish_u) * z[:, None] / projector.focal
        lanes = (np.abs(x) < 0.08) & (((z[:, None] + distance) % 9.0) < 3.0)
        edges = (np.abs(np.abs(x) - (ROAD_HALF_WIDTH - 0.2)) < 0.07)
        road = np.abs(x) < ROAD_HALF_WIDTH
        image = np.empty(x.shape + (3,), dtype=np.float32)
        image[:] = _PAVEMENT
        image[road] = _ROAD
        image[road & (lanes | edges)] = (235, 235, 235)
        labels = np.where(road, ROAD, PAVEMENT).astype(np.uint8)
        canvas.image[ground] = image
        canvas.labels[ground] = labels


class _Projector(object):
    def __init__(self, focal, vanish_u, horizon_v):
        self.focal, self.vanish_u, self.horizon_v = focal, vanish_u, horizon_v

    def point(self, x, height, z):
        """Screen (u, v) of the world point x metres right, ``height`` up, z ahead."""
        return (self.vanish_u + self.focal * x / z,
                self.horizon_v + self.focal * (CAMERA_HEIGHT - height) / z)

    def scale(self, z):
        return self.focal / z


class _Item(object):
    """Something standing in the street at world position (x, z)."""

    def __init__(self, kind, x, z, **params):
        self.kind, self.x, self.z, self.params = kind, x, z, params

    def draw(self, canvas, projector, distance):
        z = self.z - distance
        if not NEAR <= z <= FAR:
            return
        getattr(self, "_draw_" + self.kind)(canvas, projector, z, **self.params)

    def _draw_facade(self, canvas, projector, z, length, height, color, windows):
        near, far = max(z, NEAR), min(z + length, FAR)
        if far <= near:
            return
        side = np.sign(self.x)
        corners = [projector.point(self.x, 0, near), projector.point(self.x, height, near),
                   projector.point(self.x, height, far), projector.point(self.x, 0, far)]
        canvas.polygon(corners, BUILDING, color)
        # Windows: darker quads on a grid, still labelled building (as CamVid does).
        for floor in np.arange(1.5, height - 1.0, 3.0):
            for along in np.arange(1.0, length - 1.0, 2.5):
                a, b = z + along, z + along + 1.2
                if a < NEAR or b > FAR:
                    continue
                quad = [projector.point(self.x - side * 0.01, floor, a),
                        projector.point(self.x - side * 0.01, floor + 1.5, a),
                        projector.point(self.x - side * 0.01, floor + 1.5, b),
                        projector.point(self.x - side * 0.01, floor, b)]
                canvas.polygon(quad, BUILDING, windows)

    def _draw_tree(self, canvas, projector, z, trunk, crown, color):
        s = projector.scale(z)
        u, v = projector.point(self.x, 0, z)
        canvas.rect(u - 0.15 * s, v - trunk * s, u + 0.15 * s, v, TREE, (40, 60, 90))
        cu, cv = projector.point(self.x, trunk + crown * 0.6, z)
        canvas.ellipse(cu, cv, crown * s, crown * 0.8 * s, TREE, color)

    def _draw_pole(self, canvas, projector, z, height, sign, sign_color):
        s = projector.scale(z)
        u, v = projector.point(self.x, 0, z)
        canvas.rect(u - max(0.06 * s, 0.6), v - height * s, u + max(0.06 * s, 0.6), v, POLE,
                    (120, 120, 120))
        if sign:
            su, sv = projector.point(self.x, height - 0.5, z)
            if sign == "round":
                canvas.ellipse(su, sv, 0.35 * s, 0.35 * s, SIGN, sign_color)
            else:
                canvas.rect(su - 0.4 * s, sv - 0.3 * s, su + 0.4 * s, sv + 0.3 * s, SIGN,
                            sign_color)

    def _draw_fence(self, canvas, projector, z, length):
        near, far = max(z, NEAR), min(z + length, FAR)
        if far <= near:
            return
        for low, high in ((0.3, 0.45), (0.85, 1.0)):
            canvas.polygon([projector.point(self.x, low, near), projector.point(self.x, high, near),
                            projector.point(self.x, high, far), projector.point(self.x, low, far)],
                           FENCE, (60, 90, 130))
        for post in np.arange(0.0, length, 2.0):
            a = z + post
            if NEAR <= a <= FAR:
                s = projector.scale(a)
                u, v = projector.point(self.x, 0, a)
                canvas.rect(u - 0.05 * s, v - 1.1 * s, u + 0.05 * s, v, FENCE, (50, 80, 120))

    def _draw_car(self, canvas, projector, z, color):
        s = projector.scale(z)
        u, v = projector.point(self.x, 0, z)
        canvas.rect(u - 0.9 * s, v - 1.0 * s, u + 0.9 * s, v - 0.25 * s, CAR, color)
        canvas.polygon([(u - 0.75 * s, v - 1.0 * s), (u - 0.55 * s, v - 1.45 * s),
                        (u + 0.55 * s, v - 1.45 * s), (u + 0.75 * s, v - 1.0 * s)], CAR,
                       color * 0.8)
        canvas.rect(u - 0.5 * s, v - 1.38 * s, u + 0.5 * s, v - 1.05 * s, CAR, (70, 60, 50))
        for wheel in (-0.6, 0.6):
            canvas.rect(u + (wheel - 0.2) * s, v - 0.35 * s, u + (wheel + 0.2) * s, v, CAR,
                        (20, 20, 20))
        canvas.rect(u - 0.8 * s, v - 0.75 * s, u - 0.55 * s, v - 0.6 * s, CAR, (30, 30, 220))
        canvas.rect(u + 0.55 * s, v - 0.75 * s, u + 0.8 * s, v - 0.6 * s, CAR, (30, 30, 220))

    def _draw_pedestrian(self, canvas, projector, z, height, color):
        s = projector.scale(z)
        u, v = projector.point(self.x, 0, z)
        canvas.rect(u - 0.12 * s, v - 0.85 * s, u - 0.02 * s, v, PEDESTRIAN, (60, 50, 50))
        canvas.rect(u + 0.02 * s, v - 0.85 * s, u + 0.12 * s, v, PEDESTRIAN, (60, 50, 50))
        canvas.rect(u - 0.2 * s, v - (height - 0.3) * s, u + 0.2 * s, v - 0.8 * s, PEDESTRIAN,
                    color)
        canvas.ellipse(u, v - (height - 0.13) * s, 0.12 * s, 0.15 * s, PEDESTRIAN,
                       (120, 150, 190))

    def _draw_bicyclist(self, canvas, projector, z, color):
        s = projector.scale(z)
        u, v = projector.point(self.x, 0, z)
        canvas.ellipse(u, v - 0.35 * s, 0.08 * s, 0.35 * s, BICYCLIST, (30, 30, 30))
        canvas.rect(u - 0.25 * s, v - 1.35 * s, u + 0.25 * s, v - 0.7 * s, BICYCLIST, color)
        canvas.ellipse(u, v - 1.5 * s, 0.13 * s, 0.16 * s, BICYCLIST, (60, 200, 230))

    def _draw_bin(self, canvas, projector, z, color):
        s = projector.scale(z)
        u, v = projector.point(self.x, 0, z)
        canvas.rect(u - 0.3 * s, v - 1.0 * s, u + 0.3 * s, v, VOID, color)


def _cell_contents(cell, rng):
    """What stands in street cell ``cell`` (world z from cell*CELL_LENGTH on)."""
    z0 = cell * CELL_LENGTH
    items = []
    for side in (-1.0, 1.0):
        if rng.rand() < 0.85:
            items.append(_Item("facade", side * FACADE_X, z0, length=CELL_LENGTH - rng.uniform(
                0, 3), height=rng.uniform(6, 20), color=_FACADES[rng.randint(len(_FACADES))],
                windows=(50, 45, 40) if rng.rand() < 0.7 else (200, 170, 140)))
        elif rng.rand() < 0.6:
            items.append(_Item("fence", side * (PAVEMENT_EDGE - 0.3), z0,
                               length=CELL_LENGTH - 1.0))
        for _ in range(rng.randint(0, 2) + (rng.rand() < 0.5)):
            kind = rng.choice(["tree", "pole", "pedestrian", "bin", "pedestrian", "tree"])
            z = z0 + rng.uniform(0, CELL_LENGTH)
            if kind == "tree":
                items.append(_Item("tree", side * rng.uniform(5.5, 6.8), z,
                                   trunk=rng.uniform(1.5, 3.0), crown=rng.uniform(1.2, 2.2),
                                   color=(rng.uniform(30, 60), rng.uniform(110, 150),
                                          rng.uniform(40, 70))))
            elif kind == "pole":
                items.append(_Item("pole", side * 4.4, z, height=rng.uniform(3.5, 6.0),
                                   sign=rng.choice(["", "round", "square"]),
                                   sign_color=_SIGNS[rng.randint(len(_SIGNS))]))
            elif kind == "pedestrian":
                items.append(_Item("pedestrian", side * rng.uniform(4.8, 7.0), z,
                                   height=rng.uniform(1.55, 1.9),
                                   color=_CLOTHES[rng.randint(len(_CLOTHES))]))
            else:
                items.append(_Item("bin", side * rng.uniform(5.0, 7.0), z,
                                   color=(rng.uniform(30, 60), rng.uniform(70, 100), 40)))
        if rng.rand() < 0.55:
            items.append(_Item("car", side * rng.uniform(1.7, 2.6), z0 + rng.uniform(0, 10),
                               color=_CARS[rng.randint(len(_CARS))]))
        if rng.rand() < 0.2:
            items.append(_Item("bicyclist", side * rng.uniform(3.2, 3.6),
                               z0 + rng.uniform(0, 10), color=_CLOTHES[rng.randint(len(
                                   _CLOTHES))]))
    return items


def frames(size=(360, 480), seed=0, count=None, start=0, step=1):
    """Frames (image, labels) of one drive; endless when ``count`` is None."""
    scene = StreetScene(size=size, seed=seed)
    t = start
    produced = 0
    while count is None or produced < count:
        yield scene.render(t)
        t += step
        produced += 1


MAX_SYNTHETIC_FRAMES = 10000  # an hour or more of two models on a board's CPU


def synthetic_frames(count, size=(360, 480), seed=0):
    """``count`` frames of one synthetic street scene (verify's and the checks' default)."""
    if count < 1:
        raise UsageError("--synthetic must be at least 1; got {}".format(count))
    if count > MAX_SYNTHETIC_FRAMES:
        raise UsageError("--synthetic must be at most {}; got {}".format(
            MAX_SYNTHETIC_FRAMES, count), hint="give --images for more frames")
    scene = StreetScene(size=size, seed=seed)
    for t in range(count):
        yield scene.render(t * 7)[0]
