package vpx

/*
#cgo pkg-config: vpx
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t img;
	unsigned char *buf;
} menc;

static int menc_init(menc *e, int w, int h, int fps, int kbps, int cpu, int threads, int maxq, char *err, int errlen) {
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_err_t rc = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);
	if (rc != VPX_CODEC_OK) { snprintf(err, errlen, "config_default: %s", vpx_codec_err_to_string(rc)); return -1; }
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = 1000; // pts in milliseconds since the first frame
	cfg.rc_target_bitrate = kbps;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_min_quantizer = 4;
	cfg.rc_max_quantizer = maxq;
	cfg.rc_undershoot_pct = 95;
	cfg.rc_overshoot_pct = 25;
	cfg.rc_buf_sz = 1000;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.rc_dropframe_thresh = 0;
	cfg.g_lag_in_frames = 0;      // live: never hold frames back
	cfg.g_threads = threads;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_max_dist = fps * 10;   // periodic keyframe every ~10 s; joins and PLI force one sooner
	rc = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (rc != VPX_CODEC_OK) { snprintf(err, errlen, "enc_init: %s", vpx_codec_err_to_string(rc)); return -1; }
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
	size_t ysz = (size_t)w * h, csz = (size_t)((w + 1) / 2) * ((h + 1) / 2);
	e->buf = malloc(ysz + 2 * csz);
	if (!e->buf) { vpx_codec_destroy(&e->ctx); snprintf(err, errlen, "out of memory"); return -1; }
	memset(e->buf, 0, ysz);
	memset(e->buf + ysz, 128, 2 * csz);
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, w, h, 1, e->buf);
	return 0;
}

// menc_encode encodes the current image and copies the frame's packets into out.
// Returns the byte count, -1 on a codec error, -2 when out is too small (need is set).
static int menc_encode(menc *e, long long pts, unsigned long dur, int force, unsigned char *out, int outcap, int *key, int *need, char *err, int errlen) {
	vpx_codec_err_t rc = vpx_codec_encode(&e->ctx, &e->img, pts, dur, force ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
	if (rc != VPX_CODEC_OK) {
		const char *d = vpx_codec_error_detail(&e->ctx);
		snprintf(err, errlen, "encode: %s %s", vpx_codec_err_to_string(rc), d ? d : "");
		return -1;
	}
	vpx_codec_iter_t it = NULL;
	const vpx_codec_cx_pkt_t *p;
	int n = 0, tooSmall = 0;
	*key = 0;
	while ((p = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
		if (p->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (p->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
		if (n + (int)p->data.frame.sz > outcap) { tooSmall = 1; n += p->data.frame.sz; continue; }
		memcpy(out + n, p->data.frame.buf, p->data.frame.sz);
		n += p->data.frame.sz;
	}
	if (tooSmall) { *need = n; return -2; }
	return n;
}

static void menc_close(menc *e) {
	vpx_codec_destroy(&e->ctx);
	free(e->buf);
}

*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Config holds the encoder settings. Zero fields take the defaults noted.
type Config struct {
	W, H        int // frame size in pixels (required; even sizes are best for I420)
	FPS         int // nominal frame rate; default 30
	BitrateKbps int // target bitrate; default 2000
	CPUUsed     int // libvpx speed, -16..16 (higher magnitude = faster); default -12 (realtime)
	Threads     int // encoder threads; default 1 (libvpx busy-waits with 2 on small machines)
	// MaxQuantizer caps the quantizer, 4..63; default 56 (live: keeps busy frames sharp at the cost
	// of overshooting the bitrate). 63 lets the bitrate hold on any scene (recordings).
	MaxQuantizer int
}

// Encoder is one VP8 encoder. It is not safe for concurrent use: one goroutine owns it.
type Encoder struct {
	c       *C.menc
	cfg     Config
	y, u, v []byte
	out     []byte
	errBuf  *C.char
	closed  bool
}

const errLen = 256

// New creates an encoder for frames of cfg.W×cfg.H.
func New(cfg Config) (*Encoder, error) {
	if cfg.FPS == 0 {
		cfg.FPS = 30
	}
	if cfg.BitrateKbps == 0 {
		cfg.BitrateKbps = 2000
	}
	if cfg.CPUUsed == 0 {
		// -12: on synthetic drives at 1024×512, 30% faster than -8 for 0.5 dB PSNR less.
		cfg.CPUUsed = -12
	}
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	if cfg.MaxQuantizer == 0 {
		cfg.MaxQuantizer = 56
	}
	switch {
	case cfg.W < 16 || cfg.H < 16 || cfg.W > 16384 || cfg.H > 16384:
		return nil, fmt.Errorf("%w: size %dx%d (want 16..16384 on each side)", ErrConfig, cfg.W, cfg.H)
	case cfg.FPS < 1 || cfg.FPS > 240:
		return nil, fmt.Errorf("%w: fps %d (want 1..240)", ErrConfig, cfg.FPS)
	case cfg.BitrateKbps < 50 || cfg.BitrateKbps > 100000:
		return nil, fmt.Errorf("%w: bitrate %d kbps (want 50..100000)", ErrConfig, cfg.BitrateKbps)
	case cfg.CPUUsed < -16 || cfg.CPUUsed > 16:
		return nil, fmt.Errorf("%w: cpu-used %d (want -16..16)", ErrConfig, cfg.CPUUsed)
	case cfg.Threads < 1 || cfg.Threads > 16:
		return nil, fmt.Errorf("%w: threads %d (want 1..16)", ErrConfig, cfg.Threads)
	case cfg.MaxQuantizer < 4 || cfg.MaxQuantizer > 63:
		return nil, fmt.Errorf("%w: max quantizer %d (want 4..63)", ErrConfig, cfg.MaxQuantizer)
	}
	e := &Encoder{cfg: cfg}
	e.c = (*C.menc)(C.calloc(1, C.size_t(unsafe.Sizeof(C.menc{}))))
	e.errBuf = (*C.char)(C.calloc(1, errLen))
	if C.menc_init(e.c, C.int(cfg.W), C.int(cfg.H), C.int(cfg.FPS), C.int(cfg.BitrateKbps),
		C.int(cfg.CPUUsed), C.int(cfg.Threads), C.int(cfg.MaxQuantizer), e.errBuf, errLen) != 0 {
		msg := C.GoString(e.errBuf)
		C.free(unsafe.Pointer(e.c))
		C.free(unsafe.Pointer(e.errBuf))
		return nil, fmt.Errorf("%w: %s", ErrCodec, msg)
	}
	ysz := cfg.W * cfg.H
	cw, ch := (cfg.W+1)/2, (cfg.H+1)/2
	all := unsafe.Slice((*byte)(unsafe.Pointer(e.c.buf)), ysz+2*cw*ch)
	e.y, e.u, e.v = all[:ysz:ysz], all[ysz:ysz+cw*ch:ysz+cw*ch], all[ysz+cw*ch:]
	e.out = make([]byte, 2*ysz+4096) // larger than any sane VP8 frame; grows on demand
	return e, nil
}

// Config returns the settings in use (defaults filled in).
func (e *Encoder) Config() Config { return e.cfg }

// Planes returns the encoder's I420 input planes (C memory, valid until Close): Y is W×H with
// stride W; U and V are ⌈W/2⌉×⌈H/2⌉ with stride ⌈W/2⌉. Fill them, then call Encode.
func (e *Encoder) Planes() (y, u, v []byte) { return e.y, e.u, e.v }

// Encode compresses the picture now in Planes. ptsMs is the presentation time in milliseconds
// (increasing), durMs the frame's duration; forceKey asks for a keyframe. The returned slice
// is out's storage (grown as needed), so a caller can reuse one buffer.
func (e *Encoder) Encode(ptsMs int64, durMs int, forceKey bool, out []byte) (frame []byte, key bool, err error) {
	if e.closed {
		return nil, false, ErrClosed
	}
	if durMs < 1 {
		durMs = 1
	}
	force := C.int(0)
	if forceKey {
		force = 1
	}
	var ckey, need C.int
	n := C.menc_encode(e.c, C.longlong(ptsMs), C.ulong(durMs), force,
		(*C.uchar)(unsafe.Pointer(&e.out[0])), C.int(len(e.out)), &ckey, &need, e.errBuf, errLen)
	switch {
	case n == -1:
		return nil, false, fmt.Errorf("%w: %s", ErrCodec, C.GoString(e.errBuf))
	case n == -2:
		// libvpx's packets are gone once read: grow for next time and let the caller force a
		// keyframe so its stream stays decodable.
		e.out = make([]byte, int(need)*2)
		return nil, false, fmt.Errorf("%w: output buffer too small (%d bytes needed); frame dropped", ErrCodec, int(need))
	}
	return append(out[:0], e.out[:n]...), ckey != 0, nil
}

// Close frees the encoder. It is safe to call twice.
func (e *Encoder) Close() {
	if e.closed {
		return
	}
	e.closed = true
	C.menc_close(e.c)
	C.free(unsafe.Pointer(e.c))
	C.free(unsafe.Pointer(e.errBuf))
	e.y, e.u, e.v = nil, nil, nil
}
