"""rse-blog: a blog per employee and per space, with drafts, scheduled posts and Atom feeds."""
