"""The evidence the wall's rates count, as SQL over incidents ``i`` (migration 0012)."""

from __future__ import annotations

# 调解成功率: a mediated closure counts when its closure record (made with the resolution, so at
# ``resolved_at``) holds an agreement, written or oral.
AGREED = ("EXISTS (SELECT 1 FROM incident_closures z WHERE z.incident_id = i.id AND "
          "z.at = i.resolved_at AND z.outcome = 'mediated' AND z.agreement IS NOT NULL)")
# 满意度: a score counts when a person recorded the visit (who, and how: 电话/上门/短信).
RECORDED_VISIT = ("EXISTS (SELECT 1 FROM followups v WHERE v.incident_id = i.id AND "
                  "v.done_at = i.followed_up_at AND v.actor IS NOT NULL AND v.method IS NOT NULL)")
