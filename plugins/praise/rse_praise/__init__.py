"""rse-praise: recognise colleagues with a message and a badge."""
