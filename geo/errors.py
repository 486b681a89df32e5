"""Errors of the geo package; messages are Chinese because users read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding of a validation: what, where (lon/lat when known), how big, which feature."""

    kind: str  # invalid_geometry | outside_parent | gap | overlap | duplicate_code | unknown_parent
    #          | unknown_category | missing_field | bad_value | empty
    message: str  # Chinese, names the field or feature
    layer: str = ""
    code: str | None = None
    lon: float | None = None
    lat: float | None = None
    area_m2: float | None = None

    def line(self) -> str:
        where = f" @({self.lon:.6f},{self.lat:.6f})" if self.lon is not None else ""
        size = f" 面积≈{self.area_m2:.1f}㎡" if self.area_m2 is not None else ""
        layer = f"[{self.layer}] " if self.layer else ""
        return f"{layer}{self.message}{where}{size}"


class ImportRejected(ValueError):
    """A file failed validation; nothing was written. ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem], *, source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.report())

    def report(self, limit: int = 50) -> str:
        head = f"导入被拒绝：{self.source} 共发现 {len(self.problems)} 个问题，未写入任何数据。"
        lines = [p.line() for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"……另有 {len(self.problems) - limit} 个问题未列出")
        return "\n".join([head, *lines])


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or started; the message says what to install or do."""


class CoordinateError(ValueError):
    """A coordinate or CRS that cannot be used; ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
