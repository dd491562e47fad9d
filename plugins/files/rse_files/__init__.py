"""rse plugin: a library of files for each space and each person."""
