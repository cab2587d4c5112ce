#!/usr/bin/python3
"""Times the reference's post-processing on the side-by-side maps (issue 14).

The reference is meta-ood's src/metaseg/metrics.pyx (Cython), compiled by sidebyside.sh from a
checkout at bench time. What is timed per map, as meta_classification.py's compute_metrics_pred_i
does it: the entropy mask (scipy.stats.entropy / ln C, >= t) and compute_metrics_components with
the GT and OoD label 254 (components, 75 metrics, IoU). Loading the files is not timed.
Usage: /usr/bin/python3 bench/ref_postproc.py BUILD_DIR MAPS_DIR [--repeat 3] [--threshold 0.7] [CASE ...]
Prints one line per case: NAME total S mask S metrics S components N runs S... (best of --repeat by total).
"""
import argparse
import os
import sys
import time

import numpy as np
from PIL import Image
from scipy.stats import entropy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir", help="directory holding the compiled metrics module")
    ap.add_argument("maps_dir", help="output of upsample_maps.py")
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.7)
    a = ap.parse_intermixed_args()
    sys.path.insert(0, a.build_dir)
    from metrics import compute_metrics_components  # noqa: E402 (built at bench time)

    cases = a.cases or sorted(os.listdir(a.maps_dir))
    for name in cases:
        probs = np.load(os.path.join(a.maps_dir, name, "probs.npy"))
        gt = np.asarray(Image.open(os.path.join(a.maps_dir, name, "gt.png")).convert("L"))
        runs = []  # (total, mask, metrics) seconds
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            ent = entropy(probs) / np.log(probs.shape[0])  # meta_classification.entropy_segments_mask
            mask = (ent >= a.threshold).astype("uint8")
            t1 = time.perf_counter()
            metrics, _ = compute_metrics_components(probs=probs, gt_train=gt, ood_mask=mask, ood_index=[254])
            t2 = time.perf_counter()
            runs.append((t2 - t0, t1 - t0, t2 - t1))
        best = min(runs)
        print(f"{name} total {best[0]:.4f} mask {best[1]:.4f} metrics {best[2]:.4f} components {len(metrics['S'])}",
              "runs " + " ".join(f"{r[0]:.4f}" for r in runs), flush=True)


if __name__ == "__main__":
    main()
