package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/mqtttest"
)

// TestRunMQTT: `metaood run` on a synthetic drive that raises one emergency (seed 12 at 512×256,
// frames 140 to 219: raised at 154, cleared at 205) publishes it and its clear on MQTT, with the
// ids of the events file; the retained state ends "none" and the source "offline".
func TestRunMQTT(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "rig/#", "watch-run")
	c := config.Default()
	c.Sources = []string{"drive=synth:seed=12,first=140,frames=80,size=512x256"}
	c.Out, c.Video, c.CSV, c.Stdout = t.TempDir(), "", "", false
	c.MQTT, c.MQTTPrefix, c.MQTTClientID = b.URL(), "rig", "run-test"
	sum, outs, _, err := runFor(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emergencies != 1 {
		t.Fatalf("%d emergencies, want the drive's one", sum.Emergencies)
	}
	em := sub.WaitFor(t, "rig/drive/emergency", func(p string) bool { return strings.Contains(p, `"type":"emergency"`) })
	cl := sub.WaitFor(t, "rig/drive/clear", func(string) bool { return true })
	var e event.Emergency
	var clr event.Clear
	if err := json.Unmarshal([]byte(em.Payload), &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cl.Payload), &clr); err != nil {
		t.Fatal(err)
	}
	if e.V != event.SchemaVersion || e.ID == "" || clr.EmergencyID != e.ID || clr.TrackID != e.Anomaly.TrackID || clr.TrackID < 1 {
		t.Errorf("emergency v=%d id %q track %d; clear names %q track %d", e.V, e.ID, e.Anomaly.TrackID, clr.EmergencyID, clr.TrackID)
	}
	data, err := os.ReadFile(outs.Events)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"id":"`+e.ID+`"`) || !strings.Contains(string(data), `"emergency_id":"`+e.ID+`"`) {
		t.Errorf("the events file has no emergency %s and clear naming it", e.ID)
	}
	for topic, want := range map[string]string{"rig/drive/emergency": "none", "rig/drive/available": "offline"} {
		if got := mqtttest.RetainedNow(t, b.URL(), topic); got != want {
			t.Errorf("retained %s = %q after the run, want %q", topic, mqtttest.Trunc(got), want)
		}
	}
	for _, m := range sub.All() {
		if strings.HasSuffix(m.Topic, "/anomalies") {
			t.Errorf("anomalies published on %s (not in the default --mqtt-events)", m.Topic)
			break
		}
	}
}
