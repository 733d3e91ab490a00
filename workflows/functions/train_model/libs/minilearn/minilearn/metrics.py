"""Classification metrics."""


def classification_report(actual, predicted, labels):
    """Accuracy, macro-averaged F1, per-class precision/recall/F1/support and the
    confusion matrix (rows: actual class, columns: predicted class, in the order
    of `labels`) of predicted against actual class indices."""
    k = len(labels)
    matrix = [[0] * k for _ in range(k)]
    for a, p in zip(actual, predicted):
        matrix[a][p] += 1
    per_class = {}
    for c, label in enumerate(labels):
        true_positive = matrix[c][c]
        predicted_c = sum(matrix[r][c] for r in range(k))
        support = sum(matrix[c])
        precision = true_positive / predicted_c if predicted_c else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": round(precision, 4), "recall": round(recall, 4),
                            "f1": round(f1, 4), "support": support}
    correct = sum(matrix[c][c] for c in range(k))
    return {
        "accuracy": round(correct / len(actual), 4) if actual else 0.0,
        "f1": round(sum(m["f1"] for m in per_class.values()) / k, 4) if k else 0.0,
        "perClass": per_class,
        "confusionMatrix": {"labels": list(labels), "matrix": matrix},
    }
