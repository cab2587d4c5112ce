package fleet

import (
	"strconv"
	"testing"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/natstest"
)

// BenchmarkPublishEvents: events through a Publisher (asynchronous, with Nats-Msg-Id) into the
// events stream of a real nats-server on loopback, file storage, until every one is stored.
// The event body is a typical anomalies line (about 420 bytes). Reports events/s.
func BenchmarkPublishEvents(b *testing.B) {
	srv := natstest.Start(b)
	nc, err := Connect(srv.URL, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := NewJetStream(nc)
	if err := EnsureEvents(b.Context(), js, DefaultSetup()); err != nil {
		b.Fatal(err)
	}
	line := []byte(`{"type":"anomalies","source":"drive_0042","frame":123456,"capture_ts":"2026-12-03T10:18:00.000000000Z","emit_ts":"2026-12-03T10:18:00.041000000Z","anomalies":[{"id":1,"bbox":[412,233,57,41],"centroid":[440.5,252.1],"area":1840,"p_fp":0.12,"in_corridor":true},{"id":2,"bbox":[12,300,30,22],"centroid":[26.0,310.4],"area":512,"p_fp":0.31,"in_corridor":false}],"rejected":3}`)
	p, err := NewPublisher(js, PublisherOptions{Key: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36), CloseWait: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(line)))
	start := time.Now()
	for i := range b.N {
		p.Event(&event.Anomalies{Header: event.Header{Type: event.TypeAnomalies, Source: "drive_0042", Frame: uint64(i)}}, line)
	}
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if c := p.Counts(); c.Published != uint64(b.N) {
		b.Fatalf("published %d of %d", c.Published, b.N)
	}
}
