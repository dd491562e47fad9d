"""rse-feed: short posts to the company or a space, with #hashtags, @mentions, likes and
comments (through the core)."""
