package app

import (
	"log/slog"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/sink/mqtt"
)

// outputTypes are the event types each output passes on.
type outputTypes struct{ file, stdout, webhook, mqtt event.TypeSet }

// eventTypes reads the per-output type lists (config.Validate has checked them).
func eventTypes(c config.Run) (t outputTypes, err error) {
	for _, l := range []struct {
		dst   *event.TypeSet
		names []string
	}{{&t.file, c.FileEvents}, {&t.stdout, c.StdoutEvents}, {&t.webhook, c.WebhookEvents}, {&t.mqtt, c.MQTTEvents}} {
		if *l.dst, err = event.ParseTypes(l.names); err != nil {
			return t, err
		}
	}
	return t, nil
}

// filtered wraps s in a type filter unless it passes every type.
func filtered(s pipeline.Sink, types event.TypeSet) pipeline.Sink {
	if len(types) == len(event.Types) {
		return s
	}
	return pipeline.Filter(s, types)
}

// openMQTT makes the MQTT output; its connections open in the background.
func openMQTT(c config.Run, types event.TypeSet, metrics *pipeline.Metrics, log *slog.Logger) (pipeline.Sink, error) {
	pw, err := c.MQTTPassword()
	if err != nil {
		return nil, err
	}
	return mqtt.New(mqtt.Config{Broker: c.MQTT, Prefix: c.MQTTPrefix, ClientID: c.MQTTClientID, Username: c.MQTTUser, Password: pw,
		Types: types, Counters: metrics.SinkCounters("mqtt"), Log: log})
}
