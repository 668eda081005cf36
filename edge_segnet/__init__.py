"""edge-segnet: SegNet segmentation from ONNX to TensorRT engines on Jetson boards.

Importing the package needs only numpy and onnx; TensorRT, pycuda, ONNX Runtime, OpenCV and
PyTorch are imported when a command needs them (see ``edge_segnet.optional``).
"""

__version__ = "0.1.0"
