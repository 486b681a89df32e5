"""The 人民调解协议书 as a PDF (fpdf2, a CJK font embedded as a subset of the glyphs used).

Why fpdf2: pure Python (a runtime dependency; the console's chromium is a test-only tool),
it embeds TrueType *and* CFF-outlined OpenType (fontTools subsets either), so a one-page
agreement with the font subset is ~15-40 KB. The font is AR PL UMing CN (Debian
``fonts-arphic-uming``, a 明体/宋体 face, TrueType outlines: parsed about twice as fast as the
CFF Noto Serif CJK); where the text holds a character that face lacks (a rare name), Noto Serif
CJK SC (``fonts-noto-cjk``) is used for the whole document. Measured in bench/bench_agreement_pdf.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dispatch.model import BEIJING
from dispatch.privacy import mask_id_number, mask_name, mask_phone, mask_text

UMING = ("/usr/share/fonts/truetype/arphic/uming.ttc", 0)
REDUCED = "uming-cn-gb2312.ttf"  # the reduced face's file name in the cache directory
# (file, face index in the collection): the first one present that covers the text is used.
FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # AR PL UMing CN
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),  # Noto Serif CJK SC
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # Noto Sans CJK SC
)
ROLES = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}
_cmaps: dict[tuple[str, int], frozenset[int]] = {}
_lock = threading.Lock()
# fontTools names every table it drops while subsetting (BDF, FFTM …): not worth a log line
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class NoCjkFont(RuntimeError):
    """No CJK font is installed (``apt-get install fonts-arphic-uming``)."""


def _cmap(path: str, index: int) -> frozenset[int]:
    """The code points a face covers, read once per process (~0.3-0.5 s with fontTools); the
    reduced face's are kept beside it in the cache (:func:`_sidecar`: a few ms to read)."""
    with _lock:
        if (path, index) not in _cmaps:
            side = _sidecar(path)
            if side is not None:
                _cmaps[(path, index)] = side
            else:
                from fontTools.ttLib import TTFont

                with TTFont(path, fontNumber=index, lazy=True) as f:
                    _cmaps[(path, index)] = frozenset(f.getBestCmap())
                if Path(path).name == REDUCED:
                    _save_sidecar(path, _cmaps[(path, index)])
        return _cmaps[(path, index)]


def _sidecar(path: str) -> frozenset[int] | None:
    """The reduced face's code points from ``<face>.cmap`` when it is newer than the face."""
    font, side = Path(path), Path(f"{path}.cmap")
    try:
        if font.name != REDUCED or side.stat().st_mtime < font.stat().st_mtime:
            return None
        return frozenset(int(x, 16) for x in side.read_text().split())
    except (OSError, ValueError):
        return None


def _save_sidecar(path: str, points: frozenset[int]) -> None:
    tmp = Path(f"{path}.cmap.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(" ".join(f"{c:x}" for c in sorted(points)))
        tmp.replace(f"{path}.cmap")  # atomic, as the face itself
    except OSError:  # a read-only cache: read the face again next time
        tmp.unlink(missing_ok=True)


def gb2312() -> str:
    """The GB2312 repertoire (6,763 hanzi and 682 symbols) and printable ASCII."""
    out = [chr(c) for c in range(0x20, 0x7F)]
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


_building: set[Path] = set()


def reduced_font(cache_dir: Path | None) -> str | None:
    """The reduced UMing face's path if built; else start building it (once) and say None."""
    if cache_dir is None or not Path(UMING[0]).exists():
        return None
    path = cache_dir / REDUCED
    if path.exists():
        return str(path)
    with _lock:
        if path in _building:
            return None
        _building.add(path)
    threading.Thread(target=_build, args=(path,), name="reduced-cjk-font", daemon=True).start()
    return None


def _build(path: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        opts = subset.Options()
        opts.layout_features, opts.glyph_names, opts.hinting = [], False, False
        opts.notdef_outline, opts.name_IDs, opts.name_languages = True, ["*"], ["*"]
        opts.drop_tables += ["BDF", "EBDT", "EBLC", "EBSC", "FFTM", "vhea", "vmtx"]
        font = TTFont(UMING[0], fontNumber=UMING[1], lazy=True, recalcTimestamp=False)
        sub = subset.Subsetter(opts)
        sub.populate(text=gb2312())
        sub.subset(font)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        font.save(str(tmp))
        tmp.replace(path)  # atomic: a reader sees the whole file or none
    except Exception:  # the full face keeps serving; the next process tries again
        logging.getLogger(__name__).exception("building the reduced CJK font failed")
    finally:
        with _lock:
            _building.discard(path)


def pick_font(text: str, *, cache_dir: Path | None = None) -> tuple[str, int]:
    """The first installed face covering every character of ``text`` (else the widest): the
    reduced face when built, then UMing, Noto Serif and Noto Sans CJK SC."""
    needed = {ord(c) for c in text if not c.isspace()}
    small = reduced_font(cache_dir)
    present = ([(small, 0)] if small else []) + [(p, i) for p, i in FONTS if Path(p).exists()]
    if not present:
        raise NoCjkFont("未安装中文字体（fonts-arphic-uming 或 fonts-noto-cjk），无法生成协议书")
    for p, i in present:
        if needed <= _cmap(p, i):
            return p, i
    return max(present, key=lambda f: len(needed & _cmap(*f)))


def _party_lines(parties: Sequence[Mapping[str, Any]], masked: bool) -> list[str]:
    out = []
    for p in parties:
        name = (mask_name(p.get("name")) if masked else p.get("name")) or ""
        bits = [f"{ROLES.get(str(p.get('role')), '当事人')}：{name}"]
        if p.get("id_number"):
            idn = mask_id_number(p["id_number"]) if masked else p["id_number"]
            bits.append(f"身份证号：{idn}")
        if p.get("phone"):
            bits.append(f"联系电话：{mask_phone(p['phone']) if masked else p['phone']}")
        if p.get("address"):
            bits.append(f"住所：{p['address']}")
        out.append("　".join(bits))
    return out


def agreement_text(a: Mapping[str, Any], *, masked: bool) -> dict[str, Any]:
    """What the document prints, masked where the reader may not see the parties."""
    names = [str(p.get("name")) for p in a["parties"] if p.get("name")]

    def body(v: str | None) -> str:
        return (mask_text(v, names) or "") if masked else (v or "")

    signers = [(mask_name(p.get("name")) if masked else p.get("name")) or "当事人"
               for p in a["parties"]]
    made = a["created_at"].astimezone(BEIJING) if isinstance(a["created_at"], datetime) else None
    return {
        "title": "人民调解协议书",
        "number": f"编号：{a['number']}" + (f"（第{a['version']}版）" if a["version"] > 1 else ""),
        "committee": a["committee"],
        "parties": _party_lines(a["parties"], masked),
        "facts": body(a["facts"]), "terms": body(a["terms"]),
        "performance": body(a["performance"]),
        "copies": len(a["parties"]) + 1,
        "signers": signers,
        "mediators": [m.get("name") or "" for m in a.get("mediators") or []],
        "correction": body(a.get("correction")) if a.get("correction") else None,
        "date": f"{made.year}年{made.month}月{made.day}日" if made else "　　年　　月　　日",
    }


def render_agreement(a: Mapping[str, Any], *, masked: bool,
                     cache_dir: Path | None = None) -> bytes:
    """The agreement version ``a`` (a row of ``agreements`` with the case's code) as PDF bytes;
    ``cache_dir`` holds (or will hold) the reduced font."""
    from fpdf import FPDF

    t = agreement_text(a, masked=masked)
    every = "".join(str(v) for v in t.values())
    path, index = pick_font(every + "（）：，。、签名盖章印年月日版更正理由", cache_dir=cache_dir)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"人民调解协议书 {a['number']}")
    pdf.set_creator("枫桥式矛盾纠纷调处指挥平台")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    face = getattr(pdf.fonts.get("cjk"), "ttfont", None)
    if face is not None:  # keep the stored glyph boxes: the subset copies glyphs, not recompiles
        face.recalcBBoxes = False
    pdf.add_page()
    w = pdf.epw
    pdf.set_font("cjk", size=20)
    pdf.cell(w, 14, t["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(w, 7, t["number"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    def heading(text: str) -> None:
        pdf.set_font("cjk", size=12.5)
        pdf.ln(2)
        pdf.multi_cell(w, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=12)

    def para(text: str) -> None:
        for line in (text or "").splitlines() or [""]:
            pdf.multi_cell(w, 7.5, "　　" + line.strip(), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("cjk", size=12)
    for line in t["parties"]:
        pdf.multi_cell(w, 7.5, line, new_x="LMARGIN", new_y="NEXT")
    heading("纠纷主要事实、争议事项：")
    para(t["facts"])
    heading(f"经{t['committee']}调解，双方当事人自愿达成如下协议：")
    para(t["terms"])
    heading("履行方式、时限：")
    para(t["performance"])
    pdf.ln(2)
    para(f"本协议一式{_cn(t['copies'])}份，当事人、人民调解委员会各持一份。本协议自各方当事人"
         "签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。")
    if t["correction"]:
        pdf.set_font("cjk", size=10)
        para(f"本版更正前一版：{t['correction']}")
        pdf.set_font("cjk", size=12)
    _signatures(pdf, t)
    return bytes(pdf.output())


def _signatures(pdf: Any, t: Mapping[str, Any]) -> None:
    """Signature lines for each party and mediator, the seal's place and the date."""
    w = pdf.epw
    if pdf.get_y() > pdf.h - 95:
        pdf.add_page()
    pdf.ln(8)
    half = w / 2
    for i, name in enumerate(t["signers"]):
        x = pdf.l_margin + (i % 2) * half
        if i % 2 == 0 and i:
            pdf.ln(12)
        pdf.set_x(x)
        pdf.cell(half, 8, f"当事人（签名或盖章）：{'_' * 10}")
        pdf.set_xy(x, pdf.get_y() + 7)
        pdf.set_font("cjk", size=9)
        pdf.cell(half, 5, f"（{name}）")
        pdf.set_font("cjk", size=12)
        pdf.set_y(pdf.get_y() - 7)
    pdf.ln(20)
    who = "、".join(n for n in t["mediators"] if n)
    pdf.cell(half, 8, f"人民调解员（签名）：{'_' * 10}")
    pdf.cell(half, 8, f"记录人（签名）：{'_' * 10}", new_x="LMARGIN", new_y="NEXT")
    if who:
        pdf.set_font("cjk", size=9)
        pdf.cell(half, 5, f"（承办：{who}）", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=12)
    pdf.ln(6)
    cx, cy, r = pdf.l_margin + w - 32, pdf.get_y() + 16, 19
    with pdf.local_context(draw_color=(170, 170, 170)):
        pdf.set_dash_pattern(dash=1.2, gap=1.2)
        pdf.circle(x=cx, y=cy, radius=r)
        pdf.set_dash_pattern()
    pdf.set_xy(cx - 30, cy - 4)
    pdf.set_font("cjk", size=10)
    pdf.cell(60, 8, "（人民调解委员会印）", align="C")
    pdf.set_font("cjk", size=12)
    pdf.set_xy(pdf.l_margin, cy + r + 2)
    pdf.cell(w - 4, 8, t["committee"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(w - 4, 8, t["date"], align="R", new_x="LMARGIN", new_y="NEXT")


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九十"
    return digits[n] if 0 <= n <= 10 else str(n)
