//go:build !race

package postproc

const raceEnabled = false
