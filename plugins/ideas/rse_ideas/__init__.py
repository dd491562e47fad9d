"""rse-ideas: Ideas notes for rse, shared with the company or a space."""
