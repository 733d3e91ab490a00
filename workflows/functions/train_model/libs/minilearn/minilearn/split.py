"""Stratified train/test split."""

import random


def stratified_split(labels, test_fraction, seed=0):
    """Row indices (train, test), each class split in the same proportion.

    Each class gives round(test_fraction * its size) of its rows, chosen at random
    with `seed`, to the test set, but at least one when it has two rows or more
    and never all of them. Both lists are sorted.
    """
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    rng = random.Random(seed)
    by_class = {}
    for row, label in enumerate(labels):
        by_class.setdefault(label, []).append(row)
    train, test = [], []
    for label in sorted(by_class):
        rows = by_class[label]
        rng.shuffle(rows)
        n_test = min(max(round(test_fraction * len(rows)), 1 if len(rows) > 1 else 0),
                     len(rows) - 1)
        test.extend(rows[:n_test])
        train.extend(rows[n_test:])
    return sorted(train), sorted(test)
