"""Drawing results: class colors, overlays."""
