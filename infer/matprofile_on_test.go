//go:build matprofile

package infer

import "gocv.io/x/gocv"

// openMats counts Mats not yet closed (needs -tags matprofile).
func openMats() int { return gocv.MatProfile.Count() }
