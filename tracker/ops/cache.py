"""Django's Redis cache, made to fail soft: with Redis down a read is a miss and a
write is skipped, so pages are served uncached instead of failing."""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ReusedClient(RedisCacheClient):
    """Django builds a new redis-py client object for every cache call, and building
    one costs more than a cache hit (it fills a table of ~170 reply parsers). A client
    is only a handle on the thread-safe connection pool, so keep one per pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django's own client methods, which the stubs leave out.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class OutageLog:
    """Says once per interval (CACHE_ERROR_LOG_SECONDS) that the cache is down, with how
    many calls failed since, instead of once per call: with Redis down, every request
    would log several identical lines. One per process, as Django makes a cache object
    per thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last = float("-inf")
        self.failed = 0

    def failure(self, name: str, error: Exception) -> None:
        interval = getattr(settings, "CACHE_ERROR_LOG_SECONDS", 60)
        with self.lock:
            self.failed += 1
            now = time.monotonic()
            if now - self.last < interval:
                return
            self.last, failed, self.failed = now, self.failed, 0
        log.warning(
            "cache unavailable (%s): %s; %d cache calls failed since the last report, "
            "the next in %d s at the earliest",
            name,
            error,
            failed,
            interval,
        )


outages = OutageLog()


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClient

    def _forgive(self, name: str, default, *args, **kwargs):
        try:
            return getattr(super(), name)(*args, **kwargs)
        except (RedisError, OSError) as error:
            outages.failure(name, error)
            return default

    def get(self, key, default=None, version=None):
        return self._forgive("get", default, key, default, version)

    def set(self, key, value, timeout=..., version=None):
        kwargs = {} if timeout is ... else {"timeout": timeout}
        return self._forgive("set", None, key, value, version=version, **kwargs)

    def add(self, key, value, timeout=..., version=None):
        kwargs = {} if timeout is ... else {"timeout": timeout}
        return self._forgive("add", False, key, value, version=version, **kwargs)

    def delete(self, key, version=None):
        return self._forgive("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._forgive("get_many", {}, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._forgive("incr", None, key, delta, version)

    def has_key(self, key, version=None):
        return self._forgive("has_key", False, key, version)

    def touch(self, key, timeout=..., version=None):
        kwargs = {} if timeout is ... else {"timeout": timeout}
        return self._forgive("touch", False, key, version=version, **kwargs)
