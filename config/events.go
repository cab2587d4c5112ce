package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/sink/mqtt"
)

// DefaultWebhookEvents are the types a webhook gets unless told: what a receiver acts on, not
// an anomalies event per frame or stats every second.
var DefaultWebhookEvents = []string{event.TypeEmergency, event.TypeClear, event.TypeSource}

// MQTTPasswordEnv holds the MQTT password when no password file is given.
const MQTTPasswordEnv = "METAOOD_MQTT_PASSWORD"

// validateEvents checks the per-output event types and the MQTT settings.
func (c Run) validateEvents() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: %s (--%s): %s", ErrConfig, key, strings.ReplaceAll(key, "_", "-"), fmt.Sprintf(format, args...))
	}
	for _, l := range []struct {
		key   string
		names []string
	}{{"file_events", c.FileEvents}, {"stdout_events", c.StdoutEvents}, {"webhook_events", c.WebhookEvents}, {"mqtt_events", c.MQTTEvents}} {
		if _, err := event.ParseTypes(l.names); err != nil {
			return bad(l.key, "%v (e.g. emergency,clear)", err)
		}
	}
	if c.MQTT == "" {
		switch {
		case c.MQTTUser != "":
			return bad("mqtt_user", "applies to the MQTT output: give --mqtt tcp://HOST:1883 too")
		case c.MQTTPasswordFile != "":
			return bad("mqtt_password_file", "applies to the MQTT output: give --mqtt tcp://HOST:1883 too")
		}
		return nil
	}
	if err := mqtt.CheckBroker(c.MQTT); err != nil {
		return bad("mqtt", "%v", err)
	}
	if err := mqtt.CheckPrefix(c.MQTTPrefix); err != nil {
		return bad("mqtt_prefix", "%v", err)
	}
	if strings.ContainsAny(c.MQTTClientID, "\x00") {
		return bad("mqtt_client_id", "holds a NUL character")
	}
	return nil
}

// MQTTPassword reads the MQTT password: the first line of MQTTPasswordFile, else
// $METAOOD_MQTT_PASSWORD, else none.
func (c Run) MQTTPassword() (string, error) {
	if c.MQTTPasswordFile == "" {
		return os.Getenv(MQTTPasswordEnv), nil
	}
	b, err := os.ReadFile(c.MQTTPasswordFile)
	if err != nil {
		return "", fmt.Errorf("%w: mqtt_password_file (--mqtt-password-file): %v (a file holding the password on its first line)", ErrConfig, err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(first, "\r"), nil
}
