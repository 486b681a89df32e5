"""The field simulator's tables: daily profile, case mix, outcomes, 回访 answers, names."""

from __future__ import annotations

# Cases per hour of the Beijing day, relative: office and hotline hours, an evening family peak.
HOURLY = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.0, 2.0, 1.7, 1.1, 1.2, 1.8, 1.9,
          1.8, 1.6, 1.3, 1.4, 1.3, 1.0, 0.6, 0.3)
# category: (share %, label, story, median minutes of mediation)
CASES = {"neighbour": (26, "邻里", "楼上漏水噪音起争执", 45), "debt": (7, "债务", "借款逾期不还", 90),
         "family": (13, "家庭", "赡养老人起争吵", 60), "marriage": (8, "婚姻", "离婚财产分割争执", 90),
         "property": (12, "物业", "业主拒交物业费", 60), "land": (3, "土地", "宅基地边界争议", 150),
         "labour": (10, "劳动/欠薪", "拖欠农民工工资", 120), "traffic": (6, "交通事故", "剐蹭赔偿谈不拢", 50),
         "construction": (4, "工程款", "装修工程款结算", 150), "consumer": (5, "消费", "预付卡退费", 40),
         "finance": (2, "金融", "理财亏损纠纷", 120), "medical": (2, "医疗", "不满诊疗结果", 150),
         "other": (2, "其他", "占道经营", 45)}
PRIORITIES = {"urgent": 4, "high": 12, "normal": 64, "low": 20}
CHANNELS = {"hotline": 35, "walk_in": 20, "grid_report": 25, "app": 15, "referral": 5}
OUTCOMES = {"mediated": 86, "litigation": 4, "arbitration": 3, "withdrawn": 4, "failed": 3}
SATISFACTION = {"5": 60, "4": 27, "3": 8, "2": 3, "1": 2}
METHODS = {"phone": 55, "visit": 40, "sms": 5}  # how the 回访 is made
TERMS = ("一方当面道歉，三日内恢复原状", "分两期付清，首期本月底前", "共同出资维修，费用各半",
         "按评估价赔偿，一周内付清", "约定互不干扰，由网格员监督履行")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
DIALECTS = ("henan", "sichuan", "gansu", "uyghur", "shandong")
