"""Fixed vocabularies of opportunities (stages come from the rule pack's stage templates)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OpportunityStatus(models.TextChoices):
    """Open, or closed as won or lost."""

    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


# Names of the evidence kinds the pack's requirements may ask for (the schema's fixed list).
EVIDENCE_KIND_LABELS = {
    "document": _("文档"),
    "photo": _("照片"),
    "signed_pdf": _("签字 PDF"),
    "need_points": _("需求要点"),
    "gps_checkin": _("定位签到"),
    "voice_memo_text": _("语音备忘"),
    "meeting_minutes": _("会议纪要"),
    "milestone": _("里程碑"),
}

# What a photo's checks found (`reused:<id>` carries the earlier photo's id).
FLAG_LABELS = {
    "time_mismatch": _("拍摄时间与拜访时间不符"),
    "location_mismatch": _("拍摄地点与拜访地点不符"),
    "no_camera_time": _("照片没有相机拍摄时间"),
    "reused": _("疑似重复使用的照片"),
}
