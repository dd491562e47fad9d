"""Search: every document a reader may see, and nothing else.

* ``backend.py`` is the protocol both backends implement, and the results they return.
* ``documents.py`` turns the database into documents (content with its comments, people); the
  ``rse_index_documents`` hook adds plugins' own for a full rebuild.
* ``analysis.py``: English and French stems in one field, accents folded; the snippets both
  backends show.
* ``whoosh_backend.py`` (embedded, the default) with ``ranking.py``, its per-segment cached
  postings and BM25; ``postgres_backend.py`` (PostgreSQL full text) for installations on
  PostgreSQL.
* ``indexer.py`` drains the search outbox after commit under the backend's writer lock;
  ``check.py`` finds and repairs drift (``rse search check [--fix]``); ``rse search reindex``
  rebuilds from the database, the truth.
"""
