"""Where a model's weights come from: a seeded He initialisation, or a user's ``.npz``.

An ``.npz`` holds one array per tensor, named as PyTorch names a state dict
(``enc1.conv.weight``, ``enc1.bn.running_var``, ``classifier.weight``, ...): ``export-model
--list-weights`` prints every name and shape a model expects.
"""

import os
import zipfile

import numpy as np

from edge_segnet import inputs
from edge_segnet.errors import ModelError


class HeInitWeights(object):
    """Convolutions from N(0, 2/fan_in) (He et al. 2015), biases zero, batch-norm as identity."""

    def __init__(self, seed=0):
        self.seed = seed
        self._random = np.random.RandomState(seed)

    def get(self, name, shape):
        shape = tuple(shape)
        if name.endswith("running_var") or (name.endswith(".bn.weight")):
            return np.ones(shape, dtype=np.float32)
        if name.endswith("bias") or name.endswith("running_mean"):
            return np.zeros(shape, dtype=np.float32)
        fan_in = int(np.prod(shape[1:]))
        scale = np.sqrt(2.0 / fan_in)
        return (self._random.standard_normal(shape) * scale).astype(np.float32)

    def finish(self):
        pass


class NpzWeights(object):
    """Weights read from an ``.npz``; every name must be used and every shape must match."""

    def __init__(self, path):
        self.path = path
        inputs.check_regular_file(path, "weights file", ModelError,
                                  hint="give an .npz written by numpy.savez")
        if os.path.isfile(path) and not zipfile.is_zipfile(path):
            # np.load would take it for a pickle (or an .npy) and give numpy's advice.
            raise ModelError("weights file {} is not an .npz archive: it is {}".format(
                path, "empty" if os.path.getsize(path) == 0 else "not a zip file"),
                hint="give an .npz written by numpy.savez")
        try:
            with np.load(path, allow_pickle=False) as archive:
                self._arrays = {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise ModelError("weights file not found: {}".format(path))
        except IsADirectoryError:
            raise ModelError("weights file {} is a folder; give an .npz file".format(path))
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            if "pickle" in str(exc):
                raise ModelError("weights {} hold an object array (pickled Python objects), "
                                 "not numbers".format(path),
                                 hint="save float32 arrays with numpy.savez")
            raise ModelError(
                "cannot read weights {}: {} (expected an .npz written by numpy.savez)".format(
                    path, " ".join(str(exc).split())
                )
            )
        for name, array in self._arrays.items():
            if not isinstance(array, np.ndarray):
                raise ModelError("weights {}: member '{}' is not a .npy array".format(
                    path, name), hint="give an .npz written by numpy.savez")
        self._used = set()

    def get(self, name, shape):
        shape = tuple(shape)
        if name not in self._arrays:
            raise ModelError(
                "weights {} have no tensor '{}' (expected shape {})".format(
                    self.path, name, _shape_text(shape)
                ),
                hint="see edge-segnet export-model MODEL --list-weights",
            )
        array = self._arrays[name]
        if tuple(array.shape) != shape:
            raise ModelError(
                "weights {}: tensor '{}' has shape {} but the model needs {}".format(
                    self.path, name, _shape_text(array.shape), _shape_text(shape)
                )
            )
        if not np.issubdtype(array.dtype, np.floating):
            raise ModelError(
                "weights {}: tensor '{}' has dtype {}; expected floating point".format(
                    self.path, name, array.dtype
                )
            )
        self._used.add(name)
        return array.astype(np.float32)

    def finish(self):
        unused = sorted(set(self._arrays) - self._used)
        if unused:
            raise ModelError(
                "weights {} hold tensors the model does not have: {}".format(
                    self.path, ", ".join(unused[:5]) + (" ..." if len(unused) > 5 else "")
                ),
                hint="see edge-segnet export-model MODEL --list-weights",
            )


class ShapeRecorder(object):
    """Stands in for weights when only the expected names and shapes are wanted."""

    def __init__(self):
        self.shapes = []

    def get(self, name, shape):
        self.shapes.append((name, tuple(shape)))
        return np.zeros(shape, dtype=np.float32)

    def finish(self):
        pass


def _shape_text(shape):
    return "(" + ", ".join(str(int(side)) for side in shape) + ")"
