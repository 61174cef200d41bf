"""gunicorn for Jingzhun (docs/deploy.md): ``gunicorn -c deploy/gunicorn.conf.py jingzhun.wsgi:application``.

Sync workers behind nginx: nginx buffers whole requests (uploads up to 1 GiB) and whole responses, so a slow
client never holds a worker. The settings come from the environment (/etc/jingzhun/jingzhun.env).
"""

import multiprocessing
import os

bind = os.environ.get("JINGZHUN_BIND", "127.0.0.1:8001")
# 2 × cores + 1, the usual figure for sync workers; the database and the job worker share the machine.
workers = int(os.environ.get("JINGZHUN_WEB_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
worker_class = "sync"
# A request that still takes longer is a bug to move into a job (jingzhun worker), not a reason to wait.
timeout = int(os.environ.get("JINGZHUN_WEB_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never grows for weeks.
max_requests = 5000
max_requests_jitter = 500
# Uploads are spooled to disk by Django above FILE_UPLOAD_MAX_MEMORY_SIZE; this is for gunicorn's own.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("JINGZHUN_LOG_LEVEL", "warning").lower()
