"""describe_stats: descriptive statistics, histograms and correlations of numeric columns.

Event:
    {"input": "file:///tmp/run-1/features.csv",   required, a CSV file with a header
     "columns": ["sepal_length", ...],             optional, default every numeric column
     "percentiles": [0.25, 0.5, 0.75],             optional, default these three
     "bins": 10}                                   optional, histogram bins per column

Result:
    {"rows": 149,
     "columns": {name: {"count", "mean", "std", "min", "25%", "50%", "75%", "max",
                        "histogram": {"edges": [bins + 1 numbers], "counts": [bins numbers]}}},
     "correlation": {"columns": [names], "matrix": [[Pearson r, ...], ...]}}

std is the sample standard deviation (n - 1); percentiles interpolate linearly
between the two nearest values (as pandas' describe does). Numbers are rounded to
6 decimals. A histogram's last bin includes its upper edge.

Errors: Stats.UnknownColumn (a listed column is missing or not numeric),
Stats.BadRequest, Dataset.NotFound.
"""

import csv
import math
import statistics
import urllib.parse

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
UnknownColumn = type("Stats.UnknownColumn", (KeyError,), {})
BadRequest = type("Stats.BadRequest", (ValueError,), {})
NotFound = type("Dataset.NotFound", (FileNotFoundError,), {})


def handler(event, context):
    path = local_path(event.get("input"))
    percentiles = event.get("percentiles", [0.25, 0.5, 0.75])
    if not all(isinstance(q, (int, float)) and 0 <= q <= 1 for q in percentiles):
        raise BadRequest("percentiles must be numbers between 0 and 1")
    bins = int(event.get("bins", 10))
    if bins < 1:
        raise BadRequest("bins must be at least 1")

    try:
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))
    except FileNotFoundError as error:
        raise NotFound(f"no dataset at {path}") from error
    names = list(records[0].keys()) if records else []
    wanted = event.get("columns") or [n for n in names if all(number(r[n]) for r in records)]

    data = {}
    for name in wanted:
        values = [number(r.get(name)) for r in records]
        if name not in names or None in values:
            raise UnknownColumn(f"{name!r} is not a numeric column of {path}")
        data[name] = values

    columns = {}
    for name, values in data.items():
        ordered = sorted(values)
        stats = {"count": len(values), "mean": statistics.fmean(values),
                 "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                 "min": ordered[0]}
        for q in percentiles:
            stats[f"{round(q * 100, 1):g}%"] = quantile(ordered, q)
        stats["max"] = ordered[-1]
        stats = {k: round(v, 6) for k, v in stats.items()}
        stats["histogram"] = histogram(ordered, bins)
        columns[name] = stats

    names = list(data)
    matrix = [[round(correlation(data[a], data[b]), 6) for b in names] for a in names]
    return {"rows": len(records), "columns": columns,
            "correlation": {"columns": names, "matrix": matrix}}


def quantile(ordered, q):
    """The q-quantile of sorted values, interpolating linearly between neighbours."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def histogram(ordered, bins):
    low, high = ordered[0], ordered[-1]
    width = (high - low) / bins or 1.0  # every value equal: one-wide bins
    counts = [0] * bins
    for value in ordered:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return {"edges": [round(low + i * width, 6) for i in range(bins + 1)], "counts": counts}


def correlation(xs, ys):
    """Pearson's r; 0 when either column is constant."""
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:
        return 0.0


def local_path(uri):
    """A file:// URI or a plain path, as a path."""
    if not isinstance(uri, str) or not uri:
        raise BadRequest("input must be a file:// URI or a path")
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise BadRequest(f"only file:// URIs can be read, not {uri}")
    return uri


def number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
