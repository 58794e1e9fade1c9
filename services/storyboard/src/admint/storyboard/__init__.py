"""admint.storyboard."""
