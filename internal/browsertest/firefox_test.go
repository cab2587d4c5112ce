package browsertest

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/websocket"
)

// fakeBiDi answers script.evaluate like Firefox: an event first (which the client must skip),
// then the result for the expression's marker: a string, an exception, or a non-string value.
func fakeBiDi(ws *websocket.Conn) {
	for {
		var cmd struct {
			ID     int            `json:"id"`
			Method string         `json:"method"`
			Params map[string]any `json:"params"`
		}
		if websocket.JSON.Receive(ws, &cmd) != nil {
			return
		}
		_ = websocket.JSON.Send(ws, map[string]any{"type": "event", "method": "log.entryAdded", "params": map[string]any{}})
		expr, _ := cmd.Params["expression"].(string)
		var res map[string]any
		switch {
		case cmd.Method != "script.evaluate":
			_ = websocket.JSON.Send(ws, map[string]any{"type": "error", "id": cmd.ID, "error": "unknown command", "message": cmd.Method})
			continue
		case strings.Contains(expr, "THROW"):
			res = map[string]any{"type": "exception", "exceptionDetails": map[string]any{"text": "ReferenceError: x"}}
		case strings.Contains(expr, "UNDEFINED"):
			res = map[string]any{"type": "success", "result": map[string]any{"type": "undefined"}}
		default:
			res = map[string]any{"type": "success", "result": map[string]any{"type": "string", "value": `{"framesDecoded":7,"types":{"stats":2}}`}}
		}
		_ = websocket.JSON.Send(ws, map[string]any{"type": "success", "id": cmd.ID + 1000, "result": map[string]any{}}) // another command's
		_ = websocket.JSON.Send(ws, map[string]any{"type": "success", "id": cmd.ID, "result": res})
	}
}

// TestBiDiClient: commands match their answers by id past events and stray answers; results,
// exceptions and protocol errors come back as such.
func TestBiDiClient(t *testing.T) {
	srv := httptest.NewServer(websocket.Handler(fakeBiDi))
	defer srv.Close()
	ws, err := websocket.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), "", "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	f := &FirefoxTab{ws: ws, context: "ctx-1"}
	st, err := f.State()
	if err != nil || st.FramesDecoded != 7 || st.Types["stats"] != 2 {
		t.Errorf("State() = %+v, %v", st, err)
	}
	if _, err := f.Eval("THROW"); err == nil || !strings.Contains(err.Error(), "ReferenceError") {
		t.Errorf("an exception: %v", err)
	}
	if _, err := f.Eval("UNDEFINED"); err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("a non-string result: %v", err)
	}
	if _, err := f.call("browsingContext.reload", map[string]any{}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("a protocol error: %v", err)
	}
	var raw json.RawMessage
	if raw, err = f.call("script.evaluate", map[string]any{"expression": "1"}); err != nil || !strings.Contains(string(raw), "framesDecoded") {
		t.Errorf("the connection is still in step after the errors: %s %v", raw, err)
	}
}
