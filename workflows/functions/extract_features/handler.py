"""extract_features: turn a clean CSV file into a table of numeric features and a target.

Event:
    {"input": "file:///tmp/run-1/clean.csv",          required, output of clean_dataset
     "target": "species",                              required, the column to predict
     "encodeCategoricals": "one_hot",                  one_hot (default) or ordinal
     "deriveAreas": true,                              optional, default true (see below)
     "destination": "file:///tmp/run-1/features.csv"}  required

Result:
    {"path": destination, "target": "species", "rows": 149,
     "columns": [feature names, in file order; the target column follows them],
     "classes": {target value: rows}, "derived": [names of derived features],
     "encoded": {categorical column: [the columns it became]},
     "droppedConstant": [features dropped because every row has the same value]}

Features, in order:
  * every numeric column but the target, as it is;
  * with deriveAreas, NAME_area = NAME_length * NAME_width for every pair of columns
    NAME_length and NAME_width (for Iris: sepal_area and petal_area);
  * every other categorical column but the target: one_hot makes one 0/1 column
    "COLUMN=value" per value; ordinal makes one column holding the value's index in
    sorted order.
A feature with the same value on every row carries no information and is dropped.

Errors: Features.UnknownTarget, Features.BadRequest, Dataset.NotFound.
"""

import csv
import os
import urllib.parse

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
UnknownTarget = type("Features.UnknownTarget", (KeyError,), {})
BadRequest = type("Features.BadRequest", (ValueError,), {})
NotFound = type("Dataset.NotFound", (FileNotFoundError,), {})


def handler(event, context):
    source = local_path(event.get("input"))
    destination = local_path(event.get("destination"))
    target = event.get("target")
    encoding = event.get("encodeCategoricals", "one_hot")
    if encoding not in ("one_hot", "ordinal"):
        raise BadRequest(f"encodeCategoricals must be one_hot or ordinal, not {encoding!r}")

    try:
        with open(source, newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))
    except FileNotFoundError as error:
        raise NotFound(f"no clean dataset at {source}") from error
    if not records:
        raise BadRequest(f"{source} has no rows")
    names = list(records[0].keys())
    if target not in names:
        raise UnknownTarget(f"no column {target!r} in {source}; columns: {', '.join(names)}")

    numeric = [n for n in names if n != target and all(is_number(r[n]) for r in records)]
    categorical = [n for n in names if n != target and n not in numeric]
    features = {n: [float(r[n]) for r in records] for n in numeric}

    derived = []
    if event.get("deriveAreas", True):
        for name in numeric:
            if name.endswith("_length") and name[:-7] + "_width" in features:
                area = name[:-7] + "_area"
                width = features[name[:-7] + "_width"]
                features[area] = [round(a * b, 6) for a, b in zip(features[name], width)]
                derived.append(area)

    encoded = {}
    for name in categorical:
        values = sorted({r[name] for r in records})
        if encoding == "one_hot":
            encoded[name] = [f"{name}={v}" for v in values]
            for v in values:
                features[f"{name}={v}"] = [1.0 if r[name] == v else 0.0 for r in records]
        else:
            encoded[name] = [name]
            features[name] = [float(values.index(r[name])) for r in records]

    constant = [n for n, column in features.items() if len(set(column)) == 1]
    for name in constant:
        del features[name]

    columns = list(features)
    os.makedirs(os.path.dirname(os.path.abspath(destination)), exist_ok=True)
    with open(destination, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns + [target])
        for i, record in enumerate(records):
            writer.writerow([f"{features[c][i]:.15g}" for c in columns] + [record[target]])

    classes = {}
    for record in records:
        classes[record[target]] = classes.get(record[target], 0) + 1
    return {"path": event["destination"], "target": target, "rows": len(records),
            "columns": columns, "classes": classes, "derived": derived, "encoded": encoded,
            "droppedConstant": constant}


def local_path(uri):
    """A file:// URI or a plain path, as a path."""
    if not isinstance(uri, str) or not uri:
        raise BadRequest("input and destination must be file:// URIs or paths")
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise BadRequest(f"only file:// URIs can be read and written, not {uri}")
    return uri


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
