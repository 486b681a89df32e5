"""Chinese titles and short descriptions of demo disputes, from category-specific templates."""

from __future__ import annotations

import numpy as np

# (title, what happened) per category; a title may repeat with different stories.
STORIES: dict[str, list[tuple[str, str]]] = {
    "neighbour": [
        ("邻里噪音纠纷", "楼上住户夜间噪音扰民，多次沟通无果"),
        ("楼上漏水纠纷", "楼上卫生间漏水导致楼下墙面受损，双方就维修费用产生争执"),
        ("邻里停车纠纷", "邻居长期占用楼道口停车，引发口角"),
        ("宠物扰民纠纷", "邻居饲养犬只夜间吠叫、随地便溺，双方发生争吵"),
        ("楼道堆物纠纷", "公共楼道堆放杂物影响通行和消防安全，邻里产生矛盾"),
        ("邻里采光纠纷", "邻居加装雨棚遮挡采光，双方协商未果"),
        ("空调外机纠纷", "空调外机正对邻居窗户，噪音和热风引发不满"),
    ],
    "marriage": [
        ("婚姻纠纷", "夫妻因家庭琐事长期争吵，一方提出离婚"),
        ("离婚财产纠纷", "双方就离婚后房产和存款分割产生争议"),
        ("抚养费纠纷", "离婚后一方未按约定支付子女抚养费"),
        ("彩礼返还纠纷", "婚约解除后双方就彩礼返还数额发生争执"),
    ],
    "family": [
        ("赡养老人纠纷", "兄妹几人就父母赡养费用分担意见不一"),
        ("遗产继承纠纷", "老人去世后子女就房屋继承发生争执"),
        ("家庭矛盾求助", "婆媳矛盾激化，当事人情绪激动，请求介入疏导"),
    ],
    "property": [
        ("物业费纠纷", "业主以服务质量差为由拒交物业费，物业公司催缴"),
        ("电梯维修纠纷", "小区电梯频繁故障，业主与物业就维修费用分摊有争议"),
        ("小区停车管理纠纷", "物业调整停车收费标准，部分业主不认可"),
        ("供暖收费纠纷", "冬季室温不达标，业主要求减免供暖费"),
        ("公共维修资金纠纷", "屋面漏水维修动用公共维修资金，业主意见分歧"),
    ],
    "labour": [
        ("农民工欠薪纠纷", "务工人员反映工地拖欠工资"),
        ("劳动合同纠纷", "员工被口头辞退，未签订书面劳动合同"),
        ("工伤赔偿纠纷", "工人在作业中受伤，与用人单位就赔偿数额协商不成"),
        ("加班费纠纷", "员工要求支付长期加班报酬，单位拒绝"),
        ("辞退补偿纠纷", "企业裁员，员工对经济补偿金计算方式有异议"),
    ],
    "debt": [
        ("民间借贷纠纷", "借款到期后借款人以经营困难为由拒不归还"),
        ("欠款纠纷", "熟人之间借款未写借条，还款数额存在争议"),
        ("合伙经营欠款纠纷", "合伙开店散伙后，双方就欠款分担发生争执"),
        ("货款拖欠纠纷", "个体商户拖欠供货方货款"),
    ],
    "traffic": [
        ("交通事故赔偿纠纷", "两车剐蹭后就责任划分和维修费用协商未果"),
        ("电动车事故纠纷", "电动车与行人相撞致轻微伤，双方就医疗费争执"),
        ("停车剐蹭纠纷", "小区内停放车辆被剐蹭，肇事方不愿赔偿"),
    ],
    "construction": [
        ("工程款拖欠纠纷", "包工头反映发包方拖欠工程款，工人工资无法发放"),
        ("装修质量纠纷", "房屋装修完工后出现开裂渗水，业主与装修公司争执"),
        ("施工扰民纠纷", "周边工地夜间施工噪音扰民，居民集体反映"),
    ],
    "land": [
        ("土地承包纠纷", "承包地流转合同到期后，双方就续包条件争执"),
        ("宅基地纠纷", "相邻两户就宅基地边界发生争议"),
        ("地界纠纷", "农户之间因田埂地界不清发生口角"),
        ("征收补偿纠纷", "被征收户对补偿标准有异议"),
    ],
    "finance": [
        ("理财产品纠纷", "老人购买理财产品到期无法兑付"),
        ("网络借贷纠纷", "当事人反映网贷平台暴力催收"),
        ("保险理赔纠纷", "出险后保险公司拒绝理赔，当事人不服"),
    ],
    "medical": [
        ("医疗服务纠纷", "患者家属对诊疗过程有异议，要求医院赔偿"),
        ("诊疗费用纠纷", "患者对收费项目有异议，与诊所发生争执"),
    ],
    "consumer": [
        ("预付卡退费纠纷", "健身房停业，会员要求退还预付卡余额"),
        ("商品质量纠纷", "购买的家电出现质量问题，商家拒绝退换"),
        ("培训机构退费纠纷", "家长要求培训机构退还未上课时费用"),
        ("网购退货纠纷", "网购商品与描述不符，退货遭拒"),
    ],
    "other": [
        ("租房押金纠纷", "租期届满后房东以房屋损坏为由扣留押金"),
        ("合同纠纷", "双方对口头约定的服务内容和报酬理解不一"),
        ("其他矛盾纠纷", "当事人之间因琐事积怨，请求调解"),
    ],
}
MONEY = frozenset({"labour", "debt", "construction", "finance", "traffic", "medical", "consumer"})
ASKS = ("请求调解", "请求社区协调处理", "希望尽快化解", "请求依法处理", "请求上门调解")


def titles_and_descriptions(rng: np.random.Generator, categories: np.ndarray,
                            places: np.ndarray, parties: np.ndarray,
                            ) -> tuple[np.ndarray, np.ndarray]:
    """A title and a one-sentence description for each dispute.

    ``places`` is where it happened (address text), ``parties`` the number of people involved.
    """
    n = len(categories)
    titles = np.empty(n, dtype=object)
    descs = np.empty(n, dtype=object)
    amount = np.round(np.exp(rng.normal(9.3, 1.1, n)), -2)  # yuan, median ~11,000
    asks = np.array(ASKS, dtype=object)[rng.integers(0, len(ASKS), n)]
    for cat, stories in STORIES.items():
        idx = np.flatnonzero(categories == cat)
        if not len(idx):
            continue
        pick = rng.integers(0, len(stories), len(idx))
        for i, k in zip(idx.tolist(), pick.tolist(), strict=True):
            title, what = stories[k]
            money = f"，涉及金额约{int(amount[i]):,}元" if cat in MONEY else ""
            many = f"，涉及{parties[i]}人" if parties[i] > 3 else ""
            titles[i] = title
            descs[i] = f"{places[i]}：{what}{money}{many}，{asks[i]}。"
    return titles, descs
