"""Diagnostic trouble codes in plain words, in English and Chinese.

SAE J2012 codes read: a system letter (P powertrain, C chassis, B body, U network), a digit (0 and 2: generic,
the same meaning in every car; 1 and 3: the maker's own), then three hex digits. The common generic codes are
described here; any other code is described by its system and whether it is generic or the maker's, so a person
always reads words, never only the code.
"""

from __future__ import annotations

from dataclasses import dataclass

_SYSTEMS = {
    "P": ("engine or transmission", "发动机或变速箱"),
    "C": ("chassis (brakes, steering, suspension)", "底盘（制动、转向、悬架）"),
    "B": ("body (airbags, seats, lights, climate)", "车身（安全气囊、座椅、灯光、空调）"),
    "U": ("communication between the car's control units", "车内控制单元之间的通信"),
}

_GENERIC: dict[str, tuple[str, str]] = {
    "P0087": ("Fuel pressure too low", "燃油压力过低"),
    "P0101": ("Air flow sensor reading out of range", "空气流量传感器读数超出范围"),
    "P0128": ("Engine takes too long to warm up (thermostat)", "发动机升温过慢（节温器）"),
    "P0171": ("Engine running too lean (bank 1)", "发动机混合气过稀（第 1 列）"),
    "P0172": ("Engine running too rich (bank 1)", "发动机混合气过浓（第 1 列）"),
    "P0217": ("Engine overheating", "发动机过热"),
    "P0300": ("Random or multiple cylinder misfire", "多缸或随机缺火"),
    "P0301": ("Cylinder 1 misfire", "第 1 缸缺火"),
    "P0302": ("Cylinder 2 misfire", "第 2 缸缺火"),
    "P0303": ("Cylinder 3 misfire", "第 3 缸缺火"),
    "P0304": ("Cylinder 4 misfire", "第 4 缸缺火"),
    "P0335": ("Crankshaft position sensor fault", "曲轴位置传感器故障"),
    "P0420": ("Catalytic converter efficiency below threshold", "三元催化器效率低于阈值"),
    "P0442": ("Small leak in the fuel vapour system", "燃油蒸发系统小泄漏"),
    "P0455": ("Large leak in the fuel vapour system (check the fuel cap)", "燃油蒸发系统大泄漏（检查油箱盖）"),
    "P0500": ("Vehicle speed sensor fault", "车速传感器故障"),
    "P0562": ("System voltage low", "系统电压过低"),
    "P0700": ("Transmission control system fault", "变速箱控制系统故障"),
    "P0A80": ("Hybrid battery pack needs replacing", "混合动力电池组需要更换"),
    "C0035": ("Left front wheel speed sensor fault", "左前轮速传感器故障"),
    "C0040": ("Right front wheel speed sensor fault", "右前轮速传感器故障"),
    "C0265": ("ABS pump motor circuit fault", "ABS 泵电机电路故障"),
    "B0001": ("Driver front airbag circuit fault", "驾驶员正面安全气囊电路故障"),
    "B0100": ("Passenger airbag circuit fault", "乘客安全气囊电路故障"),
    "U0001": ("High-speed CAN bus fault", "高速 CAN 总线故障"),
    "U0100": ("Lost communication with the engine control unit", "与发动机控制单元通信中断"),
    "U0101": ("Lost communication with the transmission control unit", "与变速箱控制单元通信中断"),
    "U0121": ("Lost communication with the ABS control unit", "与 ABS 控制单元通信中断"),
    "U0155": ("Lost communication with the instrument cluster", "与仪表控制单元通信中断"),
}
# Codes that mean the car should not be driven on without a check: safety systems, overheating, misfire that
# can destroy the catalyst, lost engine communication.
SEVERE = frozenset({"P0217", "P0300", "P0301", "P0302", "P0303", "P0304", "C0265", "B0001", "B0100", "U0100"})


@dataclass(frozen=True)
class Description:
    code: str
    en: str
    zh: str
    severe: bool


def describe(code: str) -> Description:
    known = _GENERIC.get(code)
    if known is not None:
        return Description(code, known[0], known[1], code in SEVERE)
    system_en, system_zh = _SYSTEMS.get(code[:1], ("unknown system", "未知系统"))
    if code[1:2] in ("1", "3"):
        return Description(code, f"Maker-specific fault in the {system_en}", f"{system_zh}的厂家专用故障", False)
    return Description(code, f"Fault in the {system_en}", f"{system_zh}故障", False)
