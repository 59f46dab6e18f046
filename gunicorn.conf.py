"""gunicorn's production settings for CivicSanté: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Each setting can be changed by the environment variable next to it. The defaults suit the small
server CivicSanté targets (2 cores), and were chosen by measurement:

- **sync workers, one per core** (the cores this process may use). The app is CPU-bound
  (templates, SQL on a local SQLite file). Measured with wrk (1 thread, keep-alive, 10 s a run)
  on the 2-core machine the project is developed on, against the demo database, median of 5
  rounds alternating the configurations (requests/s; the machine was shared with other jobs,
  load average 1.3-5.4, so the figures are noisy, wrk itself runs on the same 2 cores):

  ===============  ========================  ========================  ============================
  page, clients    2 sync                    3 sync                    gthread 2 workers x 4 threads
  ===============  ========================  ========================  ============================
  /besoins, 16     127 (p50 125, p99 198)    138 (p50 114, p99 176)    60 (p50 261, p99 439)
  /besoins, 64     128 (p50 503, p99 696)    122 (p50 517, p99 649)    129 (p50 490, p99 1020)
  /, 16            1008 (p50 15, p99 305)    772 (p50 20, p99 369)     413 (p50 35, p99 192)
  /, 64            1015 (p50 62, p99 89)     883 (p50 71, p99 105)     1080 (p50 56, p99 136)
  ===============  ========================  ========================  ============================

  No errors in any run. gthread loses half the throughput at 16 clients because keep-alive
  connections stay with the worker that accepted them: in every round all 16 sat on one worker
  (``ss`` 5 s into the run) while the other idled; at 64 clients they split unevenly (58/6, 63/1,
  45/19…) and gthread only ties, with a worse p99 on ``/besoins``. A third sync worker adds
  nothing on 2 cores. Sync workers close each connection after answering, so every request goes
  to whichever worker is free; behind nginx (which buffers slow clients and keeps the
  keep-alive connections to browsers) they never wait on the network.
- **timeout 30 s**: a worker stuck longer is killed and replaced; the heaviest page (the CDU's
  annual report as PDF) takes about a second.
- **graceful_timeout 30 s**: on restart, requests in progress get that long to finish.
- **no preload**: each worker opens its own database connections after the fork.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The cores this process may run on (taskset, a container's cpuset), not all the host's.
workers = int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "2"))
# A worker is replaced after this many requests (0: never), a guard against slow memory growth;
# the jitter keeps both workers from restarting at the same moment.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # "-" for stdout
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Sync workers must not wait on clients: behind nginx, which forwards X-Forwarded-*.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
