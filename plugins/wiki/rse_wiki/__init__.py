"""rse-wiki: a wiki per space and a company-wide wiki, every save a revision."""
