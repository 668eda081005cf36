"""Data: synthetic street scenes and datasets in CamVid's layout."""
