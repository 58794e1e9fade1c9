"""admint shared runtime."""
