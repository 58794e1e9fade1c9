"""admint.planner."""
