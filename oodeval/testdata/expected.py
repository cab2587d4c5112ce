#!/usr/bin/python3
"""Expected values of the oodeval table tests (pixel_test.go), from Debian's python3-sklearn 1.2.1 /
numpy 1.24.2. Run: /usr/bin/python3 oodeval/testdata/expected.py

Pixel cases: AUROC = roc_auc_score, AP = average_precision_score, FPR95 and best F1 as SMIYC
computes them (road_anomaly_benchmark/metrics/pixel_classification_curves.py: the curve from the
highest threshold down, FPR at searchsorted(tpr, 0.95), nanargmax of F1), on the float32 scores.

Reference cases: MO's src/calc.py and evaluation.py (robin-chan/meta-ood), restated here, on 100-bin
histograms of known and anomaly pixels.
"""
from collections import Counter

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

PIXEL = {
    "basic": ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
    "ties": ([0.5, 0.5, 0.5, 0.2, 0.2, 0.9, 0.1, 0.5], [1, 0, 1, 0, 1, 1, 0, 0]),
    "all_tied": ([0.3] * 6, [1, 0, 0, 1, 0, 0]),
    "signed_zero_negative": ([-1, -0.0, 0.0, 2.5, -0.5, 0.0], [0, 1, 0, 1, 1, 0]),
    "grid": ([0.25, 0.5, 0.75, 0.25, 1, 0, 0.5, 0.5, 0.75, 0.25, 0.75, 0, 1, 0.5, 0.25, 0.75, 0.5, 0, 0.25, 1,
              0.5, 0.75, 0.25, 0.5, 0, 0.75, 1, 0.5, 0.25, 0.5],
             [0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1,
              1, 1, 0, 0, 0, 0, 1, 1, 0, 0]),
}


def smiyc(scores, y):
    fpr, tpr, thr = roc_curve(y, scores, drop_intermediate=False)
    i = np.searchsorted(tpr, 0.95)
    tps, fps = tpr * np.sum(y), fpr * (len(y) - np.sum(y))
    fns = np.sum(y) - tps
    with np.errstate(invalid="ignore"):
        f1 = 2 * tps / (2 * tps + fps + fns)
    j = np.nanargmax(f1)
    return fpr[i], thr[i], f1[j], thr[j]


for name, (s, y) in PIXEL.items():
    s = np.asarray(s, dtype=np.float32).astype(np.float64)
    y = np.asarray(y)
    fpr95, thr95, f1, thrf1 = smiyc(s, y)
    print(f'{name}: auroc {roc_auc_score(y, s)!r} ap {average_precision_score(y, s)!r} '
          f'fpr95 {fpr95!r} at {thr95!r} bestf1 {f1!r} at {thrf1!r}')


def counts_array_to_data_list(counts_array, max_size=None):
    if max_size is None:
        max_size = np.sum(counts_array)
    counts_array = (counts_array / np.sum(counts_array) * max_size).astype("uint32")
    counts_dict = {}
    for i in range(1, len(counts_array) + 1):
        counts_dict[i] = counts_array[i - 1]
    return list(Counter(counts_dict).elements())


def reference(cin, cout):
    x1 = np.array(counts_array_to_data_list(np.array(cin), 1e+5)) / 100
    x2 = np.array(counts_array_to_data_list(np.array(cout), 1e+5)) / 100
    y = np.concatenate((np.zeros(len(x1)), np.ones(len(x2)))).astype("uint8")
    fpr, tpr, _ = roc_curve(y, np.concatenate((x1, x2)))
    auroc, fpr95 = auc(fpr, tpr), fpr[(np.abs(tpr - 0.95)).argmin()]
    ratio_in = np.sum(cin) / (np.sum(cin) + np.sum(cout))
    x1 = np.array(counts_array_to_data_list(np.array(cin), 1e+7 * ratio_in)) / 100
    x2 = np.array(counts_array_to_data_list(np.array(cout), 1e+7 * (1 - ratio_in))) / 100
    y = np.concatenate((np.zeros(len(x1)), np.ones(len(x2))))
    return auroc, average_precision_score(y, np.concatenate((x1, x2))), fpr95


# Histograms: known pixels fall with the score, anomaly pixels rise, with empty and tiny bins.
cin = [int(1e6 * np.exp(-b / 12)) if b % 17 else 0 for b in range(100)]
cout = [int(3e3 * (b / 100) ** 2) + (7 if b % 5 == 0 else 0) for b in range(100)]
print("ref smooth:", *map(repr, reference(cin, cout)))
cin2 = [0] * 100
cout2 = [0] * 100
cin2[3], cin2[40], cin2[99] = 900, 80, 20
cout2[40], cout2[70], cout2[99] = 5, 10, 30
print("ref sparse:", *map(repr, reference(cin2, cout2)))
