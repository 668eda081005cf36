"""Facts about the machine we run on: Jetson board, L4T, clocks, CUDA, cameras."""
