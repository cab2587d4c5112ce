//go:build matprofile

package render

import "gocv.io/x/gocv"

func openMats() int { return gocv.MatProfile.Count() }
