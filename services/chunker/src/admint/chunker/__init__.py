"""admint.chunker."""
