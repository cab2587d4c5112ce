//go:build !matprofile

package main

// runOpenMats is 0 without -tags matprofile (no Mat accounting).
func runOpenMats() int { return 0 }
