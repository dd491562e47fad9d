"""Background jobs: work that runs after the request that caused it, or at a given time.

* ``queue``: the job table, and ``enqueue`` in the caller's transaction (a rolled-back write
  queues nothing, a committed one loses nothing), claiming, finishing, retrying.
* ``worker``: the loop that runs due jobs and periodic ones (``rse worker``, or a thread in
  each web process by default).
* ``models``: the tables.

Why not huey, procrastinate or pgqueuer: see docs/architecture.md ("Background jobs").
"""
