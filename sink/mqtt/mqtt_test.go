package mqtt

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"go.uber.org/goleak"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/mqtttest"
	"github.com/metaood/metaood/pipeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// drive makes the events of a synthetic drive the way the pipeline does: ids, tracks, the
// emergency tracker (raise on 1 of 1 frames, clear after 1 empty frame), then hands each to the
// sink with its JSON line.
type drive struct {
	t       *testing.T
	sink    pipeline.Sink
	source  string
	ids     *event.IDs
	tracks  *event.Tracks
	tracker *event.Tracker
	events  []event.Event
	slowest time.Duration // the longest Event call
}

func newDrive(t *testing.T, sink pipeline.Sink, source string) *drive {
	tr, err := event.NewTracker(event.TrackerConfig{Corridor: event.DefaultCorridor(), MinArea: 1, K: 1, N: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := &drive{t: t, sink: sink, source: source, ids: event.NewIDs([]string{source}), tracks: event.NewTracks(), tracker: tr}
	tr.SetIDs(d.ids)
	return d
}

func (d *drive) emit(e event.Event) {
	d.t.Helper()
	d.ids.Stamp(e.Head())
	line, err := event.Marshal(e)
	if err != nil {
		d.t.Fatal(err)
	}
	t0 := time.Now()
	if err := d.sink.Event(e, line); err != nil {
		d.t.Fatalf("Event: %v", err)
	}
	d.slowest = max(d.slowest, time.Since(t0))
	d.events = append(d.events, e)
}

func (d *drive) sourceState(frame int, state string) {
	now := time.Now()
	d.emit(&event.SourceState{Header: event.Header{Type: event.TypeSource, Source: d.source, Frame: uint64(frame), CaptureTS: event.At(now), EmitTS: event.At(now)}, State: state})
}

// frame emits the events of one 1000×500 frame, with a qualifying anomaly when hit, and returns
// the emergency or clear it raised (nil if none).
func (d *drive) frame(f int, hit bool) event.Event {
	now := time.Now()
	hdr := event.Header{Source: d.source, Frame: uint64(f), CaptureTS: event.At(now), EmitTS: event.At(now)}
	var anoms []event.Anomaly
	if hit {
		anoms = []event.Anomaly{{ID: 1, BBox: [4]int{480, 400, 40, 25}, Centroid: [2]float64{500, 412}, Area: 1000}}
		d.tracks.Assign(d.source, anoms)
		a := hdr
		a.Type = event.TypeAnomalies
		d.emit(&event.Anomalies{Header: a, Anomalies: anoms})
	} else {
		d.tracks.Assign(d.source, nil)
	}
	e := d.tracker.Update(hdr, anoms, d.tracker.Mark(anoms, 1000, 500))
	if e != nil {
		d.emit(e)
	}
	if f%10 == 0 {
		d.emit(&event.Stats{Header: event.Header{Type: event.TypeStats, Source: "all", Frame: uint64(f), CaptureTS: event.At(now), EmitTS: event.At(now)},
			Stages: map[string]event.StageStats{}, Provider: "cpu"})
	}
	return e
}

// sinkCount reads metaood_sink_events_total{sink="mqtt",result=result} from the run's registry.
func sinkCount(t *testing.T, m *pipeline.Metrics, result string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "metaood_sink_events_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["sink"] == "mqtt" && labels["result"] == result {
				return metric.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("metaood_sink_events_total{sink=mqtt,result=%s} not exported", result)
	return 0
}

func header(t *testing.T, payload string) event.Clear {
	t.Helper()
	var c event.Clear // a Clear holds every header field and the clear's own
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	return c
}

// TestMQTTEmergencyClearAndStates: against a real mosquitto, an emergency and its clear arrive
// with the same emergency id on <prefix>/<source>/…; a late subscriber gets the retained state
// (the emergency's JSON while it lasts, "none" after its clear, "online"); Close leaves every
// source "offline". The source id is sanitized for the topic.
func TestMQTTEmergencyClearAndStates(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "metaood/#", "watch")
	m := pipeline.NewMetrics()
	s, err := New(Config{Broker: b.URL(), ClientID: "test", Counters: m.SinkCounters("mqtt")})
	if err != nil {
		t.Fatal(err)
	}
	d := newDrive(t, s, "cam/front+1")
	const topic = "metaood/cam_front_1/"
	d.sourceState(0, event.StateOpened)
	var emergency, clear event.Event
	for f := range 5 {
		if e := d.frame(f, f >= 2); e != nil {
			emergency = e
		}
	}
	if emergency == nil || emergency.Head().Type != event.TypeEmergency {
		t.Fatalf("the drive raised %v, want an emergency", emergency)
	}
	got := sub.WaitFor(t, topic+"emergency", func(p string) bool { return strings.Contains(p, `"type":"emergency"`) })
	if h := header(t, got.Payload); h.ID != emergency.Head().ID {
		t.Errorf("emergency on MQTT has id %q, want %q", h.ID, emergency.Head().ID)
	}
	if p := mqtttest.RetainedNow(t, b.URL(), topic+"emergency"); header(t, p).ID != emergency.Head().ID {
		t.Errorf("a late subscriber got the emergency state %q, want the active emergency", mqtttest.Trunc(p))
	}
	for f := 5; f < 8; f++ {
		if e := d.frame(f, false); e != nil {
			clear = e
		}
	}
	if clear == nil || clear.Head().Type != event.TypeClear {
		t.Fatalf("the drive raised %v, want a clear", clear)
	}
	got = sub.WaitFor(t, topic+"clear", func(string) bool { return true })
	if c := header(t, got.Payload); c.EmergencyID != emergency.Head().ID || c.ID != clear.Head().ID || c.TrackID != 1 {
		t.Errorf("clear on MQTT names emergency %q track %d (id %q), want %q track 1 (id %q)", c.EmergencyID, c.TrackID, c.ID, emergency.Head().ID, clear.Head().ID)
	}
	sub.WaitFor(t, topic+"emergency", func(p string) bool { return p == None })
	if p := mqtttest.RetainedNow(t, b.URL(), topic+"emergency"); p != None {
		t.Errorf("after the clear a late subscriber got the emergency state %q, want %q", mqtttest.Trunc(p), None)
	}
	if p := mqtttest.RetainedNow(t, b.URL(), topic+"available"); p != Online {
		t.Errorf("availability %q while running, want %q", p, Online)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if p := mqtttest.RetainedNow(t, b.URL(), "metaood/all/emergency"); p != "" {
		t.Errorf("the stats pseudo-source has an emergency state %q", p)
	}
	for _, src := range []string{"cam_front_1", "all"} {
		if p := mqtttest.RetainedNow(t, b.URL(), "metaood/"+src+"/available"); p != Offline {
			t.Errorf("%s availability after Close: %q, want %q", src, p, Offline)
		}
	}
	for _, msg := range sub.All() {
		if strings.HasSuffix(msg.Topic, "/anomalies") {
			t.Errorf("anomalies published on %s; they are not in the default types", msg.Topic)
			break
		}
	}
	sub.WaitFor(t, "all/stats", func(p string) bool { return strings.Contains(p, `"type":"stats"`) })
	if sent := sinkCount(t, m, "sent"); sent == 0 || sinkCount(t, m, "dropped") != 0 {
		t.Errorf("metaood_sink_events_total{sink=mqtt}: sent %g, dropped %g; want some sent, nothing dropped", sent, sinkCount(t, m, "dropped"))
	}
}

// cutter connects paho to the broker through a pipe it can cut as a crash would: the broker
// sees the socket close without a DISCONNECT, paho reads EOF.
type cutter struct {
	mu    sync.Mutex
	links []io.Closer
}

func (c *cutter) open(uri *url.URL, _ paho.ClientOptions) (net.Conn, error) {
	upstream, err := net.DialTimeout("tcp", uri.Host, 2*time.Second)
	if err != nil {
		return nil, err
	}
	ours, theirs := net.Pipe()
	go func() { io.Copy(upstream, theirs); upstream.Close() }()
	go func() { io.Copy(theirs, upstream); theirs.Close() }()
	c.mu.Lock()
	c.links = append(c.links, upstream, theirs)
	c.mu.Unlock()
	return ours, nil
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.links {
		l.Close()
	}
	c.links = nil
}

// TestMQTTLastWill: a connection that dies without a goodbye makes the broker publish the
// source "offline" (the Last Will); paho reconnects and the source is "online" again.
func TestMQTTLastWill(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "metaood/cam/available", "watch-will")
	cut := &cutter{}
	s, err := New(Config{Broker: b.URL(), ClientID: "will", MaxReconnect: 500 * time.Millisecond, openConn: cut.open})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := newDrive(t, s, "cam")
	d.sourceState(0, event.StateOpened)
	sub.WaitFor(t, "cam/available", func(p string) bool { return p == Online })
	cut.cut()
	sub.WaitFor(t, "cam/available", func(p string) bool { return p == Offline })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs := sub.All()
		if i := slices.IndexFunc(msgs, func(m mqtttest.Received) bool { return m.Payload == Offline }); msgs[len(msgs)-1].Payload == Online && i < len(msgs)-1 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("not online again after the reconnect: %v", sub.All())
}

// TestMQTTBrokerRestart: the broker stops mid-run for 1.5 s and comes back without its retained
// messages. Event never blocks; the emergency raised meanwhile and its clear arrive; routine
// messages the small queue could not hold are dropped, counted and reported by Close; the
// retained states are published again after the reconnect.
func TestMQTTBrokerRestart(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "metaood/#", "watch-restart")
	m := pipeline.NewMetrics()
	types, _ := event.ParseTypes([]string{"all"})
	s, err := New(Config{Broker: b.URL(), ClientID: "restart", Queue: 8, Types: types, MaxReconnect: 500 * time.Millisecond,
		Counters: m.SinkCounters("mqtt")})
	if err != nil {
		t.Fatal(err)
	}
	d := newDrive(t, s, "cam")
	d.sourceState(0, event.StateOpened)
	sub.WaitFor(t, "cam/available", func(p string) bool { return p == Online })

	f := 0
	run := func(frames int, hit func(f int) bool) {
		for range frames {
			d.frame(f, hit(f))
			f++
			time.Sleep(10 * time.Millisecond)
		}
	}
	run(20, func(int) bool { return false })
	b.Stop()
	outage := time.Now()
	run(150, func(f int) bool { return f >= 40 }) // the emergency starts while the broker is down
	b.Start()
	t.Logf("broker down for %v", time.Since(outage).Round(time.Millisecond))
	var emergency event.Event
	for _, e := range d.events {
		if e.Head().Type == event.TypeEmergency {
			emergency = e
		}
	}
	if emergency == nil {
		t.Fatal("no emergency raised during the outage")
	}
	got := sub.WaitFor(t, "cam/emergency", func(p string) bool { return strings.Contains(p, emergency.Head().ID) })
	if !strings.Contains(got.Payload, `"type":"emergency"`) {
		t.Errorf("emergency state %q", mqtttest.Trunc(got.Payload))
	}
	// Only the reconnect's republication can put "online" back: the broker forgot it.
	if p := mqtttest.RetainedNow(t, b.URL(), "metaood/cam/available"); p != Online {
		t.Errorf("availability after the restart %q, want %q republished", p, Online)
	}
	run(3, func(int) bool { return false }) // clear
	got = sub.WaitFor(t, "cam/clear", func(string) bool { return true })
	if c := header(t, got.Payload); c.EmergencyID != emergency.Head().ID {
		t.Errorf("clear names %q, want %q", c.EmergencyID, emergency.Head().ID)
	}
	d.sourceState(f, event.StateEnded)
	sub.WaitFor(t, "cam/available", func(p string) bool { return p == Offline })
	err = s.Close()
	dropped := sinkCount(t, m, "dropped")
	t.Logf("slowest Event call %v; dropped %g; Close: %v", d.slowest, dropped, err)
	if d.slowest > time.Second {
		t.Errorf("an Event call took %v: the sink blocked the pipeline while the broker was down", d.slowest)
	}
	if dropped == 0 || !errors.Is(err, pipeline.ErrSink) || !strings.Contains(err.Error(), "dropped by a full queue") {
		t.Errorf("dropped %g, Close: %v; want the outage's losses counted and reported", dropped, err)
	}
}

func TestTopicName(t *testing.T) {
	cases := map[string]string{
		"cam:0":                   "cam:0",
		"rtsp://cam/1":            "rtsp:__cam_1",
		"a+b#c":                   "a_b_c",
		"tab\there":               "tab_here",
		"":                        "_",
		"synth:frames=300,fps=30": "synth:frames=300,fps=30",
	}
	for in, want := range cases {
		if got := TopicName(in); got != want {
			t.Errorf("TopicName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTopicNamesKeptApart: two sources that sanitize alike get distinct topics.
func TestTopicNamesKeptApart(t *testing.T) {
	s, err := New(Config{Broker: "tcp://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b, again := s.uniqueName("a/b"), s.uniqueName("a+b"), s.uniqueName("a/b"); a != "a_b" || b != "a_b-2" || again != a {
		t.Errorf("topic names %q, %q, then %q for the first again", a, b, again)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Broker: "localhost:1883"}, "not a URL like tcp://host:1883"},
		{Config{Broker: "http://broker"}, "not a URL like"},
		{Config{Broker: "tcp://"}, "not a URL like"},
		{Config{Broker: "tcp://user:secret@broker"}, "carries credentials"},
		{Config{Broker: "tcp://broker", Prefix: "a/#"}, "wildcard"},
		{Config{Broker: "tcp://broker", Prefix: "/a"}, "empty level"},
		{Config{Broker: "tcp://broker", Prefix: "$SYS"}, "reserved"},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want ErrConfig with %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestBrokerWithPort(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://broker":      "tcp://broker:1883",
		"mqtts://broker":    "mqtts://broker:8883",
		"tcp://broker:1884": "tcp://broker:1884",
		"ws://broker/mqtt":  "ws://broker/mqtt",
	} {
		if got := brokerWithPort(in); got != want {
			t.Errorf("brokerWithPort(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzTopicName: any source id becomes one topic level without wildcards or separators.
func FuzzTopicName(f *testing.F) {
	for _, s := range []string{"cam:0", "rtsp://u@h/x", "a+b#", "", "\x00\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, source string) {
		name := TopicName(source)
		if name == "" || strings.ContainsAny(name, "/+#\x00") {
			t.Fatalf("TopicName(%q) = %q", source, name)
		}
	})
}
