"""The OpenAPI operations of 扫码说事 (the public resident API, the desk's triage queue, the
admin's posters), merged into :mod:`console.api.openapi`'s table."""

from __future__ import annotations

from typing import Any

from console.api import schemas_resident as sr
from dispatch import limits

R = "/api/v1/resident"
T = "/api/v1/triage/reports"


def resident_ops(Op: Any, Param: Any) -> tuple[Any, ...]:
    """The operations, built with the table's own ``Op`` and ``Param`` types."""
    return (
        Op("post", f"{R}/challenge", "扫码说事：领取工作量证明题（SHA-256 前导零位，一次有效）",
           "扫码说事", ok=201, public=True),
        Op("post", f"{R}/reports", "扫码说事：居民提交反映（待审核；按地址与设备限流，重复提交告知已收到）",
           "扫码说事", ok=201, public=True, form=True, extra={"multipart": True, "fields": {
               "category": "纠纷类别", "description": "发生了什么", "address": "地址",
               "lon": "经度（WGS-84）", "lat": "纬度（WGS-84）", "place": "二维码场所",
               "name": "姓名（可不填）", "phone": "电话（可不填）", "nonce": "题目",
               "answer": "答案", "photo": f"照片（至多 {limits.RESIDENT_PHOTOS} 张）",
               "phone_code": "短信验证码（配置了短信网关时可填；不填则电话记为未验证）"}}),
        Op("get", f"{R}/phone-check", "扫码说事：本平台是否以短信验证居民手机号", "扫码说事",
           public=True),
        Op("post", f"{R}/phone-code", "扫码说事：向手机号发送短信验证码（按号码与地址限流）",
           "扫码说事", body=sr.PhoneCodeIn, ok=201, public=True),
        Op("get", f"{R}/track/{{code}}", "扫码说事：凭查询码查看进度（无人员姓名、无其他当事人）",
           "扫码说事", public=True),
        Op("post", f"{R}/track/{{code}}/info", "扫码说事：补充情况", "扫码说事",
           body=sr.InfoIn, ok=201, public=True),
        Op("post", f"{R}/track/{{code}}/rating", "扫码说事：办结后评价（居民本人的评价，不代替回访）",
           "扫码说事", body=sr.RatingIn, ok=201, public=True),
        Op("get", f"{R}/qr/{{code}}.svg", "扫码说事：查询链接的二维码（SVG）", "扫码说事",
           media="image/svg+xml", public=True),
        Op("get", f"{R}/geocode", "扫码说事：地址候选（仅地址与坐标）", "扫码说事", public=True,
           query=(Param("q", "string", "地址", required=True, max_length=limits.ADDRESS),)),
        Op("get", f"{R}/basemap", "扫码说事：示意底图（道路与社区轮廓）", "扫码说事", public=True),
        Op("get", T, "居民反映审核队列（待审核/已受理/不予受理）", "扫码说事",
           query=(Param("status", "string", "状态", enum=("pending", "accepted", "rejected")),)),
        Op("get", "/api/v1/triage/stream", "居民反映审核队列实时推送（Server-Sent Events，"
           "每条 data: 为本辖区全部待审核报告）", "扫码说事", media="text/event-stream"),
        Op("post", f"{T}/{{report_id}}/accept", "受理居民反映（进入正常受理流程）", "扫码说事",
           body=sr.AcceptIn, ok=201),
        Op("post", f"{T}/{{report_id}}/reject", "不予受理（理由居民可见）", "扫码说事",
           body=sr.RejectIn),
        Op("get", "/api/v1/admin/posters", "二维码海报可选场所（社区、调解室）", "管理"),
        Op("get", "/api/v1/admin/posters/{at}", "A4 二维码海报（打印版网页）", "管理",
           media="text/html"),
    )


RESIDENT_PATH_PARAMS: dict[str, dict[str, Any]] = {
    "code": {"type": "string", "pattern": "^[0-9A-Za-z-]{1,20}$"},
    "report_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "at": {"type": "string", "pattern": "^(community|room)-[0-9]{1,9}$"},
}
RESIDENT_SAMPLES = {"code": "4KX9-T2QM-7RBD", "report_id": "1", "at": "community-1"}
