"""admint.cli."""
