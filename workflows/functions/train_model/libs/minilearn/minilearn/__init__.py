"""minilearn: small classifiers in pure Python.

Every classifier has the same shape:
    fit(X, y)        X: list of rows (lists of floats), y: class indices 0..k-1
    predict(X)       the class index of each row
    to_dict()        a JSON-serialisable description of the fitted model

make_classifier(name, params, seed) builds one by name; ALGORITHMS lists the names.
Everything is deterministic for a given seed.
"""

from .forest import RandomForest
from .metrics import classification_report
from .neighbors import KNearestNeighbors, NearestCentroid
from .split import stratified_split
from .tree import DecisionTree

__all__ = ["ALGORITHMS", "DecisionTree", "KNearestNeighbors", "NearestCentroid",
           "RandomForest", "classification_report", "make_classifier", "stratified_split"]


def _random_forest(params, seed):
    return RandomForest(trees=int(params.get("trees", 100)),
                        max_depth=params.get("maxDepth"),
                        min_samples_leaf=int(params.get("minSamplesLeaf", 1)),
                        max_features=params.get("maxFeatures", "sqrt"), seed=seed)


def _decision_tree(params, seed):
    return DecisionTree(max_depth=params.get("maxDepth"),
                        min_samples_leaf=int(params.get("minSamplesLeaf", 1)), seed=seed)


def _knn(params, seed):
    return KNearestNeighbors(k=int(params.get("k", 5)))


def _nearest_centroid(params, seed):
    return NearestCentroid()


ALGORITHMS = {
    "random_forest": _random_forest,
    "decision_tree": _decision_tree,
    "knn": _knn,
    "nearest_centroid": _nearest_centroid,
}


def make_classifier(name, params=None, seed=0):
    """The classifier called `name` (a key of ALGORITHMS), configured by `params`.

    Raises KeyError for an unknown name and ValueError for a bad parameter.
    """
    if name not in ALGORITHMS:
        raise KeyError(name)
    return ALGORITHMS[name](params or {}, seed)
