"""rse-example: the smallest plugin that uses every hook of the contract."""
