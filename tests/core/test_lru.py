"""core.lru.LRU: the one bounded cache (by count or by weight), thread-safe."""
from __future__ import annotations

import threading

from kolors.core.lru import LRU


def test_evicts_the_least_recently_used():
    c = LRU(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1                     # a is now the most recent
    c.put("c", 3)
    assert "b" not in c and c.keys() == ["a", "c"]
    assert c.get("zz", "dflt") == "dflt" and (c.hits, c.misses) == (1, 1)
    c.resize(1)
    assert c.keys() == ["c"] and len(c) == 1


def test_by_weight_and_zero_size():
    c = LRU(10, weigh=len)
    c.put("a", "xxxx")
    c.put("b", "yyyyy")
    assert c.weight == 9
    c.put("c", "zz")                           # 11 > 10: a goes
    assert c.keys() == ["b", "c"] and c.weight == 7
    c.put("b", "q")                            # replacing re-weighs
    assert c.weight == 3 and c.pop("b") == "q" and c.weight == 2
    c.put("huge", "x" * 11)                    # larger than the bound: nothing is kept
    assert len(c) == 0 and c.weight == 0
    none = LRU(0)
    none.put(1, 1)
    assert len(none) == 0


def test_get_or_create_builds_once_across_threads():
    c = LRU(4)
    made = []
    barrier = threading.Barrier(4)

    def make():
        made.append(1)
        return object()

    got = []

    def worker():
        barrier.wait()
        got.append(c.get_or_create("k", make))

    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(made) == 1 and len({id(g) for g in got}) == 1


def test_a_value_that_grows_keeps_its_stored_weight():
    c = LRU(10, weigh=len)
    a = ["x"] * 4
    c.put("a", a)
    a.extend("yyyyyy")                         # now 10 long; its stored weight stays 4
    c.put("b", ["z"] * 5)
    assert c.weight == 9 and c.keys() == ["a", "b"]
    c.put("c", ["w"] * 3)                      # 12 > 10: a goes, with the 4 it was stored with
    assert c.keys() == ["b", "c"] and c.weight == 8
