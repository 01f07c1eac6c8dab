"""The review queue's CSV export as a background task (``intake.models.QueueExport``).

A physician asks for the export from the queue (its filters and search); the task worker
writes the file in keyset batches into the private exports storage and marks the export done;
the export's page shows "N of M rows written" while it runs, then offers the file to the
physician who asked. A file exists only for a complete export, and its last line says so; an
export that stopped (an error, or a worker that died: no heartbeat) is shown as stopped after
N of M rows, with nothing to download. Files expire after ``QUEUE_EXPORT_KEEP_HOURS``.

- ``services``: the writes (create, start, progress, finish, fail, expire);
- ``tasks``: the task and the run that writes the file;
- ``storage``: the storage class of the exports directory (no URL).
"""
