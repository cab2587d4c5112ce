// Package record turns a stream of encoded video packets into files a rig can keep: WebM
// segments that each play as soon as they close, retention by total size and age, and event
// clips cut from an in-memory ring of the packets already encoded (pre-roll) plus the packets
// that follow (post-roll). It is pure Go: encoding lives in the adapters (render, stream/vpx).
package record
