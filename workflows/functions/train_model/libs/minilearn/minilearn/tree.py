"""CART decision trees (Gini impurity, binary splits on one feature)."""

import math
import random


class DecisionTree:
    """A classification tree grown greedily to minimise Gini impurity.

    max_depth         None for no limit
    min_samples_leaf  the fewest training rows a leaf may hold
    max_features      features tried at each split: None for all, an int, or
                      "sqrt" (what a random forest uses)
    """

    def __init__(self, max_depth=None, min_samples_leaf=1, max_features=None, seed=0):
        if max_depth is not None and int(max_depth) < 1:
            raise ValueError("maxDepth must be at least 1")
        if min_samples_leaf < 1:
            raise ValueError("minSamplesLeaf must be at least 1")
        self.max_depth = None if max_depth is None else int(max_depth)
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.rng = random.Random(seed)
        self.root = None
        self.n_classes = 0
        self.importance = []  # total impurity decrease per feature, weighted by rows

    def fit(self, X, y, n_classes=None):
        self.n_classes = n_classes or max(y) + 1
        n_features = len(X[0])
        self.importance = [0.0] * n_features
        self._tried = _features_per_split(self.max_features, n_features)
        self.root = self._grow(X, y, list(range(len(y))), 0)
        return self

    @property
    def feature_importances(self):
        """Each feature's share of the tree's total impurity decrease."""
        total = sum(self.importance)
        return [value / total if total else 0.0 for value in self.importance]

    def predict_proba_row(self, row):
        """The class distribution of the leaf that `row` falls in."""
        node = self.root
        while "leaf" not in node:
            node = node["left"] if row[node["feature"]] <= node["threshold"] else node["right"]
        return node["leaf"]

    def predict(self, X):
        return [_argmax(self.predict_proba_row(row)) for row in X]

    def to_dict(self):
        return {"nClasses": self.n_classes, "root": self.root}

    def _grow(self, X, y, rows, depth):
        counts = [0] * self.n_classes
        for r in rows:
            counts[y[r]] += 1
        leaf = {"leaf": [c / len(rows) for c in counts]}
        if (max(counts) == len(rows) or depth == self.max_depth
                or len(rows) < 2 * self.min_samples_leaf):
            return leaf
        split = self._best_split(X, y, rows, counts)
        if split is None:
            return leaf
        feature, threshold, decrease = split
        self.importance[feature] += decrease
        left = [r for r in rows if X[r][feature] <= threshold]
        right = [r for r in rows if X[r][feature] > threshold]
        return {"feature": feature, "threshold": threshold,
                "left": self._grow(X, y, left, depth + 1),
                "right": self._grow(X, y, right, depth + 1)}

    def _best_split(self, X, y, rows, counts):
        """(feature, threshold, impurity decrease) of the best split, or None."""
        n = len(rows)
        features = range(len(X[0]))
        if self._tried < len(X[0]):
            features = self.rng.sample(list(features), self._tried)
        best_score, best = n * _gini(counts, n), None
        for f in features:
            ordered = sorted(rows, key=lambda r: X[r][f])
            left, right = [0] * self.n_classes, list(counts)
            for i in range(n - 1):
                label = y[ordered[i]]
                left[label] += 1
                right[label] -= 1
                here, after = X[ordered[i]][f], X[ordered[i + 1]][f]
                n_left = i + 1
                if here == after or min(n_left, n - n_left) < self.min_samples_leaf:
                    continue
                score = n_left * _gini(left, n_left) + (n - n_left) * _gini(right, n - n_left)
                if score < best_score - 1e-12:
                    best_score, best = score, (f, (here + after) / 2)
        if best is None:
            return None
        return best[0], best[1], n * _gini(counts, n) - best_score


def _gini(counts, n):
    return 1.0 - sum((c / n) ** 2 for c in counts)


def _features_per_split(max_features, n_features):
    if max_features is None or max_features == "all":
        return n_features
    if max_features == "sqrt":
        return max(1, int(math.sqrt(n_features)))
    count = int(max_features)
    if not 1 <= count <= n_features:
        raise ValueError(f"maxFeatures must be between 1 and {n_features}")
    return count


def _argmax(values):
    return max(range(len(values)), key=values.__getitem__)
