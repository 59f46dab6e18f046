"""gunicorn's production settings for CivicSanté: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Each setting can be changed by the environment variable next to it. The defaults suit the small
server CivicSanté targets (2 cores), and were chosen by measurement (``make bench``):

- **sync workers, one per core.** The app is CPU-bound (templates, SQL on a local SQLite file).
  On 2 cores, 2 sync workers serve more pages per second than ``gthread``: a threaded worker keeps
  keep-alive connections open, so one worker can end up holding most clients while the other
  idles, and its threads contend for the GIL. Behind nginx (which buffers slow clients) sync
  workers never wait on the network.
- **timeout 30 s**: a worker stuck longer is killed and replaced; the heaviest page (the CDU's
  annual report as PDF) takes about a second.
- **graceful_timeout 30 s**: on restart, requests in progress get that long to finish.
- **no preload**: each worker opens its own database connections after the fork.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
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
