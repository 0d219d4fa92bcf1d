"""Deterministic benchmark data: realistic log records, 1–20 branches, ~10% invalid.

The same seed always writes the same files, so every figure in the README can be
reproduced. Invalid records carry varied defects: the documented created/total_created
drift, a fractional revenue, a CRLF-terminated branch name, a missing field, a string count.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

BRANCHES = [
    "Shopping Unicenter", "Palermo Soho", "Córdoba Centro", "Rosario Alto", "Mendoza Peatonal",
    "Abasto", "Belgrano R", "Nuñez", "San Isidro", "La Plata 7", "Mar del Plata Güemes",
    "Tucumán Plaza", "Salta Balcarce", "Neuquén Alto Comahue", "Bahía Blanca Plaza",
    "Santa Fe Recoleta", "Quilmes Factory", "Pilar Palmas", "Tigre Nordelta", "Caballito",
]


def record(rng: random.Random, invalid: bool) -> dict:
    n = rng.randint(1, 20)
    names = rng.sample(BRANCHES, n)
    day = f"2026_{rng.randint(1, 12):02d}_{rng.randint(1, 28):02d}"
    cust_b, purch_b = [], []
    for name in names:
        cust_b.append({"branch": name, "total_created": rng.randint(0, 500),
                       "total_updated": rng.randint(0, 100), "total_failed": rng.randint(0, 10)})
        purch_b.append({"branch": name, "total_created": rng.randint(0, 900), "total_updated": rng.randint(0, 20),
                        "total_failed": rng.randint(0, 5), "total_revenue": rng.randint(0, 90_000_000),
                        "total_invoice_items": rng.randint(0, 4000)})

    def totals(rows: list[dict], keys: list[str]) -> dict:
        return {k: sum(r[k] for r in rows) for k in keys}

    doc = {
        "files": [f"customers-{day}.csv", f"purchases-{day}.csv"],
        "processingtime": f"{day.replace('_', '-')}T0{rng.randint(0, 9)}:30:00-03:00",
        "stats": {
            "customers": {**totals(cust_b, ["total_created", "total_updated", "total_failed"]),
                          "per_branches": cust_b},
            "purchases": {**totals(purch_b, ["total_created", "total_updated", "total_failed", "total_revenue",
                                             "total_invoice_items"]), "per_branches": purch_b},
            "products": {"total_created": rng.randint(0, 50), "total_updated": rng.randint(0, 300),
                         "total_failed": 0},
        },
    }
    if invalid:
        defect = rng.randrange(5)
        if defect == 0:
            b = doc["stats"]["customers"]["per_branches"][0]
            b["created"] = b.pop("total_created")
        elif defect == 1:
            doc["stats"]["purchases"]["total_revenue"] += 0.5
        elif defect == 2:
            doc["stats"]["purchases"]["per_branches"][-1]["branch"] += "\r"
        elif defect == 3:
            del doc["processingtime"]
        else:
            doc["stats"]["products"]["total_failed"] = "0"
    return doc


def write_files(directory: str | os.PathLike[str], count: int, *, seed: int = 7, invalid_ratio: float = 0.1) -> Path:
    """Write ``count`` records as separate .json files (once: reused when already complete)."""
    out = Path(directory)
    marker = out / ".complete"
    if marker.exists() and marker.read_text() == f"{count}:{seed}:{invalid_ratio}":
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i in range(count):
        doc = record(rng, rng.random() < invalid_ratio)
        (out / f"record-{i:06d}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    marker.write_text(f"{count}:{seed}:{invalid_ratio}")
    return out


def write_jsonl(path: str | os.PathLike[str], count: int, *, seed: int = 7, invalid_ratio: float = 0.1) -> Path:
    p = Path(path)
    marker = p.with_suffix(".complete")
    if p.exists() and marker.exists() and marker.read_text() == f"{count}:{seed}:{invalid_ratio}":
        return p
    p.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with p.open("w", encoding="utf-8") as handle:
        for _ in range(count):
            handle.write(json.dumps(record(rng, rng.random() < invalid_ratio), ensure_ascii=False) + "\n")
    marker.write_text(f"{count}:{seed}:{invalid_ratio}")
    return p


if __name__ == "__main__":
    import sys

    write_files(sys.argv[1], int(sys.argv[2]))
