//go:build !matprofile

package render

func openMats() int { return 0 }
