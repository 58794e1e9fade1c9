"""admint.notifier."""
