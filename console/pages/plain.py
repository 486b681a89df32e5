"""The plain Tornado HTML pages' one look (login, change password, logout: no external assets)
and the logout form every page carries (a POST from the console's own origin; never a link)."""

from __future__ import annotations

import html
from typing import Any

TITLE = "枫桥式矛盾纠纷调处指挥平台"
STYLE = """
body{margin:0;font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#0f2540;
color:#1d2733;display:flex;min-height:100vh;align-items:center;justify-content:center}
form.card{background:#fff;padding:32px 36px;border-radius:10px;width:var(--card-width,320px);
box-shadow:0 8px 30px rgba(0,0,0,.3)}
h1{font-size:19px;margin:0 0 4px} p.sub{color:#667;margin:0 0 22px;font-size:13px}
label{display:block;font-size:13px;margin:12px 0 4px}
input{width:100%;box-sizing:border-box;padding:9px 10px;font-size:15px;border:1px solid #bbc;
border-radius:6px}
button{margin-top:20px;width:100%;padding:10px;font-size:15px;border:0;border-radius:6px;
background:#c0392b;color:#fff;cursor:pointer}
.err{background:#fdecea;color:#a12;padding:8px 10px;border-radius:6px;font-size:13px;
margin-bottom:6px} .rule{font-size:12px;color:#556;margin-top:6px}
"""


def page(title: str, body: str, *, card_width: int = 320) -> str:
    """A whole plain page: ``body`` (already escaped HTML) on the console's dark background."""
    return ('<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)} · {TITLE}</title>\n<style>{STYLE}"
            f":root{{--card-width:{int(card_width)}px}}</style></head><body>\n{body}\n"
            "</body></html>\n")


def send_page(handler: Any, status: int, text: str) -> None:
    """Answer ``text`` as a page nobody caches or frames."""
    handler.set_status(status)
    handler.set_header("Content-Type", "text/html; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.set_header("X-Frame-Options", "DENY")
    handler.finish(text)


def logout_form(*, button_class: str = "", label: str = "退出", style: str = "") -> str:
    """The logout control of a page: a form posting to ``/logout`` (a link would let any page
    log the user out with an image; the POST is checked for the console's own origin)."""
    cls = f' class="{html.escape(button_class, quote=True)}"' if button_class else ""
    css = f' style="{html.escape(style, quote=True)}"' if style else ""
    return (f'<form method="post" action="/logout" class="fq-logout" style="display:inline;'
            f'margin:0"><button type="submit"{cls}{css}>{html.escape(label)}</button></form>')


_CORNER = ("background:rgba(15,37,64,.85);color:#cfdbec;border:1px solid rgba(207,219,236,.35);"
           "border-radius:4px;padding:4px 12px;font-size:13px;cursor:pointer")


def logout_pane(*, corner: str = "top") -> Any:
    """The logout control as a Panel pane fixed in a corner (the wall's and the admin's pages,
    whose own headers are drawn in the browser); it takes no room in the layout."""
    import panel as pn

    place = {"top": {"top": "8px"}, "bottom": {"bottom": "8px"}}[corner]
    return pn.pane.HTML(logout_form(style=_CORNER, label="退出登录"), margin=0,
                        sizing_mode="fixed", width=96, height=32, css_classes=["fq-logout-pane"],
                        styles={"position": "fixed", "right": "12px", "z-index": "3000",
                                **place})
