"""The weekly 研判 report as a PDF (fpdf2): CJK font embedded, charts and the hotspot map drawn
with fpdf primitives from our own layers (no tile service).

The tables are :func:`analysis.report_tables.tables` (the Excel sheets' too); the trend is a
bar chart of daily intake with the daily closures as a line; the map fills each micro-grid with
its Gi* class colour (:data:`analysis.gistar.CLASS_COLOURS`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# fpdf at import: the server loads this module at start (console.api.reports imports
# report_job), so the scheduler's Monday report does not pay fpdf's import (~0.7 s)
from fpdf import FPDF

from analysis.gistar import CLASS_COLOURS, CLASS_LABELS
from analysis.report_tables import Table, tables
from console.exports.agreement_pdf import pick_font

FIXED = ("一二三四五六七八九十、总体情况每日趋势受理办结类别构成热点分布图例微网格按置信分级着色"
         "重复纠纷风险关注排名超期督办重点案件无数据生成时间统计期区域第页共（）：，。%-0123456789"
         "本报告不含当事人姓名电话身份证号地址已脱敏由系统自动生成")
Shapes = Sequence[tuple[int, Sequence[Sequence[tuple[float, float]]]]]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v - round(v)) > 1e-9 else f"{v:.0f}"
    return str(v)


class _Doc:
    def __init__(self, figures: Mapping[str, Any], cache_dir: Path | None) -> None:
        every = json.dumps(figures, ensure_ascii=False) + FIXED + "".join(CLASS_LABELS.values())
        path, index = pick_font(every, cache_dir=cache_dir)
        pdf = FPDF(format="A4", unit="mm")
        pdf.set_title(str(figures["title"]))
        pdf.set_creator("枫桥式矛盾纠纷调处指挥平台")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_font("cjk", fname=path, collection_font_number=index)
        face = getattr(pdf.fonts.get("cjk"), "ttfont", None)
        if face is not None:
            face.recalcBBoxes = False
        self.pdf = pdf
        self.f = figures

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.cell(pdf.epw, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=9)

    def table(self, t: Table, *, limit: int = 60, size: float = 8.0) -> None:
        """A ruled table drawn with low-level text: columns by the table's relative widths,
        long cells wrapped (at most three lines), the header repeated on each new page.
        (fpdf2's own table measures every glyph twice: ~7 ms a cell, too slow for a city.)"""
        pdf = self.pdf
        pdf.set_font("cjk", size=size)
        if not t.rows:
            pdf.cell(pdf.epw, 6, "（本期无数据）", new_x="LMARGIN", new_y="NEXT")
            return
        rel = t.widths or tuple(1.0 for _ in t.headers)
        widths = [pdf.epw * r / sum(rel) for r in rel]
        em, lh = size * 0.3528, size * 0.3528 * 1.3

        def lines(text: str, width: float) -> list[str]:
            out, cur, w = [], "", 0.0
            for ch in text:
                cw = em * (1.0 if ord(ch) > 0x2E7F else 0.56)
                if w + cw > width - 1.6 and cur:
                    out.append(cur)
                    cur, w = "", 0.0
                cur += ch
                w += cw
            out.append(cur)
            return out if len(out) <= 3 else [*out[:2], out[2][:-1] + "…"]

        def row(cells: list[str], fill: bool) -> None:
            wrapped = [lines(c, w) for c, w in zip(cells, widths, strict=True)]
            h = lh * max(len(x) for x in wrapped) + 1.2
            if pdf.get_y() + h > pdf.h - pdf.b_margin:
                pdf.add_page()
                if not fill:
                    row([str(x) for x in t.headers], True)
            y, x = pdf.get_y(), pdf.l_margin
            with pdf.local_context(draw_color=(180, 180, 180), line_width=0.1,
                                   fill_color=(232, 236, 241)):
                for w, ls in zip(widths, wrapped, strict=True):
                    pdf.rect(x, y, w, h, style="DF" if fill else "D")
                    for k, line in enumerate(ls):
                        pdf.text(x + 0.8, y + 0.6 + lh * (k + 0.8), line)
                    x += w
            pdf.set_xy(pdf.l_margin, y + h)

        row([str(h) for h in t.headers], True)
        for r in t.rows[:limit]:
            row([_cell(v) for v in r], False)
        if len(t.rows) > limit:
            pdf.cell(pdf.epw, 6, f"（另有 {len(t.rows) - limit} 行见 Excel）",
                     new_x="LMARGIN", new_y="NEXT")

    def trend(self, days: Sequence[Mapping[str, Any]]) -> None:
        """Bars: daily intake; line: daily closures; axis labelled with the maximum."""
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 80:
            pdf.add_page()
        x0, y0, w, h = pdf.l_margin + 10, pdf.get_y() + 4, pdf.epw - 14, 50
        top = max([1] + [int(d["reported"]) for d in days] + [int(d["resolved"]) for d in days])
        with pdf.local_context(draw_color=(120, 120, 120), line_width=0.2):
            pdf.line(x0, y0 + h, x0 + w, y0 + h)
            pdf.line(x0, y0, x0, y0 + h)
        pdf.set_font("cjk", size=7)
        pdf.set_xy(x0 - 10, y0 - 2)
        pdf.cell(9, 4, str(top), align="R")
        pdf.set_xy(x0 - 10, y0 + h - 2)
        pdf.cell(9, 4, "0", align="R")
        n = max(len(days), 1)
        step = w / n
        pts = []
        every = max(1, n // 14)
        for k, d in enumerate(days):
            bh = h * int(d["reported"]) / top
            with pdf.local_context(fill_color=(74, 144, 217)):
                pdf.rect(x0 + k * step + step * 0.15, y0 + h - bh, step * 0.7, bh, style="F")
            pts.append((x0 + k * step + step / 2, y0 + h - h * int(d["resolved"]) / top))
            if k % every == 0:
                pdf.set_xy(x0 + k * step, y0 + h + 1)
                pdf.cell(step * every, 4, str(d["day"])[5:], align="L")
        with pdf.local_context(draw_color=(217, 95, 2), line_width=0.5):
            for a, b in itertools.pairwise(pts):
                pdf.line(a[0], a[1], b[0], b[1])
        pdf.set_xy(x0, y0 + h + 6)
        with pdf.local_context(fill_color=(74, 144, 217)):
            pdf.rect(x0, y0 + h + 7, 3, 3, style="F")
        pdf.set_xy(x0 + 4, y0 + h + 6)
        pdf.cell(20, 5, "受理")
        with pdf.local_context(draw_color=(217, 95, 2), line_width=0.5):
            pdf.line(x0 + 26, y0 + h + 8.5, x0 + 32, y0 + h + 8.5)
        pdf.set_xy(x0 + 33, y0 + h + 6)
        pdf.cell(20, 5, "办结")
        pdf.set_xy(pdf.l_margin, y0 + h + 13)

    def bars(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Horizontal bars of the category mix."""
        pdf = self.pdf
        if not items:
            return
        top = max(int(c["count"]) for c in items) or 1
        pdf.set_font("cjk", size=8)
        for c in items[:15]:
            if pdf.get_y() > pdf.h - 20:
                pdf.add_page()
            y = pdf.get_y()
            pdf.set_x(pdf.l_margin)
            pdf.cell(30, 5, str(c["label"]), align="R")
            bw = (pdf.epw - 60) * int(c["count"]) / top
            with pdf.local_context(fill_color=(102, 166, 30)):
                pdf.rect(pdf.l_margin + 32, y + 0.8, max(bw, 0.3), 3.4, style="F")
            pdf.set_xy(pdf.l_margin + 33 + bw, y)
            pdf.cell(25, 5, f"{c['count']}（{_cell(c['share'])}%）")
            pdf.set_xy(pdf.l_margin, y + 5.5)

    def map(self, shapes: Shapes) -> None:
        """The micro-grids filled by Gi* class, fitted into the page's width, with a legend."""
        pdf = self.pdf
        if not shapes:
            pdf.cell(pdf.epw, 6, "（区域内微网格不足，未作热点分析）", new_x="LMARGIN", new_y="NEXT")
            return
        xs = [x for _, rings in shapes for r in rings for x, _ in r]
        ys = [y for _, rings in shapes for r in rings for _, y in r]
        x_min, x_max, y_min, y_max = min(xs), max(xs), min(ys), max(ys)
        import math

        kx = math.cos(math.radians((y_min + y_max) / 2))  # degrees of longitude shrink north
        span_x, span_y = max((x_max - x_min) * kx, 1e-9), max(y_max - y_min, 1e-9)
        if pdf.get_y() > pdf.h - 120:
            pdf.add_page()
        box_w, box_h = pdf.epw, min(pdf.h - pdf.get_y() - 30, 150)
        s = min(box_w / span_x, box_h / span_y)
        ox = pdf.l_margin + (box_w - span_x * s) / 2
        oy = pdf.get_y() + 2
        pdf.set_draw_color(150, 150, 150)
        pdf.set_line_width(0.05)
        # the outline (class 0) under the significant micro-grids; one colour change per class
        for cls in sorted({k for k, _ in shapes}, key=lambda c: (c != 0, c)):
            pdf.set_fill_color(*_rgb(CLASS_COLOURS[cls]))
            for k, rings in shapes:
                if k != cls:
                    continue
                for r in rings:
                    pts = [(ox + (x - x_min) * kx * s, oy + (y_max - y) * s) for x, y in r]
                    if len(pts) >= 3:
                        pdf.polygon(pts, style="DF")
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.2)
        y = oy + span_y * s + 3
        pdf.set_font("cjk", size=7.5)
        x = pdf.l_margin
        for k in (3, 2, 1, 0, -1, -2, -3):
            with pdf.local_context(fill_color=_rgb(CLASS_COLOURS[k]), draw_color=(150, 150, 150)):
                pdf.rect(x, y + 1, 3.5, 3.5, style="DF")
            pdf.set_xy(x + 4, y)
            pdf.cell(22, 5.5, CLASS_LABELS[k])
            x += 26
        pdf.set_xy(pdf.l_margin, y + 8)


def render_report(figures: Mapping[str, Any], shapes: Shapes = (), *,
                  cache_dir: Path | None = None, tabs: Sequence[Table] | None = None) -> bytes:
    """The report (figures from :func:`analysis.report.assemble`) as PDF bytes; ``tabs`` its
    :func:`analysis.report_tables.tables` when already made (for the workbook too)."""
    doc = _Doc(figures, cache_dir)
    pdf, f = doc.pdf, figures
    by_name = {t.name: t for t in (tables(f) if tabs is None else tabs)}
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(pdf.epw, 12, str(f["title"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    p = f["period"]
    pdf.cell(pdf.epw, 6, f"区域：{f['area']['name']}　统计期：{p['from']} 至 {p['to']}（{p['days']}天）"
             f"　生成时间：{f['made_at']}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.cell(pdf.epw, 5, "本报告不含当事人姓名、电话、身份证号；地址与事由已脱敏。",
             align="C", new_x="LMARGIN", new_y="NEXT")
    sections = [("一、总体情况（环比、同比）", ["总体指标"]), ("二、每日趋势", ["每日趋势"]),
                ("三、类别构成", ["类别构成"]), ("四、热点分布（Getis-Ord Gi*）", ["热点微网格"]),
                (f"五、重复纠纷（近{f['repeats']['days']}天）", ["重复地址", "重复当事人", "时空邻近"]),
                ("六、民转刑风险关注名单", ["民转刑风险关注"]), ("七、排名", ["排名", "未排名"]),
                ("八、超期与督办", ["超期案件", "督办案件"]), ("九、重点案件", ["重点案件"])]
    for title, names in sections:
        if not any(n in by_name for n in names):
            continue
        doc.heading(title)
        if names == ["每日趋势"]:
            doc.trend(f["trend"])
            continue
        if names == ["类别构成"]:
            doc.bars(f["categories"])
        if names == ["热点微网格"]:
            hot = f["hotspots"]
            pdf.cell(pdf.epw, 5, f"微网格 {hot['micro_grids']} 个，期内案件 {hot['cases']} 件；"
                     "按置信分级着色。", new_x="LMARGIN", new_y="NEXT")
            doc.map(shapes)
        for n in names:
            if n not in by_name:
                continue
            if len(names) > 1:
                pdf.set_font("cjk", size=10)
                pdf.cell(pdf.epw, 7, n, new_x="LMARGIN", new_y="NEXT")
            doc.table(by_name[n])
    return bytes(pdf.output())
