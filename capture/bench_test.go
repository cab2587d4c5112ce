package capture

import (
	"testing"

	"gocv.io/x/gocv"
)

// BenchmarkFromMat: copying a decoded 1024x512 BGR Mat into a pooled frame.
func BenchmarkFromMat(b *testing.B) {
	m := gocv.NewMatWithSize(512, 1024, gocv.MatTypeCV8UC3)
	defer m.Close()
	tmp := gocv.NewMat()
	defer tmp.Close()
	src := &base{id: "bench", counters: newCounters(nil, "bench")}
	b.SetBytes(3 * 1024 * 512)
	for b.Loop() {
		f, err := src.fromMat(m, &tmp)
		if err != nil {
			b.Fatal(err)
		}
		Recycle(f)
	}
}

// BenchmarkVideoDecode: reading an MJPG 1024x512 clip through the video source (replay).
func BenchmarkVideoDecode(b *testing.B) {
	path := writeVideo(b, b.TempDir(), "bench.avi", 30, 1024, 512, 30)
	b.ResetTimer()
	frames := 0
	for b.Loop() {
		src, err := Open(path, Options{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		st, err := src.Open()
		if err != nil {
			b.Fatal(err)
		}
		for {
			f, err := st.Next()
			if err != nil {
				break
			}
			Recycle(f)
			frames++
		}
		st.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames)/1e6, "ms/frame")
}
