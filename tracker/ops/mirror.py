"""Small values read on every request (the page cache's content version), kept in each
process and dropped as soon as any process on any machine changes them.

Reading the version from Redis on every request cost a round trip per cached page, most
of what a cached page cost beyond a static file (issue 17). Instead each process keeps
the values it read, and listens on a Redis channel: whoever changes one of them
(`changed`, after writing it to the cache) publishes its name there, and every process
drops its copy before it answers its next request. Redis queues the message for the
listeners as it runs the publish, before it answers the writer, and the saving request
answers only after that: a page asked for after the save is not served from the old
version, on this machine or another. A copy is also kept no longer than a minute.

Should listening fail (Redis restarted or unreachable), the copies are dropped and each
value is read from the cache every time, as before, until listening works again.
Without Redis (development, tests: one process, a local-memory cache) nothing is kept.
"""

import contextlib
import logging
import os
import threading
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from tracker.ops.cache import outages

log = logging.getLogger(__name__)
CHANNEL = "mirror-changed"
RETRY_SECONDS = 5.0
# However quiet the channel, a copy is read again after this long.
MAX_AGE_SECONDS = 60.0


class Mirror:
    def __init__(self):
        self.lock = threading.RLock()
        self.values: dict[str, tuple[float, object]] = {}
        self.pubsub = None
        self.pid = 0
        self.next_try = 0.0

    def _channel(self) -> str:
        return cache.make_key(CHANNEL)

    def _client(self):
        """The Redis client under the cache, or None without Redis."""
        backend = caches["default"]
        if not getattr(settings, "REDIS_URL", "") or not isinstance(backend, RedisCache):
            return None
        return backend._cache.get_client(write=True)

    def _listening(self) -> bool:
        """Subscribed (in this process), with every message so far applied."""
        if self.pid != os.getpid():  # a forked worker: its parent's socket is not its own
            self.values.clear()
            self.pubsub, self.pid, self.next_try = None, os.getpid(), 0.0
        if self.pubsub is None:
            if time.monotonic() < self.next_try:
                return False
            client = self._client()
            if client is None:
                return False
            try:
                pubsub = client.pubsub()
                pubsub.subscribe(self._channel())
                # The subscription is confirmed before anything is kept.
                if pubsub.get_message(timeout=1.0) is None:
                    raise RedisError("no confirmation of the subscription")
            except (RedisError, OSError) as error:
                self._fail(error)
                return False
            self.pubsub = pubsub
            self.values.clear()
            # redis-py reconnects and subscribes again by itself; what was announced
            # meanwhile is lost, so the copies go then too.
            pubsub.connection.register_connect_callback(self._reconnected)
        try:
            while (message := self.pubsub.get_message(timeout=0.0)) is not None:
                if message["type"] == "message":
                    self.values.pop(message["data"].decode(), None)
        except (RedisError, OSError) as error:
            self._fail(error)
            return False
        return True

    def _reconnected(self, connection) -> None:
        self.values.clear()

    def _fail(self, error: Exception) -> None:
        outages.failure("listen for changes", error)  # said once a minute at most
        self.values.clear()
        if self.pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                self.pubsub.close()
        self.pubsub = None
        self.next_try = time.monotonic() + RETRY_SECONDS

    def get(self, key: str):
        """The cache's value for `key`, from this process's copy when it is current."""
        return self.get_many([key])[0]

    def get_many(self, keys: list[str]) -> list:
        """The cache's values for `keys`, in order (None where there is none), from this
        process's copies when they are current: the channel is read once for them all,
        and what is not kept is read from the cache in one round trip."""
        found: dict[str, object] = {}
        with self.lock:
            listening = self._listening()
            if listening:
                now = time.monotonic()
                for key in keys:
                    kept = self.values.get(key)
                    if kept is not None and kept[0] > now:
                        found[key] = kept[1]
        missing = [key for key in keys if key not in found]
        if missing:
            read = cache.get_many(missing)
            found.update(read)
            if listening:
                with self.lock:
                    # A change published while the values were read is applied after
                    # they are kept, so that the copy is dropped again, not kept stale.
                    for key, value in read.items():
                        self.values[key] = (time.monotonic() + MAX_AGE_SECONDS, value)
                    self._listening()
        return [found.get(key) for key in keys]

    def changed(self, key: str) -> None:
        """Say that `key` was just changed in the cache: every process drops its copy."""
        with self.lock:
            self.values.pop(key, None)
        client = self._client()
        if client is None:
            return
        try:
            client.publish(self._channel(), key)
        except (RedisError, OSError) as error:
            log.warning("could not announce a change of %s: %s", key, error)


mirror = Mirror()
