"""A signature shared by caches of one table is asked once for all of them (one scan of the
table), and asked again once its answer is older than ``for_s``."""

from geo.cache import SignatureCache, reused


class _Counted:
    def __init__(self) -> None:
        self.asked = 0
        self.value = ("road_edges", 1)

    def __call__(self, conn: object) -> tuple[str, int]:
        self.asked += 1
        return self.value


def test_two_caches_share_one_scan():
    sig = _Counted()
    shared = reused(sig, for_s=3600.0)
    builds: list[str] = []
    drive = SignatureCache(lambda conn: builds.append("drive") or "drive graph", shared,
                           check_s=0.0)
    walk = SignatureCache(lambda conn: builds.append("walk") or "walk graph", shared,
                          check_s=0.0)
    for _ in range(3):
        assert drive.get(None) == "drive graph" and walk.get(None) == "walk graph"  # type: ignore[arg-type]
    assert sig.asked == 1 and builds == ["drive", "walk"]


def test_an_old_answer_is_asked_again_and_a_change_rebuilds():
    sig = _Counted()
    shared = reused(sig, for_s=0.0)  # never reused: every check asks
    builds: list[int] = []
    cache = SignatureCache(lambda conn: builds.append(sig.value[1]) or sig.value[1], shared,
                           check_s=0.0)
    assert cache.get(None) == 1  # type: ignore[arg-type]
    sig.value = ("road_edges", 2)
    assert cache.get(None) == 2 and sig.asked == 2 and builds == [1, 2]  # type: ignore[arg-type]
