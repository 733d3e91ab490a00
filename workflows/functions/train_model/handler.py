"""train_model: fit a classifier on a feature table and measure it on held-out rows.

Event:
    {"features": "file:///tmp/run-1/features.csv",   required, output of extract_features
     "target": "species",                             required, the column to predict
     "algorithm": "random_forest",                    random_forest, decision_tree, knn,
                                                      or nearest_centroid
     "hyperparameters": {"trees": 200, "maxDepth": 8},   see below
     "seed": 42,                                      optional, default 0
     "testFraction": 0.2,                             optional, share of each class held out
     "modelUri": "file:///tmp/run-1/model.json"}      required, where the fitted model goes

Hyperparameters: random_forest: trees (100), maxDepth (none), minSamplesLeaf (1),
maxFeatures ("sqrt", "all" or a count); decision_tree: maxDepth, minSamplesLeaf;
knn: k (5); nearest_centroid: none. knn and nearest_centroid standardise features.

Result:
    {"modelUri": ..., "algorithm": ..., "features": [names], "classes": [names],
     "metrics": {"accuracy": on the test rows, "f1": macro-averaged F1 on the test rows,
                 "trainAccuracy": ..., "oobAccuracy": random_forest's out-of-bag accuracy,
                 "perClass": {class: {precision, recall, f1, support}},
                 "confusionMatrix": {"labels": [...], "matrix": [[...]]},
                 "trainRows": n, "testRows": n, "trainSeconds": 0.8},
     "featureImportance": {feature: share} (random_forest and decision_tree only)}

The model file is JSON: the algorithm, features, classes and the fitted parameters
(the trees, centroids or training rows).

A switch for demonstrating failure and redrive: when the environment variable
EXAMPLE_TRAINING_CLUSTER_FLAG names a file that does not exist, the call fails with
Training.ClusterUnavailable before doing anything. Unset, it never fails that way.

Errors: Training.ClusterUnavailable, Training.UnknownAlgorithm, Training.BadRequest
(bad hyperparameter, unknown target, too few rows), Dataset.NotFound.
"""

import csv
import json
import os
import time
import urllib.parse

import minilearn

# The engine names a raised exception's ASL error after its class, so these
# classes carry the dotted names used across the example workflows.
ClusterUnavailable = type("Training.ClusterUnavailable", (Exception,), {})
UnknownAlgorithm = type("Training.UnknownAlgorithm", (ValueError,), {})
BadRequest = type("Training.BadRequest", (ValueError,), {})
NotFound = type("Dataset.NotFound", (FileNotFoundError,), {})


def handler(event, context):
    flag = os.environ.get("EXAMPLE_TRAINING_CLUSTER_FLAG")
    if flag and not os.path.exists(flag):
        raise ClusterUnavailable(f"training cluster unavailable (create {flag} to bring it back)")

    algorithm = event.get("algorithm")
    if algorithm not in minilearn.ALGORITHMS:
        raise UnknownAlgorithm(f"unknown algorithm {algorithm!r}; "
                               f"known: {', '.join(minilearn.ALGORITHMS)}")
    features, X, labels = read_table(local_path(event.get("features")), event.get("target"))
    classes = sorted(set(labels))
    y = [classes.index(label) for label in labels]
    seed = int(event.get("seed", 0))

    try:
        train, test = minilearn.stratified_split(y, float(event.get("testFraction", 0.2)), seed)
        if not test:
            raise ValueError("too few rows to hold any out for testing")
        model = minilearn.make_classifier(algorithm, event.get("hyperparameters") or {}, seed)
        started = time.monotonic()
        model.fit([X[i] for i in train], [y[i] for i in train], len(classes))
        seconds = time.monotonic() - started
    except ValueError as error:
        raise BadRequest(str(error)) from error

    predicted = model.predict([X[i] for i in test])
    metrics = minilearn.classification_report([y[i] for i in test], predicted, classes)
    train_predicted = model.predict([X[i] for i in train])
    metrics["trainAccuracy"] = round(
        sum(p == y[i] for p, i in zip(train_predicted, train)) / len(train), 4)
    if getattr(model, "oob_accuracy", None) is not None:
        metrics["oobAccuracy"] = round(model.oob_accuracy, 4)
    metrics.update(trainRows=len(train), testRows=len(test), trainSeconds=round(seconds, 3))

    result = {"modelUri": event.get("modelUri"), "algorithm": algorithm,
              "features": features, "classes": classes, "metrics": metrics}
    importance = getattr(model, "feature_importances", None)
    if importance:
        result["featureImportance"] = {f: round(v, 4) for f, v in sorted(
            zip(features, importance), key=lambda pair: -pair[1])}

    write_model(local_path(event.get("modelUri")), {
        "algorithm": algorithm, "hyperparameters": event.get("hyperparameters") or {},
        "seed": seed, "target": event.get("target"), "features": features,
        "classes": classes, "model": model.to_dict()})
    return result


def read_table(path, target):
    """The feature names, the feature rows and the target labels of a CSV file."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            rows = [row for row in reader if row]
    except FileNotFoundError as error:
        raise NotFound(f"no feature table at {path}") from error
    if target not in header:
        raise BadRequest(f"no target column {target!r} in {path}")
    t = header.index(target)
    features = [name for i, name in enumerate(header) if i != t]
    try:
        X = [[float(v) for i, v in enumerate(row) if i != t] for row in rows]
    except ValueError as error:
        raise BadRequest(f"{path}: every feature must be a number ({error})") from error
    if len(X) < 4:
        raise BadRequest(f"{path}: {len(X)} rows are too few to train and test on")
    return features, X, [row[t] for row in rows]


def write_model(path, model):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(model, f, separators=(",", ":"))


def local_path(uri):
    """A file:// URI or a plain path, as a path."""
    if not isinstance(uri, str) or not uri:
        raise BadRequest("features and modelUri must be file:// URIs or paths")
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise BadRequest(f"only file:// URIs can be read and written, not {uri}")
    return uri
