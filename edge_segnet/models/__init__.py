"""SegNet model graphs, their weights, labels and palettes."""
