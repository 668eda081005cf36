"""Facts about NVIDIA GPUs by compute capability: which have fast INT8, which Jetson boards they
are, which have DLA cores."""

# Jetson modules by compute capability (the GPU of each Tegra SoC).
JETSON_BOARDS = {
    (5, 3): "Jetson TX1 / Nano (Maxwell)",
    (6, 2): "Jetson TX2 (Pascal)",
    (7, 2): "Jetson Xavier NX / AGX Xavier (Volta)",
    (8, 7): "Jetson Orin (Ampere)",
    (11, 0): "Jetson Thor (Blackwell)",
}

# Fast INT8 needs the DP4A/IMMA instructions: compute capability 6.1 and from 7.0 on. The
# Jetson TX1/Nano (5.3) and TX2 (6.2) lack them, and so does GP100 (6.0); TensorRT's
# platform_has_fast_int8 says False there, and an INT8 engine would only run slower.
_NO_FAST_INT8 = {(6, 0), (6, 2)}

# Deep-learning accelerators: Xavier (2 cores) and Orin NX/AGX (2 cores; Orin Nano has none,
# the same 8.7 GPU: only TensorRT's num_DLA_cores can tell).
DLA_CAPABLE = {(7, 2), (8, 7)}


def name_capability(capability):
    return "{}.{}".format(*capability)


def has_fast_int8(capability):
    capability = tuple(capability)
    return (capability >= (6, 1) and capability not in _NO_FAST_INT8)


def board_name(capability):
    return JETSON_BOARDS.get(tuple(capability))


# NVIDIA's Jetson module data sheets: AGX Xavier, Xavier NX, AGX Orin and Orin NX 16GB have two
# NVDLA engines, Orin NX 8GB one; no Jetson has more. Cores are numbered from 0.
MOST_DLA_CORES = 2


def may_have_dla(capability):
    return tuple(capability) in DLA_CAPABLE
