// Package oodeval evaluates anomaly detection on labelled frames (SegmentMeIfYouCan convention:
// 0 known, 1 anomaly, 255 void), on plain slices at the class-map resolution:
//
//   - pixel level (PixelScores): exact AUROC, AP (sklearn's average_precision_score) and FPR at 95 %
//     TPR (SMIYC: the first threshold from the top where TPR ≥ 0.95), every distinct score a
//     threshold; also the reference's quantized 100-bin measures (docs/METHOD.md §8) for comparison;
//   - component level (SegmentAccumulator): SMIYC's sIoU per ground-truth instance, PPV per
//     predicted component and F1 at τ = 0.25…0.75 (docs/METHOD.md §8), for the entropy mask and for the
//     components the meta classifier keeps;
//   - instances touched by the mask and by kept components, and false components per frame
//     (Evaluator, FrameStats);
//   - known-class segmentation (KnownEvaluator, Confusion): mIoU, pixel accuracy and IoU per class
//     of the argmax against train-id labels, from the confusion matrix summed over a folder's frames.
//
// Report writes eval.json, eval.md and the ROC/PR plots; Overlay draws a frame's result. The
// package is pure Go: the model runs in cmd/metaood (`metaood eval`).
package oodeval
