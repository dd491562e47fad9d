"""Search: every document a reader may see, and nothing else.

* ``documents.py`` turns the database into documents (content with its comments, people).
* ``whoosh_backend.py`` is the embedded backend: French and English stemming, the permission
  filter cached per searcher generation and principal set, a single writer.
* ``indexer.py`` drains the search outbox after commit; ``rse search reindex`` and
  ``rse search check [--fix]`` rebuild and repair from the database, the truth.
"""
