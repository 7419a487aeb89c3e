"""The page cache's content version, kept in each process and dropped when any process
announces a change (tracker.ops.mirror), against the real Redis."""

import os

import pytest
from django.core.cache import cache
from django.test import override_settings

from tracker.ops.mirror import Mirror

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REAL_REDIS = {
    "default": {
        "BACKEND": "tracker.ops.cache.ForgivingRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mirror-test",
    }
}


@pytest.fixture
def redis_cache():
    with override_settings(CACHES=REAL_REDIS, REDIS_URL=REDIS_URL):
        cache.delete("version")
        yield cache
        cache.delete("version")


def test_a_change_announced_by_one_process_is_seen_by_another_at_once(redis_cache):
    here, there = Mirror(), Mirror()  # two processes, on one machine or two
    redis_cache.set("version", "v1")
    assert here.get("version") == "v1"
    # Written behind its back, unannounced: the copy is what it was (no round trip).
    redis_cache.set("version", "sneaked")
    assert here.get("version") == "v1"
    redis_cache.set("version", "v2")
    there.changed("version")
    assert here.get("version") == "v2"
    assert there.get("version") == "v2"


def test_a_value_not_yet_in_the_cache_is_not_kept(redis_cache):
    here = Mirror()
    assert here.get("version") is None
    redis_cache.set("version", "v1")
    assert here.get("version") == "v1"


def test_without_redis_every_read_goes_to_the_cache():
    here = Mirror()
    cache.set("version", "v1")
    assert here.get("version") == "v1"
    cache.set("version", "v2")  # the local-memory cache: nothing announced, nothing kept
    assert here.get("version") == "v2"
    here.changed("version")  # announcing needs no Redis either


def test_what_is_announced_while_the_connection_is_down_is_not_missed(redis_cache):
    here, there = Mirror(), Mirror()
    redis_cache.set("version", "v1")
    assert here.get("version") == "v1"
    here.pubsub.connection.disconnect()  # as when Redis restarts
    redis_cache.set("version", "v2")
    there.changed("version")  # said while `here` was not listening
    assert here.get("version") == "v2"
    redis_cache.set("version", "v3")
    there.changed("version")
    assert here.get("version") == "v3", "listening again"


def test_with_redis_unreachable_a_read_is_a_miss_not_an_error():
    dead = {"default": REAL_REDIS["default"] | {"LOCATION": "redis://127.0.0.1:1/0"}}
    dead["default"]["OPTIONS"] = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    with override_settings(CACHES=dead, REDIS_URL="redis://127.0.0.1:1/0"):
        here = Mirror()
        assert here.get("version") is None
        assert here.pubsub is None, "not listening: every read asks the cache"
        here.changed("version")  # nobody to tell; no error either


def test_several_values_are_read_together_and_each_change_is_seen(redis_cache):
    here, there = Mirror(), Mirror()
    redis_cache.delete("other")
    redis_cache.set("version", "v1")
    assert here.get_many(["version", "other"]) == ["v1", None]
    redis_cache.set("other", "o1")
    assert here.get_many(["other", "version"]) == ["o1", "v1"]
    redis_cache.set("version", "v2")
    redis_cache.set("other", "sneaked")  # unannounced: the copy stays
    there.changed("version")
    assert here.get_many(["version", "other"]) == ["v2", "o1"]
    redis_cache.delete("other")
