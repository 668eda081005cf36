"""Training SegNets in PyTorch on CamVid-layout datasets (the ``train`` extra)."""
