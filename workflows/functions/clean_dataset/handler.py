"""clean_dataset: read a CSV file, drop the rows that cannot be used, fill missing cells.

Event:
    {"source": "file:///repo/workflows/data/iris_dirty.csv",   required, file:// URI or path
     "destination": "file:///tmp/run-1/clean.csv",              required, where the clean CSV goes
     "dropDuplicates": true,                                    optional, default true
     "fillMissing": "median",                                   median (default), mean, or drop
     "outlierMads": 10}                                         optional, see "outlier" below

Result:
    {"path": destination, "rows": rows kept, "dropped": rows dropped,
     "reasons": {reason: rows dropped for it},
     "rejected": [{"line": CSV line number, "reason": ..., "detail": ...}, ...] (first 50),
     "filledMissing": {"strategy": "median", "cells": n, "values": {column: value used}},
     "columns": [{"name": ..., "type": "numeric" | "categorical"}]}

The first line is the header. A column is numeric when at least 90% of its
non-missing cells are numbers. Empty cells and NA, N/A, NaN, null, none, ? are
missing. A row is dropped, with one of these reasons, when it is:
    empty               every cell is missing
    wrong_field_count   it has more or fewer cells than the header
    not_a_number        a numeric column holds text, or inf
    missing_category    a categorical cell is missing (there is nothing to fill it with)
    outlier             a number is more than outlierMads median absolute deviations
                        from its column's median (a lost decimal point, a sign error)
    missing_value       with fillMissing "drop", any numeric cell is missing
    duplicate           with dropDuplicates, it repeats an earlier kept row
Missing numeric cells of the remaining rows are filled with the column's median or
mean, computed over the rows kept.

Errors: Dataset.NotFound (source missing), Dataset.Empty (no header or no usable row),
Dataset.BadRequest (unknown fillMissing).
"""

import csv
import math
import os
import statistics
import urllib.parse

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
NotFound = type("Dataset.NotFound", (FileNotFoundError,), {})
Empty = type("Dataset.Empty", (ValueError,), {})
BadRequest = type("Dataset.BadRequest", (ValueError,), {})

MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}
NUMERIC_SHARE = 0.9
MAX_REJECTED_LISTED = 50


def handler(event, context):
    source = local_path(event.get("source"))
    destination = local_path(event.get("destination"))
    strategy = event.get("fillMissing", "median")
    if strategy not in ("median", "mean", "drop"):
        raise BadRequest(f"fillMissing must be median, mean or drop, not {strategy!r}")
    outlier_mads = float(event.get("outlierMads", 10))

    header, records = read_csv(source)
    rejected = []

    def reject(line, reason, detail):
        rejected.append({"line": line, "reason": reason, "detail": detail})

    # 1. Shape: every row has the header's width and at least one value.
    shaped = []
    for line, cells in records:
        cells = [cell.strip() for cell in cells]
        if all(cell.lower() in MISSING for cell in cells):
            reject(line, "empty", "no values")
        elif len(cells) != len(header):
            reject(line, "wrong_field_count", f"{len(cells)} fields, the header has {len(header)}")
        else:
            shaped.append((line, cells))
    numeric = [is_numeric_column([cells[i] for _, cells in shaped]) for i in range(len(header))]

    # 2. Types: numbers where numbers belong, a value in every categorical column.
    typed = []
    for line, cells in shaped:
        row, problem = parse_row(header, numeric, cells)
        if problem:
            reject(line, *problem)
        else:
            typed.append((line, row))

    # 3. Outliers, measured against robust statistics (median and MAD) that
    #    the outliers themselves barely move.
    centres = {}
    for i, name in enumerate(header):
        values = [row[i] for _, row in typed if numeric[i] and row[i] is not None]
        if values:
            median = statistics.median(values)
            mad = statistics.median(abs(v - median) for v in values)
            centres[i] = (median, mad)
    kept = []
    for line, row in typed:
        far = [i for i, (median, mad) in centres.items()
               if row[i] is not None and mad > 0 and abs(row[i] - median) > outlier_mads * mad]
        if far:
            i = far[0]
            reject(line, "outlier", f"{header[i]} = {row[i]:g} is more than {outlier_mads:g} "
                                    f"MADs from the median {centres[i][0]:g}")
        else:
            kept.append((line, row))

    # 4. Missing numbers: fill them, or drop their rows.
    fill_values, filled = {}, 0
    if strategy == "drop":
        complete = []
        for line, row in kept:
            if any(v is None for v in row):
                reject(line, "missing_value", "a numeric cell is empty")
            else:
                complete.append((line, row))
        kept = complete
    else:
        average = statistics.median if strategy == "median" else statistics.fmean
        for i in centres:
            present = [row[i] for _, row in kept if row[i] is not None]
            if len(present) < len(kept) and present:
                fill_values[header[i]] = round(average(present), 6)
                for _, row in kept:
                    if row[i] is None:
                        row[i] = fill_values[header[i]]
                        filled += 1

    # 5. Duplicates, once every cell has its final value.
    if event.get("dropDuplicates", True):
        first_line, unique = {}, []
        for line, row in kept:
            signature = tuple(row)
            if signature in first_line:
                reject(line, "duplicate", f"same as line {first_line[signature]}")
            else:
                first_line[signature] = line
                unique.append((line, row))
        kept = unique

    if not kept:
        raise Empty(f"{source}: no usable row left after cleaning")
    write_csv(destination, header, [row for _, row in kept])

    rejected.sort(key=lambda r: r["line"])
    reasons = {}
    for r in rejected:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    return {
        "path": event["destination"],
        "rows": len(kept),
        "dropped": len(rejected),
        "reasons": reasons,
        "rejected": rejected[:MAX_REJECTED_LISTED],
        "filledMissing": {"strategy": strategy, "cells": filled, "values": fill_values},
        "columns": [{"name": name, "type": "numeric" if numeric[i] else "categorical"}
                    for i, name in enumerate(header)],
    }


def local_path(uri):
    """A file:// URI or a plain path, as a path."""
    if not isinstance(uri, str) or not uri:
        raise BadRequest("source and destination must be file:// URIs or paths")
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise BadRequest(f"only file:// URIs can be read and written, not {uri}")
    return uri


def read_csv(path):
    """The header and the data records, each with the line it starts on."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            records = []
            for cells in reader:
                if cells:  # a blank line is no record
                    records.append((reader.line_num, cells))
    except FileNotFoundError as error:
        raise NotFound(f"no dataset at {path}") from error
    if not header:
        raise Empty(f"{path} has no header line")
    return [name.strip() for name in header], records


def is_numeric_column(cells):
    present = [cell for cell in cells if cell.lower() not in MISSING]
    numbers = sum(1 for cell in present if to_float(cell) is not None)
    return bool(present) and numbers >= NUMERIC_SHARE * len(present)


def parse_row(header, numeric, cells):
    """(typed row, None), or (None, (reason, detail)) for a row that cannot be used."""
    row = []
    for name, is_number, cell in zip(header, numeric, cells):
        if cell.lower() in MISSING:
            if not is_number:
                return None, ("missing_category", f"{name} is empty")
            row.append(None)
        elif is_number:
            value = to_float(cell)
            if value is None or not math.isfinite(value):
                return None, ("not_a_number", f"{name} = {cell!r}")
            row.append(value)
        else:
            row.append(cell)
    return row, None


def to_float(text):
    try:
        return float(text)
    except ValueError:
        return None


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([f"{v:.15g}" if isinstance(v, float) else v for v in row])
