"""INT8 by explicit quantization: calibrate on a CPU with ONNX Runtime's quantization package,
insert Q/DQ nodes where TensorRT fuses them, and write TensorRT's calibration cache from the
same scales for the implicit-INT8 path of releases 8.x-10.x."""
