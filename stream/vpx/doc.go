// Package vpx is a small cgo binding to Debian's libvpx that encodes VP8 for live streaming:
// realtime deadline, high cpu-used, one thread (two threads busy-wait on small machines), no
// lag, CBR, keyframes on demand. The I420 input planes live in C memory owned by the encoder,
// so callers convert straight into them with no extra copy and no Go pointer is kept by C.
//
// Built with CGO_ENABLED=0 the package is empty; stream then reports ErrNoEncoder.
package vpx
