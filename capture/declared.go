package capture

import "github.com/metaood/metaood/frame"

// DeclaredFrames is how many frames src says it will deliver: a synthetic drive's length, a video
// file's frame count as its container declares it; 0 when unknown or endless. A progress view's
// total, not a promise (a truncated file delivers fewer).
func DeclaredFrames(src frame.Source) int {
	switch s := src.(type) {
	case *synthSource:
		return s.frames
	case *videoSource:
		return s.frameCount
	case *imageSource:
		return len(s.files)
	}
	return 0
}
