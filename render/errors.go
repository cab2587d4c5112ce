package render

import "errors"

// ErrScene reports a scene that cannot be drawn (buffer sizes that do not match).
var ErrScene = errors.New("bad scene")

// ErrVideo reports a video file that cannot be opened or written.
var ErrVideo = errors.New("video output failed")
