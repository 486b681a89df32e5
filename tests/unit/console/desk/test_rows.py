"""The desk's row lists as versioned diffs (console.desk.rows), without a browser."""

from typing import Any

from console.desk.rows import RowsView, rows_diff


def _rows(*pairs: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"id": i, "s": s} for i, s in pairs]


def test_diff_of_equal_lists_is_none_and_same_objects_are_not_compared() -> None:
    a = _rows((1, "x"), (2, "y"))
    assert rows_diff(a, list(a)) is None
    assert rows_diff(a, _rows((1, "x"), (2, "y"))) is None


def test_diff_names_changed_new_and_gone_rows_and_the_order_only_when_it_moved() -> None:
    old = _rows((1, "x"), (2, "y"), (3, "z"))
    d = rows_diff(old, _rows((1, "x"), (2, "Y"), (3, "z")))
    assert d == {"upsert": [{"id": 2, "s": "Y"}], "remove": [], "order": None}
    d = rows_diff(old, _rows((3, "z"), (1, "x"), (2, "y")))
    assert d == {"upsert": [], "remove": [], "order": [3, 1, 2]}
    d = rows_diff(old, _rows((1, "x"), (4, "n"), (3, "z")))
    assert d == {"upsert": [{"id": 4, "s": "n"}], "remove": [2], "order": [1, 4, 3]}
    d = rows_diff(old, [])
    assert d == {"upsert": [], "remove": [1, 2, 3], "order": []}


class _View(RowsView):
    """A RowsView whose messages are kept instead of sent."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.sent: list[dict[str, Any]] = []

    def _send_msg(self, msg: Any) -> None:  # type: ignore[override]
        self.sent.append(msg)


def _apply(rows: list[dict[str, Any]], msg: dict[str, Any]) -> list[dict[str, Any]]:
    """What desk_common.js liveRows does with a message."""
    by = {r["id"]: r for r in rows}
    for r in msg.get("upsert") or msg.get("rows") or []:
        by[r["id"]] = r
    for i in msg.get("remove") or []:
        by.pop(i, None)
    if msg.get("order") is not None:
        return [by[i] for i in msg["order"]]
    return [by[r["id"]] for r in rows if r["id"] in by]


def test_before_the_page_exists_the_list_is_the_parameter_then_diffs_follow_in_step() -> None:
    view = _View()
    view.update_rows(_rows((1, "a"), (2, "b")))
    assert view.rows == _rows((1, "a"), (2, "b")) and view.sent == []  # no model: free
    view._handle_msg({"type": "ready", "version": view.rows_version})
    assert view.sent == [] and view.rows_version == 0  # in step: nothing re-sent
    shown, version = list(view.rows), view.rows_version
    steps = [_rows((1, "a"), (2, "B")), _rows((2, "B"), (1, "a"), (3, "c")), _rows((3, "c"))]
    for rows in steps:
        view.update_rows(rows)
        msg = view.sent[-1]
        assert msg["type"] == "rows" and msg["base"] == version
        shown, version = _apply(shown, msg), msg["version"]
        assert shown == rows
    view.patch([{"id": 3, "s": "moved"}, {"id": 9, "s": "not shown"}])
    msg = view.sent[-1]
    assert msg == {"type": "patch", "base": version, "version": version + 1,
                   "rows": [{"id": 3, "s": "moved"}]}
    assert _apply(shown, msg) == _rows((3, "moved"))
    count = len(view.sent)
    view.update_rows(_rows((3, "moved")))  # the patch is already shown: nothing to send
    assert len(view.sent) == count


def test_a_browser_out_of_step_gets_the_whole_list_with_a_new_version() -> None:
    view = _View()
    view.update_rows(_rows((1, "a")))
    view._handle_msg({"type": "ready", "version": 0})
    view.update_rows(_rows((1, "a"), (2, "b")))
    before = view.rows_version
    view._handle_msg({"type": "resync"})
    assert view.rows == _rows((1, "a"), (2, "b")) and view.rows_version > before
    assert view.resyncs == 1
    view._handle_msg({"type": "ready", "version": -5})  # a re-render holding an older list
    assert view.rows_version > before + 1 and view.rows == _rows((1, "a"), (2, "b"))


def test_other_messages_still_reach_the_session_handler() -> None:
    view = _View()
    got: list[dict[str, Any]] = []
    view.handler = got.append
    view._handle_msg({"type": "open", "id": 7})
    assert got == [{"type": "open", "id": 7}]
