"""admint.exporter."""
