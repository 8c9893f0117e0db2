"""EU/UK VAT identification numbers with valid check digits, per country.

Each `make_<cc>(rng)` returns a random valid VAT id with its country prefix;
`valid(vat)` checks one. The algorithms are the published ones (the same as
the tax authorities' and python-stdnum's); tests/languages/test_generate.py
checks them against published example numbers.
"""

from __future__ import annotations

import random


def _digits(s: str) -> list[int]:
    return [int(c) for c in s]


def _de_check(first8: str) -> int:
    # ISO 7064 MOD 11,10.
    product = 10
    for d in _digits(first8):
        total = (d + product) % 10 or 10
        product = (2 * total) % 11
    check = 11 - product
    return 0 if check == 10 else check


def _luhn_ok(s: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(_digits(s))):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


def _luhn_complete(s: str) -> str:
    return next(s + str(c) for c in range(10) if _luhn_ok(s + str(c)))


def _fr_key(siren: str) -> str:
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def _it_check(first10: str) -> int:
    total = 0
    for i, d in enumerate(_digits(first10)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return (10 - total % 10) % 10


def _es_cif_check(seven: str) -> int:
    total = 0
    for i, d in enumerate(_digits(seven)):
        if i % 2 == 0:  # 1st, 3rd, 5th, 7th: doubled, digits summed
            d *= 2
            d = d // 10 + d % 10
        total += d
    return (10 - total % 10) % 10


def _weighted(s: str, weights) -> int:
    return sum(w * d for w, d in zip(weights, _digits(s)))


def _nl_check(first8: str) -> int | None:
    c = _weighted(first8, range(9, 1, -1)) % 11
    return None if c == 10 else c


def _pl_check(first9: str) -> int | None:
    c = _weighted(first9, (6, 5, 7, 2, 3, 4, 5, 6, 7)) % 11
    return None if c == 10 else c


def _pt_check(first8: str) -> int:
    c = 11 - _weighted(first8, range(9, 1, -1)) % 11
    return 0 if c >= 10 else c


_LV_WEIGHTS = (9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1)


def _gb_ok(nine: str) -> bool:
    total = _weighted(nine[:7], range(8, 1, -1)) + int(nine[7:])
    return total % 97 == 0 or (total + 55) % 97 == 0


def _num(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def make_de(rng):
    first = str(rng.randrange(1, 10)) + _num(rng, 7)
    return f"DE{first}{_de_check(first)}"


def make_fr(rng):
    siren = _luhn_complete(str(rng.randrange(1, 10)) + _num(rng, 7))
    return f"FR{_fr_key(siren)}{siren}"


def make_it(rng):
    first = "0" + _num(rng, 9)
    return f"IT{first}{_it_check(first)}"


def make_es(rng):
    seven = _num(rng, 7)  # company CIF: B (S.L.) or A (S.A.) + 7 digits + control digit
    return f"ES{rng.choice('AB')}{seven}{_es_cif_check(seven)}"


def make_nl(rng):
    while True:
        first = str(rng.randrange(1, 10)) + _num(rng, 7)
        c = _nl_check(first)
        if c is not None:
            return f"NL{first}{c}B{rng.randrange(1, 20):02d}"


def make_pl(rng):
    while True:
        first = str(rng.randrange(1, 10)) + _num(rng, 8)
        c = _pl_check(first)
        if c is not None:
            return f"PL{first}{c}"


def make_pt(rng):
    first = "5" + _num(rng, 7)  # 5: legal persons
    return f"PT{first}{_pt_check(first)}"


def make_lv(rng):
    while True:
        first = "4000" + _num(rng, 6)  # legal persons start with a digit > 3
        for d in range(10):
            if _weighted(first + str(d), _LV_WEIGHTS) % 11 == 3:
                return f"LV{first}{d}"


def make_gb(rng):
    while True:
        seven = str(rng.randrange(1, 10)) + _num(rng, 6)
        for check in range(100):
            if _gb_ok(f"{seven}{check:02d}"):
                return f"GB{seven}{check:02d}"


MAKERS = {"DE": make_de, "FR": make_fr, "IT": make_it, "ES": make_es, "NL": make_nl,
          "PL": make_pl, "PT": make_pt, "LV": make_lv, "GB": make_gb}


def valid(vat: str) -> bool:
    vat = vat.replace(" ", "").replace(".", "").replace("-", "").upper()
    cc, n = vat[:2], vat[2:]
    if cc == "DE":
        return len(n) == 9 and n.isdigit() and n[0] != "0" and _de_check(n[:8]) == int(n[8])
    if cc == "FR":
        return len(n) == 11 and n.isdigit() and _luhn_ok(n[2:]) and _fr_key(n[2:]) == n[:2]
    if cc == "IT":
        return len(n) == 11 and n.isdigit() and _it_check(n[:10]) == int(n[10])
    if cc == "ES":
        return len(n) == 9 and n[0] in "AB" and n[1:].isdigit() and _es_cif_check(n[1:8]) == int(n[8])
    if cc == "NL":
        return len(n) == 12 and n[:9].isdigit() and n[9] == "B" and _nl_check(n[:8]) == int(n[8])
    if cc == "PL":
        return len(n) == 10 and n.isdigit() and _pl_check(n[:9]) == int(n[9])
    if cc == "PT":
        return len(n) == 9 and n.isdigit() and _pt_check(n[:8]) == int(n[8])
    if cc == "LV":
        return len(n) == 11 and n.isdigit() and int(n[0]) > 3 and _weighted(n, _LV_WEIGHTS) % 11 == 3
    if cc == "GB":
        return len(n) == 9 and n.isdigit() and _gb_ok(n)
    return False
