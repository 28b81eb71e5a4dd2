"""A small catalog built in code, so routing tests do not depend on the shipped YAML.

The routing phases are written from the SPEC §3.3 text: the ITO rule first (option
`ito_outsourcing`), then the phase's own clauses, then a catch-all to central.
"""

from __future__ import annotations

from datetime import date

from libs.catalog.model import (
    Application,
    Catalog,
    Department,
    Group,
    GroupCode,
    ItOffice,
    PolicyVersion,
    Province,
    RouteRule,
    RoutingPolicy,
    Scope,
    Unit,
    UnitKind,
)

ITO_OPTION = "ito_outsourcing"
OUTSIDE_TREASURY: list[UnitKind] = ["finance_agency", "budget_unit", "ministry"]
TREASURY_IN_PROVINCE: list[UnitKind] = ["kbnn_province", "kbnn_district"]

_GROUP_TOPICS: dict[GroupCode, list[str]] = {
    "SERVICE_DESK": ["hệ thống hỗ trợ", "phiếu yêu cầu", "hotro", "QLYC", "service desk"],
    "TABMIS": ["khóa sổ", "tổ hợp tài khoản", "chuỗi COA", "bút toán"],
    "PAYMENT": ["lệnh thanh toán", "điện tra soát", "chuyển khoản", "ngân hàng phục vụ"],
    "INTERNAL": ["nghiệp vụ nội bộ", "thi đua khen thưởng"],
    "WORKSTATION": [
        "máy tính",
        "máy trạm",
        "máy in",
        "printer",
        "hộp mực",
        "máy quét",
        "màn hình",
        "windows",
        "Unikey",
        "USB token",
        "chữ ký số",
        "mạng",
        "mạng LAN",
        "mất mạng",
        "mất kết nối",
        "đường truyền",
        "internet",
        "wifi",
        "virus",
        "mã độc",
        "an toàn thông tin",
        "phishing",
    ],
    "TECHNICAL": ["giám sát", "monitoring", "Zabbix", "cảnh báo", "máy chủ", "server", "backup"],
}

#: (code, group, scope, name, aliases) — the treasury's applications (SPEC §1).
_APPLICATIONS: list[tuple[str, GroupCode, Scope, str, list[str]]] = [
    ("TABMIS", "TABMIS", "national", "Hệ thống TABMIS", ["Tabmis", "AP", "GL", "phân hệ chi"]),
    (
        "TABMIS-DW",
        "TABMIS",
        "national",
        "Kho dữ liệu TABMIS",
        [
            "TABMIS DW",
            "kho dữ liệu",
            "data warehouse",
            "tiện ích khai thác dữ liệu TABMIS",
            "khai thác dữ liệu TABMIS",
        ],
    ),
    ("TTSP", "PAYMENT", "national", "Thanh toán song phương", ["song phương", "TTSP điện tử"]),
    ("TTLKB-T4", "PAYMENT", "national", "Thanh toán liên kho bạc", ["TTLKB", "liên kho bạc"]),
    ("TTLKB-T3", "PAYMENT", "national", "Thanh toán liên kho bạc T3 SGD", ["TTLKB T3", "T3 SGD"]),
    ("TTLNH", "PAYMENT", "national", "Thanh toán liên ngân hàng", ["liên ngân hàng", "CITAD"]),
    ("TTBT", "PAYMENT", "national", "Thanh toán bù trừ", ["bù trừ điện tử"]),
    ("TTDT-NH", "PAYMENT", "national", "Thanh toán điện tử với ngân hàng", ["TTĐT-NH", "TTĐT"]),
    ("TCS-TT", "PAYMENT", "national", "Thu ngân sách TCS", ["TCS", "thu ngân sách", "TCS thu"]),
    ("DMFAS", "PAYMENT", "national", "Quản lý nợ DMFAS", ["quản lý nợ"]),
    ("KTNB", "INTERNAL", "national", "Kế toán nội bộ", ["KTNB tập trung"]),
    ("QLTS", "INTERNAL", "national", "Quản lý tài sản", ["phần mềm tài sản"]),
    ("DKTS", "INTERNAL", "national", "Đăng ký tài sản", ["ĐKTS"]),
    ("KTKB-ANQP", "INTERNAL", "provincial", "Kế toán KBNN an ninh quốc phòng", ["ANQP", "KT-ANQP"]),
    ("DMDC", "INTERNAL", "national", "Danh mục dùng chung", ["danh mục"]),
    (
        "QHNS",
        "INTERNAL",
        "national",
        "Cấp mã QHNS",
        ["mã QHNS", "mã ĐVQHNS", "mã quan hệ ngân sách"],
    ),
    ("QLCB", "INTERNAL", "national", "Quản lý cán bộ", ["hồ sơ cán bộ"]),
    ("BMS", "INTERNAL", "national", "Hệ thống BMS", []),
    ("KQKB", "INTERNAL", "provincial", "Kiểm quỹ kho bạc", ["KQKB-TT"]),
    ("DTKB-LAN", "INTERNAL", "local", "Chương trình ĐTKB-LAN", ["ĐTKB LAN"]),
    ("THBC-DTKB-LAN", "INTERNAL", "provincial", "Tổng hợp báo cáo ĐTKB-LAN", ["THBC"]),
    ("DTKB-WAN", "INTERNAL", "national", "Chương trình ĐTKB-WAN", ["ĐTKB WAN"]),
    ("DTKB-GD", "INTERNAL", "provincial", "Chương trình ĐTKB-GD", ["ĐTKB GD"]),
    (
        "DVC",
        "INTERNAL",
        "national",
        "Dịch vụ công trực tuyến",
        ["DVCTT", "dịch vụ công", "cổng dịch vụ công"],
    ),
    ("PORTAL", "WORKSTATION", "national", "Cổng thông tin điện tử KBNN", ["cổng thông tin"]),
    ("MAIL", "WORKSTATION", "national", "Thư điện tử", ["email", "hộp thư", "Outlook"]),
    (
        "EDOCMAN",
        "WORKSTATION",
        "national",
        "Quản lý văn bản eDocman",
        ["eDoc", "văn bản điều hành"],
    ),
]

PROVINCES = [
    Province(code="HN", name="Hà Nội", aliases=["Ha Noi", "HNI"], it_office="HN-IT"),
    Province(code="HCM", name="Hồ Chí Minh", aliases=["TP.HCM", "Sài Gòn"], it_office="HCM-IT"),
    Province(code="DN", name="Đà Nẵng", it_office="DN-IT"),
]

UNITS = [
    Unit(code="KBNN-CNTT", name="Cục CNTT KBNN", kind="kbnn_central"),
    Unit(code="KB-HN", name="KBNN Hà Nội", kind="kbnn_province", province="HN", it_office="HN-IT"),
    Unit(code="KB-HN-BD", name="KB Ba Đình", kind="kbnn_district", province="HN", parent="KB-HN"),
    Unit(
        code="KB-HCM-TD",
        name="KB Thủ Đức",
        kind="kbnn_district",
        province="HCM",
        it_office="HCM-IT-TD",
    ),
    Unit(code="STC-HN", name="Sở Tài chính Hà Nội", kind="finance_agency", province="HN"),
    Unit(code="1012345", name="Trường THCS Ba Đình", kind="budget_unit", province="HN"),
    Unit(code="BTC", name="Bộ Tài chính", kind="ministry"),
]


def _rules(*phase_rules: RouteRule) -> list[RouteRule]:
    ito = RouteRule(
        name="ito_dvc_outside",
        target="ito",
        requester_kinds=OUTSIDE_TREASURY,
        applications=["DVC"],
        option=ITO_OPTION,
    )
    return [ito, *phase_rules, RouteRule(name="central_rest", target="central")]


PHASE_1 = PolicyVersion(
    id="P1",
    name="Giai đoạn 1",
    effective_from=date(2017, 1, 1),
    rules=_rules(
        RouteRule(
            name="p1_local_apps_to_province",
            target="province",
            requester_kinds=TREASURY_IN_PROVINCE,
            scopes=["local", "provincial"],
        )
    ),
)
PHASE_2 = PolicyVersion(
    id="P2",
    name="Giai đoạn 2",
    effective_from=date(2018, 1, 1),
    rules=_rules(
        RouteRule(
            name="p2_external_tabmis_to_central",
            target="central",
            requester_kinds=["finance_agency", "budget_unit"],
            applications=["TABMIS"],
        ),
        RouteRule(
            name="p2_treasury_to_province",
            target="province",
            requester_kinds=TREASURY_IN_PROVINCE,
        ),
    ),
)
PHASE_3 = PolicyVersion(
    id="P3",
    name="Giai đoạn 3",
    effective_from=date(2019, 1, 1),
    rules=_rules(
        RouteRule(
            name="p3_province_to_province",
            target="province",
            requester_kinds=[*TREASURY_IN_PROVINCE, "finance_agency", "budget_unit"],
        ),
        RouteRule(
            name="p3_central_kinds_to_central",
            target="central",
            requester_kinds=["ministry", "kbnn_central"],
        ),
    ),
)
PHASES = {1: PHASE_1, 2: PHASE_2, 3: PHASE_3}


def build_catalog() -> Catalog:
    groups: dict[str, Group] = {
        code: Group(code=code, name=f"Nhóm {code}", scope="", lead_email="", topic_keywords=kw)
        for code, kw in _GROUP_TOPICS.items()
    }
    applications = {
        code: Application(
            code=code,
            name=name,
            aliases=aliases,
            group=group,
            scope=scope,
            specialist_department="PTUD",
        )
        for code, group, scope, name, aliases in _APPLICATIONS
    }
    it_offices = {
        code: ItOffice(code=code, name=f"Phòng Tin học {code}", province=province, email="")
        for code, province in [
            ("HN-IT", "HN"),
            ("HCM-IT", "HCM"),
            ("HCM-IT-TD", "HCM"),
            ("DN-IT", "DN"),
        ]
    }
    return Catalog(
        groups=groups,
        departments={
            "PTUD": Department(
                code="PTUD", name="Phòng Phát triển ứng dụng", kind="specialist", email=""
            )
        },
        applications=applications,
        provinces={p.code: p for p in PROVINCES},
        it_offices=it_offices,
        units={u.code: u for u in UNITS},
        routing=RoutingPolicy(versions=[PHASE_1, PHASE_2, PHASE_3], options={ITO_OPTION: True}),
    )


CATALOG = build_catalog()
