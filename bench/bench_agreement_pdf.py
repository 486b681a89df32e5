"""调解协议书 PDF generation: time per document and size (target p99 ≤ 2 s, ≤ 200 KB).

Run: ``./run bench bench_agreement_pdf [--n 30]``. Renders ``n`` agreements of realistic length
(two to four parties with different names each time, so each document embeds its own glyph
subset; facts, terms and performance of 150-400 characters), masked and unmasked alternately,
in one process, twice: with the full UMing face (what the first documents of a deployment
use) and with the reduced GB2312 face the console builds once into its cache (built here first
if missing, and its build time printed). For each: the first document (cold: the font's
character map is read once per process), then p50 / p99 / max of the rest, the sizes, the font
and the load average (the machine is shared: a figure means little without it). No database:
the read of one agreement row is a single indexed query; this measures the rendering.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime

from console.exports.agreement_pdf import REDUCED, _build, pick_font, render_agreement
from geo.settings import Settings

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志"
FACTS = ("{a}与{b}系同一单元上下楼邻居。{month}月以来，{b}家卫生间防水层老化，多次漏水至{a}家"
         "客厅及卧室天花板，造成墙面霉变、木地板起拱，{a}估算损失约{amount}元。双方多次协商未果，"
         "{a}于{day}日拨打12345热线求助，网格员到场查看并拍照留存，社区调解委员会受理。")
TERMS = ("一、{b}于{month}月{day}日前自费委托有资质的单位修复卫生间防水，修复期间{a}予以配合；\n"
         "二、{b}赔偿{a}装修损失人民币{amount}元；\n三、修复完成后双方共同查验，如再次漏水，"
         "{b}负责维修并承担由此造成的损失；\n四、双方就本纠纷再无其他争议。")
PERFORM = ("赔偿款于{month}月{day}日前一次性转账至{a}指定账户；修复于{month}月{day}日前完成，"
           "由网格员回访查验。")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def agreement(rng: random.Random, k: int) -> dict[str, object]:
    names = [_name(rng) for _ in range(rng.randint(2, 4))]
    fill = {"a": names[0], "b": names[1], "month": rng.randint(1, 12), "day": rng.randint(1, 28),
            "amount": rng.randint(500, 30000)}
    return {"number": f"（2026）人调字第{k:06d}号", "version": 1 + k % 2,
            "committee": "和平路社区人民调解委员会",
            "parties": [{"name": n, "phone": f"139{rng.randint(0, 10**8 - 1):08d}",
                         "role": "applicant" if i == 0 else "respondent"}
                        for i, n in enumerate(names)],
            "mediators": [{"name": _name(rng)}, {"name": _name(rng)}],
            "facts": FACTS.format(**fill), "terms": TERMS.format(**fill),
            "performance": PERFORM.format(**fill), "correction": "更正赔偿金额" if k % 2 else None,
            "created_by": "duty", "created_at": datetime.now(UTC), "code": f"2026-{k:06d}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cache = Settings.from_env().state_dir / "cache" / "fonts"
    if not (cache / REDUCED).exists():
        t = time.perf_counter()
        _build(cache / REDUCED)
        print(f"reduced face built once: {time.perf_counter() - t:.1f} s → {cache / REDUCED}")
    for label, where in (("full UMing face", None), ("reduced GB2312 face", cache)):
        print(f"-- {label}")
        series(args.n, args.seed, where)


def series(n: int, seed: int, cache: object) -> None:
    rng = random.Random(seed)
    load0 = os.getloadavg()
    times, sizes = [], []
    for k in range(n):
        a = agreement(rng, k + 1)
        t = time.perf_counter()
        pdf = render_agreement(a, masked=k % 2 == 0, cache_dir=cache)  # type: ignore[arg-type]
        times.append(time.perf_counter() - t)
        sizes.append(len(pdf))
    cold, warm = times[0], sorted(times[1:])
    p99 = warm[min(len(warm) - 1, round(0.99 * (len(warm) - 1)))]
    path, index = pick_font(str(agreement(random.Random(1), 1)["facts"]),
                            cache_dir=cache)  # type: ignore[arg-type]
    print(f"font: {path} (face {index})")
    print(f"documents: {n}  load average before/after: "
          f"{load0[0]:.2f} / {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"cold (first in process): {cold * 1000:.0f} ms")
    print(f"warm: p50 {statistics.median(warm) * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  "
          f"max {warm[-1] * 1000:.0f} ms")
    print(f"size: min {min(sizes) / 1024:.1f} KB  median {statistics.median(sizes) / 1024:.1f} KB"
          f"  max {max(sizes) / 1024:.1f} KB")


if __name__ == "__main__":
    main()
