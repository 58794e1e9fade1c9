"""admint.gateway."""
