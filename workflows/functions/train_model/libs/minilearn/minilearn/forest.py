"""Random forests: bagged decision trees with random feature subsets."""

import random

from .tree import DecisionTree, _argmax


class RandomForest:
    """`trees` CART trees, each grown on a bootstrap sample of the training rows and
    trying `max_features` random features at each split; the forest predicts the
    class with the highest mean leaf probability.

    After fit: oob_accuracy, the accuracy on each training row of the trees that
    did not see it (None when every row was in every sample), and
    feature_importances, the mean share of impurity decrease per feature.
    """

    def __init__(self, trees=100, max_depth=None, min_samples_leaf=1, max_features="sqrt",
                 seed=0):
        if trees < 1:
            raise ValueError("trees must be at least 1")
        self.n_trees = trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.seed = seed
        self.trees = []
        self.n_classes = 0
        self.oob_accuracy = None
        self.feature_importances = []

    def fit(self, X, y, n_classes=None):
        self.n_classes = n_classes or max(y) + 1
        rng = random.Random(self.seed)
        n = len(y)
        oob_votes = [[0.0] * self.n_classes for _ in range(n)]
        importances = [0.0] * len(X[0])
        self.trees = []
        for _ in range(self.n_trees):
            sample = [rng.randrange(n) for _ in range(n)]
            tree = DecisionTree(self.max_depth, self.min_samples_leaf, self.max_features,
                                seed=rng.randrange(2**32))
            tree.fit([X[r] for r in sample], [y[r] for r in sample], self.n_classes)
            self.trees.append(tree)
            for f, share in enumerate(tree.feature_importances):
                importances[f] += share
            for r in set(range(n)) - set(sample):
                for c, p in enumerate(tree.predict_proba_row(X[r])):
                    oob_votes[r][c] += p
        self.feature_importances = [value / self.n_trees for value in importances]
        voted = [r for r in range(n) if any(oob_votes[r])]
        if voted:
            right = sum(1 for r in voted if _argmax(oob_votes[r]) == y[r])
            self.oob_accuracy = right / len(voted)
        return self

    def predict(self, X):
        predictions = []
        for row in X:
            votes = [0.0] * self.n_classes
            for tree in self.trees:
                for c, p in enumerate(tree.predict_proba_row(row)):
                    votes[c] += p
            predictions.append(_argmax(votes))
        return predictions

    def to_dict(self):
        return {"nClasses": self.n_classes, "trees": [t.root for t in self.trees]}
