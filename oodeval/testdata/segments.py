#!/usr/bin/python3
"""Expected values of segments_test.go: SMIYC's default_instancer and segment_metrics
(SegmentMeIfYouCan/road-anomaly-benchmark, road_anomaly_benchmark/metrics/instance_segmentation.py,
restated here without its plotting imports) run on the test grids with numpy/scipy (Debian 12).
Run: /usr/bin/python3 oodeval/testdata/segments.py

Grid characters: '.' known, 'o' known + predicted, '#' anomaly, '@' anomaly + predicted,
'v' void, 'V' void + predicted.
"""
import numpy as np
from scipy.ndimage import label

GRIDS = {
    "two_instances_one_component": [
        "........",
        ".#@oo@#.",
        ".##..#V.",
        "o......#",
    ],
    "good_detection": [
        "..........",
        ".##.......",
        ".@@@o.....",
        ".@@@......",
        "......#...",
        "........oo",
    ],
}


def random_grid(seed, w=24, h=16):
    rng = np.random.default_rng(seed)
    lab = np.zeros((h, w), np.uint8)
    pred = np.zeros((h, w), bool)
    for _ in range(5):
        x, y, a, b = rng.integers(0, w), rng.integers(0, h), rng.integers(1, 5), rng.integers(1, 4)
        lab[y:y + b, x:x + a] = 1
    lab[rng.random((h, w)) < 0.04] = 1
    lab[h - 3:, : w // 3] = 255
    for _ in range(6):
        x, y, a, b = rng.integers(0, w), rng.integers(0, h), rng.integers(1, 6), rng.integers(1, 4)
        pred[y:y + b, x:x + a] = True
    pred[rng.random((h, w)) < 0.05] = True
    ch = {(0, False): ".", (0, True): "o", (1, False): "#", (1, True): "@", (255, False): "v", (255, True): "V"}
    return ["".join(ch[(int(lab[y, x]), bool(pred[y, x]))] for x in range(w)) for y in range(h)]


GRIDS["random"] = random_grid(7)


def parse(rows):
    lab = np.array([[{".": 0, "o": 0, "#": 1, "@": 1, "v": 255, "V": 255}[c] for c in r] for r in rows], np.uint8)
    pred = np.array([[c in "o@V" for c in r] for r in rows], np.float64)
    return lab, pred


def default_instancer(anomaly_p, label_pixel_gt, thresh_p, thresh_segsize, thresh_instsize=0):
    segmentation = np.copy(anomaly_p)
    segmentation[anomaly_p > thresh_p] = 1
    segmentation[anomaly_p <= thresh_p] = 0
    anomaly_gt = np.zeros(label_pixel_gt.shape)
    anomaly_gt[label_pixel_gt == 1] = 1
    anomaly_pred = np.zeros(label_pixel_gt.shape)
    anomaly_pred[segmentation == 1] = 1
    anomaly_pred[label_pixel_gt == 255] = 0
    structure = np.ones((3, 3), dtype=np.uint8)
    anomaly_instances, n_anomaly = label(anomaly_gt, structure)
    anomaly_seg_pred, n_seg_pred = label(anomaly_pred, structure)
    if thresh_segsize is not None:
        labeled_mask = np.copy(anomaly_seg_pred)
        for comp in range(n_seg_pred + 1):
            if len(anomaly_seg_pred[labeled_mask == comp]) < thresh_segsize:
                anomaly_seg_pred[labeled_mask == comp] = 0
    labeled_mask = np.copy(anomaly_instances)
    label_pixel_gt = label_pixel_gt.copy()
    for comp in range(n_anomaly + 1):
        if len(anomaly_instances[labeled_mask == comp]) < thresh_instsize:
            label_pixel_gt[labeled_mask == comp] = 255
    mask_roi = label_pixel_gt < 255
    return anomaly_instances[mask_roi], anomaly_seg_pred[mask_roi]


def segment_metrics(anomaly_instances, anomaly_seg_pred):
    sIoU_gt, sIoU_pred, prec_pred = [], [], []
    for i in np.unique(anomaly_instances[anomaly_instances > 0]):
        tp_loc = anomaly_seg_pred[anomaly_instances == i]
        seg_ind = np.unique(tp_loc[tp_loc != 0])
        intersection = len(tp_loc[np.isin(tp_loc, seg_ind)])
        adjustment = len(
            anomaly_seg_pred[np.logical_and(~np.isin(anomaly_instances, [0, i]), np.isin(anomaly_seg_pred, seg_ind))])
        adjusted_union = np.sum(np.isin(anomaly_seg_pred, seg_ind)) + np.sum(
            anomaly_instances == i) - intersection - adjustment
        sIoU_gt.append(intersection / adjusted_union)
    for i in np.unique(anomaly_seg_pred[anomaly_seg_pred > 0]):
        tp_loc = anomaly_instances[anomaly_seg_pred == i]
        seg_ind = np.unique(tp_loc[tp_loc != 0])
        intersection = len(tp_loc[np.isin(tp_loc, seg_ind)])
        adjustment = len(
            anomaly_instances[np.logical_and(~np.isin(anomaly_seg_pred, [0, i]), np.isin(anomaly_instances, seg_ind))])
        adjusted_union = np.sum(np.isin(anomaly_instances, seg_ind)) + np.sum(
            anomaly_seg_pred == i) - intersection - adjustment
        sIoU_pred.append(intersection / adjusted_union)
        prec_pred.append(intersection / np.sum(anomaly_seg_pred == i))
    return sIoU_gt, sIoU_pred, prec_pred


def f1_mean(siou, prec):
    f1s = []
    for t in np.linspace(0.25, 0.75, 11, endpoint=True):
        tp = np.count_nonzero(np.array(siou) >= t)
        fn = np.count_nonzero(np.array(siou) < t)
        fp = np.count_nonzero(np.array(prec) < t)
        f1s.append((2 * tp) / (2 * tp + fn + fp))
    return f1s


for name, rows in GRIDS.items():
    if name == "random":
        print("random grid:")
        for r in rows:
            print(f'\t\t"{r}",')
    lab, pred = parse(rows)
    for seg, inst in [(0, 0), (3, 2)]:
        g, p = default_instancer(pred, lab, 0.5, seg, inst)
        s, sp, pp = segment_metrics(g, p)
        print(f"{name} segsize {seg} instsize {inst}: siou_gt {[float(v) for v in s]} siou_pred {[float(v) for v in sp]} "
              f"prec {[float(v) for v in pp]} f1 {[float(v) for v in f1_mean(s, pp)]}")
