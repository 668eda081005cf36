"""ONNX -> ONNX passes that make a SegNet export TensorRT-ready.

Written on plain ``onnx`` (no onnx-graphsurgeon): no onnx-graphsurgeon release on PyPI installs
beside JetPack 4.6's onnx 1.11 on Python 3.6, and the board runs these passes too.
"""

# Our unpooling op: the name the TensorRT plugin's creator registers under (not "MaxUnpool",
# which TensorRT 10 rejects before it looks for a plugin).
UNPOOL_OP = "EdgeSegnetUnpool"
UNPOOL_DOMAIN = "edge_segnet"
UNPOOL_PLUGIN_VERSION = "1"
