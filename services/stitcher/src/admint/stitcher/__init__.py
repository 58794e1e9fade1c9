"""admint.stitcher."""
