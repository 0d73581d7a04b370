#!/usr/bin/env python3
"""Regenerates waihu's phone directory from libphonenumber's data.

Source: PyPI `phonenumbers==9.0.43` (the Python port of Google's libphonenumber, Apache-2.0).
Writes:
  Sources/WaihuCore/Resources/phone-directory.bin   the compact table WaihuCore reads at run time
  Tests/WaihuCoreTests/Fixtures/libphonenumber-vectors.tsv   expected lookups, computed through
      phonenumbers' own API (geocoder, carrier, number type), that the Swift tests compare against

Usage: scripts/gen-phone-data.py [--check]   (installs phonenumbers==9.0.43 with pip when missing)
  --check   regenerate into memory and fail if the committed files differ

File format "WPD1" (all integers unsigned LEB128 varints, strings = varint length + UTF-8):
  magic "WPD1", string notice
  string table: count, strings
  locations: count, then per location: province GB/T 2260 code, city, area code, description
             (city, area code and description are string-table indexes)
  carriers by mobile prefix: count, then per entry: prefix (digits, string index), carrier (string index)
  mobile 号段 locations: segment count, per segment: segment (3 digits), run count,
             runs of (start delta, location index + 1; 0 = no location)
  valid mobile 5-digit prefixes: 10000-bit bitmap over 10000..19999 (1250 bytes)
  fixed-line prefixes: count, per entry: national prefix without trunk 0 (string index), location index
  country calling codes: count, per entry: code, ISO region (string index)
  time zones by E.164 prefix (outside +86): count, per entry: prefix (string index), zone count, zones
"""
import os
import random
import re
import subprocess
import sys

VERSION = "9.0.43"
try:
    import phonenumbers
    if phonenumbers.__version__ != VERSION:
        raise ImportError
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", f"phonenumbers=={VERSION}"])
    import importlib
    import phonenumbers
    importlib.reload(phonenumbers)

from phonenumbers import carrier, geocoder
from phonenumbers.carrierdata import CARRIER_DATA
from phonenumbers.data import _COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.geodata import GEOCODE_DATA
from phonenumbers.tzdata import TIMEZONE_DATA

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources/WaihuCore/Resources/phone-directory.bin")
VECTORS = os.path.join(ROOT, "Tests/WaihuCoreTests/Fixtures/libphonenumber-vectors.tsv")

# GB/T 2260 code, English name as libphonenumber writes it, short and official Chinese names.
PROVINCES = [
    (11, "Beijing", "北京", "北京市"), (12, "Tianjin", "天津", "天津市"), (13, "Hebei", "河北", "河北省"),
    (14, "Shanxi", "山西", "山西省"), (15, "Inner Mongolia", "内蒙古", "内蒙古自治区"),
    (21, "Liaoning", "辽宁", "辽宁省"), (22, "Jilin", "吉林", "吉林省"), (23, "Heilongjiang", "黑龙江", "黑龙江省"),
    (31, "Shanghai", "上海", "上海市"), (32, "Jiangsu", "江苏", "江苏省"), (33, "Zhejiang", "浙江", "浙江省"),
    (34, "Anhui", "安徽", "安徽省"), (35, "Fujian", "福建", "福建省"), (36, "Jiangxi", "江西", "江西省"),
    (37, "Shandong", "山东", "山东省"), (41, "Henan", "河南", "河南省"), (42, "Hubei", "湖北", "湖北省"),
    (43, "Hunan", "湖南", "湖南省"), (44, "Guangdong", "广东", "广东省"), (45, "Guangxi", "广西", "广西壮族自治区"),
    (46, "Hainan", "海南", "海南省"), (50, "Chongqing", "重庆", "重庆市"), (51, "Sichuan", "四川", "四川省"),
    (52, "Guizhou", "贵州", "贵州省"), (53, "Yunnan", "云南", "云南省"), (54, "Tibet", "西藏", "西藏自治区"),
    (61, "Shaanxi", "陕西", "陕西省"), (62, "Gansu", "甘肃", "甘肃省"), (63, "Qinghai", "青海", "青海省"),
    (64, "Ningxia", "宁夏", "宁夏回族自治区"), (65, "Xinjiang", "新疆", "新疆维吾尔自治区"),
]
BY_ENGLISH = {p[1]: p for p in PROVINCES}
MUNICIPALITIES = {11, 12, 31, 50}


def province_of(english):
    name = english.split(", ")[-1] if ", " in english else english
    return BY_ENGLISH[name]


def split_location(zh, english):
    """(GB code, short city name, cities listed) from a libphonenumber description."""
    gb, _, short, official = province_of(english)
    if gb in MUNICIPALITIES:
        return gb, short, [short]
    rest = zh
    for prefix in (official, short + "省", short):
        if rest.startswith(prefix):
            rest = rest[len(prefix):]
            break
    cities = []
    for city in rest.split("、"):
        for suffix in ("市", "地区"):
            if city.endswith(suffix) and len(city) > len(suffix) + 1:
                city = city[: -len(suffix)]
        cities.append(city)
    return gb, cities[0], cities


def zh_description(table, key):
    """libphonenumber's Chinese description, falling back to the shorter prefix when a row has none."""
    for length in range(len(key), 0, -1):
        row = table.get(key[:length])
        if row and "zh" in row:
            return row["zh"], row["en"]
    raise KeyError(key)


class Writer:
    def __init__(self):
        self.out = bytearray()
        self.strings = []
        self.string_index = {}

    def varint(self, n):
        assert n >= 0
        while True:
            byte = n & 0x7F
            n >>= 7
            if n:
                self.out.append(byte | 0x80)
            else:
                self.out.append(byte)
                return

    def raw_string(self, s):
        data = s.encode("utf-8")
        self.varint(len(data))
        self.out += data

    def intern(self, s):
        if s not in self.string_index:
            self.string_index[s] = len(self.strings)
            self.strings.append(s)
        return self.string_index[s]


def main():
    cn = {k[2:]: v for k, v in GEOCODE_DATA.items() if k.startswith("86")}
    mobile_geo = {k: v for k, v in cn.items() if k.startswith("1") and k != "10"}
    fixed_geo = {k: v for k, v in cn.items() if k not in mobile_geo}

    locations = []          # (gb, city, area code, description)
    location_index = {}

    def location_for(zh, en, area_code):
        gb, city, _ = split_location(zh, en)
        key = (gb, city, area_code, zh)
        if key not in location_index:
            location_index[key] = len(locations)
            locations.append(key)
        return location_index[key]

    # Area code of each city, from the fixed-line table: the first city named wins its own code.
    area_code_of_city = {}
    for prefix in sorted(fixed_geo, key=lambda p: (len(p), p)):
        if len(prefix) > 3:
            continue  # sub-ranges of an area code, not area codes themselves
        zh, en = zh_description(fixed_geo, prefix)
        gb, _, cities = split_location(zh, en)
        for city in cities:
            area_code_of_city.setdefault((gb, city), "0" + prefix)

    fixed_rows = []
    for prefix in sorted(fixed_geo):
        zh, en = zh_description(fixed_geo, prefix)
        area_code = "0" + (prefix[:2] if prefix[0] == "1" or prefix[0] == "2" else prefix[:3])
        fixed_rows.append((prefix, location_for(zh, en, area_code)))

    def area_code_for(gb, city):
        """The area code of a city; names differ between the tables (黔东南 / 黔东南苗族侗族自治州)."""
        if (gb, city) in area_code_of_city:
            return area_code_of_city[(gb, city)]
        for (province, name), code in sorted(area_code_of_city.items()):
            if province == gb and len(name) >= 2 and len(city) >= 2 and (city.startswith(name) or name.startswith(city)):
                return code
        return ""

    def mobile_location(number7):
        for length in range(7, 0, -1):
            if number7[:length] in mobile_geo:
                zh, en = zh_description(mobile_geo, number7[:length])
                gb, city, _ = split_location(zh, en)
                return location_for(zh, en, area_code_for(gb, city))
        return None

    segments = []
    for segment in range(130, 200):
        runs, previous = [], object()
        for suffix in range(10000):
            loc = mobile_location(f"{segment}{suffix:04d}")
            if loc != previous:
                runs.append((suffix, loc))
                previous = loc
        if runs != [(0, None)]:
            segments.append((segment, runs))

    md = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    mobile_pattern = re.compile(md.mobile.national_number_pattern)
    bitmap = bytearray(1250)
    for prefix in range(10000, 20000):
        low, high = f"{prefix}000000", f"{prefix}999999"
        if mobile_pattern.fullmatch(low) and mobile_pattern.fullmatch(high):
            bit = prefix - 10000
            bitmap[bit >> 3] |= 1 << (bit & 7)

    carriers = sorted((k[2:], v["zh"]) for k, v in CARRIER_DATA.items() if k.startswith("86"))
    countries = sorted((code, regions[0]) for code, regions in _COUNTRY_CODE_TO_REGION_CODE.items() if code != 86 and regions)
    zones = sorted((k, v) for k, v in TIMEZONE_DATA.items() if not k.startswith("86"))

    w = Writer()
    for _, city, area, desc in locations:
        w.intern(city); w.intern(area); w.intern(desc)
    for prefix, name in carriers:
        w.intern(prefix); w.intern(name)
    for prefix, _ in fixed_rows:
        w.intern(prefix)
    for _, region in countries:
        w.intern(region)
    for prefix, tzs in zones:
        w.intern(prefix)
        for tz in tzs:
            w.intern(tz)

    body = Writer()
    body.string_index, body.strings = w.string_index, w.strings
    body.out += b"WPD1"
    body.raw_string(f"Derived from libphonenumber (PyPI phonenumbers=={VERSION}, Apache License 2.0) "
                    "by scripts/gen-phone-data.py; see Sources/WaihuCore/Resources/README.md.")
    body.varint(len(w.strings))
    for s in w.strings:
        body.raw_string(s)
    body.varint(len(locations))
    for gb, city, area, desc in locations:
        body.varint(gb); body.varint(w.intern(city)); body.varint(w.intern(area)); body.varint(w.intern(desc))
    body.varint(len(carriers))
    for prefix, name in carriers:
        body.varint(w.intern(prefix)); body.varint(w.intern(name))
    body.varint(len(segments))
    for segment, runs in segments:
        body.varint(segment); body.varint(len(runs))
        start = 0
        for suffix, loc in runs:
            body.varint(suffix - start); body.varint(0 if loc is None else loc + 1)
            start = suffix
    body.out += bitmap
    body.varint(len(fixed_rows))
    for prefix, loc in fixed_rows:
        body.varint(w.intern(prefix)); body.varint(loc)
    body.varint(len(countries))
    for code, region in countries:
        body.varint(code); body.varint(w.intern(region))
    body.varint(len(zones))
    for prefix, tzs in zones:
        body.varint(w.intern(prefix)); body.varint(len(tzs))
        for tz in tzs:
            body.varint(w.intern(tz))
    emit(OUT, bytes(body.out))
    print(f"{OUT}: {len(body.out)} bytes, {len(locations)} locations, "
          f"{sum(len(r) for _, r in segments)} mobile runs, {len(fixed_rows)} fixed-line prefixes")
    write_vectors(mobile_geo, fixed_geo, area_code_for)


CHECK = "--check" in sys.argv


def emit(path, data):
    """Writes `data` to `path`, or with --check verifies that the committed file holds exactly it."""
    if CHECK:
        with open(path, "rb") as f:
            if f.read() != data:
                sys.exit(f"{path} differs from what scripts/gen-phone-data.py generates; run it and commit the result")
        return
    with open(path, "wb") as f:
        f.write(data)


def write_vectors(mobile_geo, fixed_geo, area_code_for):
    """Numbers across every province and kind, with what phonenumbers' API says about them."""
    rng = random.Random(20261122)
    rows = []

    def describe(national, kind):
        n = phonenumbers.parse(national, "CN")
        e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        desc = geocoder.description_for_number(n, "zh")
        name = carrier.name_for_number(n, "zh")
        province = city = area = ""
        if desc and desc != "中国":
            en = geocoder.description_for_number(n, "en")
            gb, city, _ = split_location(desc, en)
            province = next(p[2] for p in PROVINCES if p[0] == gb)
            if kind == "mobile":
                area = area_code_for(gb, city)
        return e164, desc, name, province, city, area

    by_province = {}
    for prefix in sorted(mobile_geo):
        if len(prefix) == 7:
            en = mobile_geo[prefix]["en"]
            by_province.setdefault(province_of(en)[0], []).append(prefix)
    for gb, prefixes in sorted(by_province.items()):
        for prefix in rng.sample(prefixes, 3):
            national = prefix + f"{rng.randrange(10000):04d}"
            n = phonenumbers.parse(national, "CN")
            if phonenumbers.is_valid_number(n):
                rows.append((national, "mobile") + describe(national, "mobile"))
    codes_by_province = {}
    for prefix in sorted(p for p in fixed_geo if len(p) <= 3):
        codes_by_province.setdefault(province_of(fixed_geo[prefix]["en"])[0], []).append(prefix)
    for gb, prefixes in sorted(codes_by_province.items()):
        for prefix in rng.sample(prefixes, min(2, len(prefixes))):
            for _ in range(1000):
                subscriber_length = 8 if len(prefix) == 2 else rng.choice([7, 8])
                national = "0" + prefix + str(rng.randrange(2, 9)) + "".join(
                    str(rng.randrange(10)) for _ in range(subscriber_length - 1))
                if phonenumbers.is_valid_number(phonenumbers.parse(national, "CN")):
                    e164, desc, name, province, city, _ = describe(national, "fixed_line")
                    rows.append((national, "fixed_line", e164, desc, name, province, city, "0" + prefix))
                    break
    text = "# national\tkind\te164\tlibphonenumber description (zh)\tcarrier (zh)\tprovince\tcity\tarea code\n"
    text += f"# generated by scripts/gen-phone-data.py from phonenumbers=={VERSION}\n"
    text += "".join("\t".join(row) + "\n" for row in rows)
    emit(VECTORS, text.encode("utf-8"))
    print(f"{VECTORS}: {len(rows)} numbers")


if __name__ == "__main__":
    main()
