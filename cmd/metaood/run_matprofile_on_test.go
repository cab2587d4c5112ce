//go:build matprofile

package main

import "gocv.io/x/gocv"

// runOpenMats counts the gocv Mats alive (go test -tags matprofile).
func runOpenMats() int { return gocv.MatProfile.Count() }
