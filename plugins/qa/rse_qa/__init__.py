"""rse-qa: questions and answers."""
