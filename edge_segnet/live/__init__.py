"""The live loop: a source through a Segmenter into sinks (setup builds it from RunOptions)."""
