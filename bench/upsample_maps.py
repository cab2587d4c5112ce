#!/usr/bin/python3
"""Write the side-by-side postproc maps: set A's real cases upsampled x4 (issue 14).

For each case, probs.npy (19, H, W) is upsampled bilinearly (half-pixel centres, as
torch's interpolate with align_corners=False) to (19, 4H, 4W) in float32 and renormalized so
that every pixel sums to 1; gt.png is upsampled by nearest neighbour. Writes
OUT/NAME/probs.npy and OUT/NAME/gt.png.
Usage: /usr/bin/python3 bench/upsample_maps.py CONFORMANCE_DIR OUT_DIR [CASE ...]
"""
import os
import sys

import numpy as np
from PIL import Image

DEFAULT_CASES = ["real_fra576", "real_ro1empty", "real_udYcurve"]


def axis_weights(n_in, n_out):
    """Source indices i0, i1 and weight of i1 for half-pixel-centred linear resampling."""
    src = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


def bilinear(p, f):
    c, h, w = p.shape
    y0, y1, wy = axis_weights(h, h * f)
    x0, x1, wx = axis_weights(w, w * f)
    rows = p[:, y0, :] * (1 - wy)[None, :, None] + p[:, y1, :] * wy[None, :, None]
    out = rows[:, :, x0] * (1 - wx)[None, None, :] + rows[:, :, x1] * wx[None, None, :]
    out /= out.sum(axis=0, keepdims=True)
    return np.ascontiguousarray(out, dtype=np.float32)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, out, cases = sys.argv[1], sys.argv[2], sys.argv[3:] or DEFAULT_CASES
    for name in cases:
        d = os.path.join(src, "cases", name)
        if not os.path.isfile(os.path.join(d, "probs.npy")):
            sys.exit(f"{d}/probs.npy not found: point the conformance directory at the shared data set's conformance/")
        p = np.load(os.path.join(d, "probs.npy"))
        up = bilinear(p.astype(np.float32), 4)
        gt = np.asarray(Image.open(os.path.join(d, "gt.png")).convert("L"))
        gt_up = np.repeat(np.repeat(gt, 4, axis=0), 4, axis=1)
        os.makedirs(os.path.join(out, name), exist_ok=True)
        np.save(os.path.join(out, name, "probs.npy"), up)
        Image.fromarray(gt_up, "L").save(os.path.join(out, name, "gt.png"))
        print(f"{name}: {p.shape} -> {up.shape}, max |sum-1| {np.abs(up.sum(0) - 1).max():.2e}")


if __name__ == "__main__":
    main()
