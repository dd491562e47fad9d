"""rse-bookmarks: shared favourites, private, for a space or for everyone."""
