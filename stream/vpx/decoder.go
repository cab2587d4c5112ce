package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

// mdec_decode decodes one VP8 frame and copies its I420 picture into out (w*h*3/2 bytes).
// Returns 0, -1 on a codec error, -2 when no picture came out or the size differs.
static int mdec_decode(vpx_codec_ctx_t *d, const unsigned char *data, int n, unsigned char *out, int w, int h) {
	if (vpx_codec_decode(d, data, n, NULL, 0) != VPX_CODEC_OK) return -1;
	vpx_codec_iter_t it = NULL;
	vpx_image_t *img = vpx_codec_get_frame(d, &it);
	if (!img || (int)img->d_w != w || (int)img->d_h != h) return -2;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int r = 0; r < h; r++) memcpy(out + r * w, img->planes[0] + r * img->stride[0], w);
	unsigned char *u = out + w * h, *v = u + cw * ch;
	for (int r = 0; r < ch; r++) {
		memcpy(u + r * cw, img->planes[1] + r * img->stride[1], cw);
		memcpy(v + r * cw, img->planes[2] + r * img->stride[2], cw);
	}
	return 0;
}

static int mdec_init(vpx_codec_ctx_t *d) {
	vpx_codec_dec_cfg_t cfg = {1, 0, 0};
	return vpx_codec_dec_init(d, vpx_codec_vp8_dx(), &cfg, 0) == VPX_CODEC_OK ? 0 : -1;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Decoder decodes VP8 frames back to I420. It exists to check the encoder (tests, benchmarks);
// viewers decode in the browser. Not safe for concurrent use.
type Decoder struct {
	d    *C.vpx_codec_ctx_t
	w, h int
}

// NewDecoder returns a decoder for frames of w×h.
func NewDecoder(w, h int) (*Decoder, error) {
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("%w: decoder size %dx%d", ErrConfig, w, h)
	}
	d := (*C.vpx_codec_ctx_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vpx_codec_ctx_t{}))))
	if C.mdec_init(d) != 0 {
		C.free(unsafe.Pointer(d))
		return nil, fmt.Errorf("%w: decoder init", ErrCodec)
	}
	return &Decoder{d: d, w: w, h: h}, nil
}

// Decode decodes one compressed frame into out (I420, W*H + 2*⌈W/2⌉*⌈H/2⌉ bytes).
func (d *Decoder) Decode(frame []byte, out []byte) error {
	if d.d == nil {
		return ErrClosed
	}
	cw, ch := (d.w+1)/2, (d.h+1)/2
	if len(frame) == 0 || len(out) < d.w*d.h+2*cw*ch {
		return fmt.Errorf("%w: decode: empty frame or output of %d bytes (want %d)", ErrConfig, len(out), d.w*d.h+2*cw*ch)
	}
	switch C.mdec_decode(d.d, (*C.uchar)(unsafe.Pointer(&frame[0])), C.int(len(frame)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.int(d.w), C.int(d.h)) {
	case -1:
		return fmt.Errorf("%w: decode failed", ErrCodec)
	case -2:
		return fmt.Errorf("%w: decoder produced no %dx%d picture", ErrCodec, d.w, d.h)
	}
	return nil
}

// Close frees the decoder. It is safe to call twice.
func (d *Decoder) Close() {
	if d.d == nil {
		return
	}
	C.vpx_codec_destroy(d.d)
	C.free(unsafe.Pointer(d.d))
	d.d = nil
}
