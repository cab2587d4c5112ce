#!/usr/bin/env bash
# Rebuilds models/espnetv2-ood.onnx and models/espnetv2-ood.metaclf.json: ESPNetv2 (Cityscapes,
# MIT weights) fine-tuned by entropy maximization, and a meta classifier trained for it.
#
#   BASE=espnetv2_s2.0_cityscapes_512x1024_rgb01.onnx DATA=path/to/data scripts/train-espnetv2-ood.sh
#
# DATA holds road/ (road frames: cityscapes/, kitti/, highway_id/, kochi/, udacity/) and proxies/
# (objects with masks: coco128_panoptic/, rgbd_objects_uw/); see models/README.md for what they are
# and their terms. The labelled Cityscapes frames are left out of training (they measure whether
# the known classes stay as good). A quarter of the backgrounds and proxies (by a hash of the file
# name) is kept out of fine-tuning and used only for the meta classifier's dataset.
# WORK keeps the feature cache and the intermediate files (default: a temporary folder).
# About 15 minutes on two cores (a third of it feature extraction).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the ESPNetv2 Cityscapes ONNX file}" "${DATA:?set DATA to the folder with road/ and proxies/}"
WORK=${WORK:-$(mktemp -d)}
OUT=${OUT:-models/espnetv2-ood}
mkdir -p "$WORK" "$(dirname "$OUT")"
bin=$WORK/metaood
go build -o "$bin" ./cmd/metaood

EXC=()
for f in "$DATA"/road/cityscapes/labels_trainId/*.png; do b=$(basename "$f"); EXC+=(--exclude "${b%%_gtFine*}_*"); done
SRC=(--backgrounds "$DATA/road/cityscapes/images" --backgrounds "$DATA/road/kitti/testing" --backgrounds "$DATA/road/highway_id"
  --backgrounds "$DATA/road/kochi" --backgrounds "$DATA/road/udacity" "${EXC[@]}"
  --proxies "$DATA/proxies/coco128_panoptic" --proxies "$DATA/proxies/rgbd_objects_uw")

# 1. Entropy maximization: a per-pixel temperature head on ESPNetv2's last decoder features
#    (it never changes the predicted class), informative proxies (0.2–20 % of each image).
"$bin" train ood --model "$BASE" --classes 19 "${SRC[@]}" --share informative --count "${COUNT:-160}" --seed 1 \
  --head 64 --head-mode scale --head-input /m/bu_br_l4/bu_br_l4.1/PRelu_output_0 --head-input /m/bu_dec_l4/Concat_4_output_0 \
  --epochs "${EPOCHS:-8}" --cache "$WORK/cache" --out "$OUT.onnx"

# 2. The meta classifier's dataset: composites from the held-out backgrounds and proxies, through the tuned model.
"$bin" train proxies "${SRC[@]}" --share informative --count 120 --seed 2 --part holdout --out "$WORK/calib"
"$bin" calib dataset --images "$WORK/calib/images" --gt-dir "$WORK/calib/labels" --ood-labels 1 \
  --model "$OUT.onnx" --classes 19 --out "$WORK/calib.csv"
"$bin" calib cv --data "$WORK/calib.csv" --model lr --cv images:5 --report "$WORK/cv-lr.json"
"$bin" calib cv --data "$WORK/calib.csv" --model mlp --cv images:5 --report "$WORK/cv-mlp.json"
# The decision threshold: at most one false component per frame out of fold on these composites.
"$bin" calib train --data "$WORK/calib.csv" --model mlp --out "$OUT.metaclf.json" --threshold-fp-per-frame 1 \
  --note "ESPNetv2 + entropy-maximization head (scripts/train-espnetv2-ood.sh)" \
  --extra "cv_lr=$(cat "$WORK/cv-lr.json")" --extra "cv_mlp=$(cat "$WORK/cv-mlp.json")"
echo "wrote $OUT.onnx and $OUT.metaclf.json (work files in $WORK)"
