"""Distance-based classifiers on standardised features."""

import math


class _Standardiser:
    """Scales each feature to mean 0 and standard deviation 1 on the training rows,
    so that no feature dominates a distance because of its unit."""

    def fit(self, X):
        n = len(X)
        self.means = [sum(col) / n for col in zip(*X)]
        self.scales = []
        for col, mean in zip(zip(*X), self.means):
            sd = math.sqrt(sum((v - mean) ** 2 for v in col) / n)
            self.scales.append(sd if sd > 0 else 1.0)
        return self

    def transform(self, X):
        return [[(v - m) / s for v, m, s in zip(row, self.means, self.scales)] for row in X]

    def to_dict(self):
        return {"means": self.means, "scales": self.scales}


def _distance(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


class KNearestNeighbors:
    """Majority vote of the k nearest training rows (Euclidean distance); a tie goes
    to the tied class whose member is nearest."""

    def __init__(self, k=5):
        if k < 1:
            raise ValueError("k must be at least 1")
        self.k = k

    def fit(self, X, y, n_classes=None):
        self.n_classes = n_classes or max(y) + 1
        self.scaler = _Standardiser().fit(X)
        self.rows = self.scaler.transform(X)
        self.labels = list(y)
        return self

    def predict(self, X):
        predictions = []
        for row in self.scaler.transform(X):
            nearest = sorted(range(len(self.rows)), key=lambda i: _distance(row, self.rows[i]))
            votes = [0] * self.n_classes
            for i in nearest[:self.k]:
                votes[self.labels[i]] += 1
            top = max(votes)
            predictions.append(next(self.labels[i] for i in nearest
                                    if votes[self.labels[i]] == top))
        return predictions

    def to_dict(self):
        return {"k": self.k, "scaler": self.scaler.to_dict(), "rows": self.rows,
                "labels": self.labels}


class NearestCentroid:
    """Each row gets the class whose mean (centroid) is nearest."""

    def fit(self, X, y, n_classes=None):
        self.n_classes = n_classes or max(y) + 1
        self.scaler = _Standardiser().fit(X)
        rows = self.scaler.transform(X)
        self.centroids = []
        for c in range(self.n_classes):
            members = [row for row, label in zip(rows, y) if label == c]
            if not members:
                raise ValueError(f"class {c} has no training rows")
            self.centroids.append([sum(col) / len(members) for col in zip(*members)])
        return self

    def predict(self, X):
        return [min(range(self.n_classes), key=lambda c: _distance(row, self.centroids[c]))
                for row in self.scaler.transform(X)]

    def to_dict(self):
        return {"scaler": self.scaler.to_dict(), "centroids": self.centroids}
