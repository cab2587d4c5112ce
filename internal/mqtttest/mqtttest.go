// Package mqtttest starts a real mosquitto for tests and records what a subscriber gets.
package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// MosquittoPath is where Debian's mosquitto package puts the broker.
const MosquittoPath = "/usr/sbin/mosquitto"

// Broker is a mosquitto the test started on a loopback port, persistence off (a restart forgets
// the retained messages, as a broker without a volume does).
type Broker struct {
	t    *testing.T
	conf string
	addr string
	cmd  *exec.Cmd
}

// StartBroker runs mosquitto on a free loopback port. It skips the test when mosquitto is not
// installed, or fails it under METAOOD_REQUIRE_SHARED=1 (CI must run it).
func StartBroker(t *testing.T) *Broker {
	t.Helper()
	if _, err := os.Stat(MosquittoPath); err != nil {
		if os.Getenv("METAOOD_REQUIRE_SHARED") == "1" {
			t.Fatalf("mosquitto is required for the MQTT test (apt-get install mosquitto): %v", err)
		}
		t.Skipf("mosquitto not installed (apt-get install mosquitto); skipping the MQTT broker test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	b := &Broker{t: t, conf: filepath.Join(t.TempDir(), "mosquitto.conf"), addr: fmt.Sprintf("127.0.0.1:%d", port)}
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n", port)
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

// URL is the broker's tcp:// URL.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Start runs mosquitto and waits until it accepts connections.
func (b *Broker) Start() {
	b.t.Helper()
	b.cmd = exec.Command(MosquittoPath, "-c", b.conf)
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		b.t.Fatalf("starting mosquitto: %v", err)
	}
	for range 100 {
		if c, err := net.DialTimeout("tcp", b.addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Stop()
	b.t.Fatalf("mosquitto did not listen on %s in 5 s", b.addr)
}

// Stop ends mosquitto (SIGTERM, then SIGKILL) and waits for it.
func (b *Broker) Stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
	b.cmd = nil
}

// Received is one message a test subscriber got.
type Received struct {
	Topic, Payload string
	Retained       bool
}

// Subscriber records what arrives on topic filter, resubscribing after a broker restart.
type Subscriber struct {
	client paho.Client
	mu     sync.Mutex
	msgs   []Received
}

// Subscribe connects a client that subscribes to filter and records what it gets.
func Subscribe(t *testing.T, brokerURL, filter, id string) *Subscriber {
	t.Helper()
	s := &Subscriber{}
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID(id).SetCleanSession(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond)
	subscribed := make(chan error, 1)
	o.SetOnConnectHandler(func(c paho.Client) {
		tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
			s.mu.Lock()
			s.msgs = append(s.msgs, Received{m.Topic(), string(m.Payload()), m.Retained()})
			s.mu.Unlock()
		})
		tok.Wait()
		select {
		case subscribed <- tok.Error():
		default:
		}
	})
	s.client = paho.NewClient(o)
	s.client.Connect()
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatalf("subscribe %s: %v", filter, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("subscriber %s did not connect in 10 s", id)
	}
	t.Cleanup(func() { s.client.Disconnect(100) })
	return s
}

// All is what arrived so far.
func (s *Subscriber) All() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// WaitFor waits up to 10 s for a message on a topic ending in suffix whose payload satisfies ok,
// and returns it.
func (s *Subscriber) WaitFor(t *testing.T, suffix string, ok func(payload string) bool) Received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range s.All() {
			if strings.HasSuffix(m.Topic, suffix) && ok(m.Payload) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var topics []string
	for _, m := range s.All() {
		topics = append(topics, m.Topic+"="+Trunc(m.Payload))
	}
	t.Fatalf("no message on …%s as wanted in 10 s; got %s", suffix, strings.Join(topics, ", "))
	return Received{}
}

// Trunc shortens a payload for a message.
func Trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// RetainedNow subscribes a fresh client to topic and returns the retained payload it gets ("" when
// none comes in 2 s): what a late subscriber sees.
func RetainedNow(t *testing.T, brokerURL, topic string) string {
	t.Helper()
	got := make(chan string, 1)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(brokerURL).SetClientID(fmt.Sprintf("late-%d", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("late subscriber: %v", tok.Error())
	}
	defer c.Disconnect(100)
	c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			select {
			case got <- string(m.Payload()):
			default:
			}
		}
	})
	select {
	case p := <-got:
		return p
	case <-time.After(2 * time.Second):
		return ""
	}
}
