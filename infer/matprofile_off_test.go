//go:build !matprofile

package infer

// openMats is 0 without -tags matprofile (gocv only counts Mats with the tag).
func openMats() int { return 0 }
