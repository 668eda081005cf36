"""Facts about TensorRT releases and NVIDIA GPUs that code without TensorRT needs (graph passes,
refusals before a build); nothing here imports tensorrt."""
