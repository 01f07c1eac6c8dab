"""gunicorn settings for `make serve` (read from the environment, safe defaults).

Threads (gthread) rather than plain sync workers: a long CSV export streams from a thread while
the worker process keeps answering gunicorn's heartbeat, so it is not killed at the timeout.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory hygiene), not all at once.
max_requests = 2000
max_requests_jitter = 200
# Access logs carry only the method, path (opaque ids), status and timing: no patient data,
# no query strings (filters can hold a search term).
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
