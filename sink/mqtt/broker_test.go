package mqtt

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

const mosquittoPath = "/usr/sbin/mosquitto"

// broker is a mosquitto the test started on a loopback port, persistence off (a restart forgets
// the retained messages, as a broker without a volume does).
type broker struct {
	t    *testing.T
	conf string
	addr string
	cmd  *exec.Cmd
}

// startBroker runs mosquitto on a free loopback port. It skips the test when mosquitto is not
// installed, or fails it under METAOOD_REQUIRE_SHARED=1 (CI must run it).
func startBroker(t *testing.T) *broker {
	t.Helper()
	if _, err := os.Stat(mosquittoPath); err != nil {
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
	b := &broker{t: t, conf: filepath.Join(t.TempDir(), "mosquitto.conf"), addr: fmt.Sprintf("127.0.0.1:%d", port)}
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n", port)
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b.start()
	t.Cleanup(b.stop)
	return b
}

func (b *broker) url() string { return "tcp://" + b.addr }

// start runs mosquitto and waits until it accepts connections.
func (b *broker) start() {
	b.t.Helper()
	b.cmd = exec.Command(mosquittoPath, "-c", b.conf)
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
	b.stop()
	b.t.Fatalf("mosquitto did not listen on %s in 5 s", b.addr)
}

// stop ends mosquitto (SIGTERM, then SIGKILL) and waits for it.
func (b *broker) stop() {
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

// received is one message a test subscriber got.
type received struct {
	topic, payload string
	retained       bool
}

// subscriber records what arrives on topic filter, resubscribing after a broker restart.
type subscriber struct {
	client paho.Client
	mu     sync.Mutex
	msgs   []received
}

func subscribe(t *testing.T, brokerURL, filter, id string) *subscriber {
	t.Helper()
	s := &subscriber{}
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID(id).SetCleanSession(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond)
	subscribed := make(chan error, 1)
	o.SetOnConnectHandler(func(c paho.Client) {
		tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
			s.mu.Lock()
			s.msgs = append(s.msgs, received{m.Topic(), string(m.Payload()), m.Retained()})
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

func (s *subscriber) all() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// waitFor waits up to 10 s for a message on a topic ending in suffix whose payload satisfies ok,
// and returns it.
func (s *subscriber) waitFor(t *testing.T, suffix string, ok func(payload string) bool) received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range s.all() {
			if strings.HasSuffix(m.topic, suffix) && ok(m.payload) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var topics []string
	for _, m := range s.all() {
		topics = append(topics, m.topic+"="+trunc(m.payload))
	}
	t.Fatalf("no message on …%s as wanted in 10 s; got %s", suffix, strings.Join(topics, ", "))
	return received{}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// retainedNow subscribes a fresh client to topic and returns the retained payload it gets ("" when
// none comes in 2 s): what a late subscriber sees.
func retainedNow(t *testing.T, brokerURL, topic string) string {
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
