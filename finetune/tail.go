package finetune

import (
	"fmt"
	"slices"
	"strings"

	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/onnx/pb"
)

// opKind is one layer type a Tail can run and train.
type opKind int

const (
	opBatchNorm opKind = iota // per-channel affine with fixed running statistics; trains scale and bias
	opPRelu                   // trains the slopes
	opShuffle                 // Reshape→Transpose→Reshape channel shuffle; nothing to train
	opConv                    // 2-D convolution, any group count, square kernel, stride 1
)

var opNames = [...]string{"BatchNormalization", "PRelu", "ChannelShuffle", "Conv"}

// layer is one op of the tail with its weights. w and b are what training changes: conv weights
// and bias, batch-norm scale and bias, PReLU slopes (w only).
type layer struct {
	kind         opKind
	node         string // ONNX node name, for messages
	cin, cout    int
	k, pad, grp  int       // conv
	w, b         []float32 // trainable
	wName, bName string    // initializers they came from
	mean, inv    []float32 // batch norm: running mean and 1/sqrt(var+eps)
	perm         []int     // shuffle: output channel j is input channel perm[j]
}

func (l *layer) trainable() bool { return l.kind != opShuffle }

// Tail is the trainable end of a segmentation network: a chain of layers from the cut tensor to
// the class scores, optionally followed by a bilinear (align_corners) upsampling to the output
// size. Its weights are the ONNX model's; Save writes them back.
type Tail struct {
	Cut        string // value name of the features the tail reads
	Scores     string // value name of the class scores before the upsampling
	In, Out    int    // channels at the cut and of the class scores
	OutW, OutH int    // size of the model's output after upsampling; 0 = no upsampling
	layers     []*layer
	trainFrom  int // index of the first trained layer
}

// Layers describes the tail front to back, e.g. "BatchNormalization(50) → PRelu(50) → …".
func (t *Tail) Layers() string {
	s := make([]string, len(t.layers))
	for i, l := range t.layers {
		mark := ""
		if i >= t.trainFrom && l.trainable() {
			mark = "*"
		}
		s[i] = fmt.Sprintf("%s%s(%d→%d)", mark, opNames[l.kind], l.cin, l.cout)
	}
	return strings.Join(s, " → ")
}

// Trainable returns how many weighted layers (counted from the end) are trained, and how many there are.
func (t *Tail) Trainable() (trained, total int) {
	for i, l := range t.layers {
		if l.trainable() {
			total++
			if i >= t.trainFrom {
				trained++
			}
		}
	}
	return trained, total
}

// SetTrainable trains the last n weighted layers (n ≤ 0 or beyond the count: all of them).
func (t *Tail) SetTrainable(n int) {
	t.trainFrom = 0
	if n <= 0 {
		return
	}
	for i := len(t.layers) - 1; i >= 0; i-- {
		if t.layers[i].trainable() {
			n--
			if n == 0 {
				t.trainFrom = i
				return
			}
		}
	}
}

// Params returns the number of trained weights.
func (t *Tail) Params() int {
	n := 0
	for _, l := range t.layers[t.trainFrom:] {
		n += len(l.w) + len(l.b)
	}
	return n
}

// ParseTail finds the tail of m from its class-score output back to cut. With cut == "" it
// walks back as far as the supported layers go. Errors name the node that stops it.
func ParseTail(m *onnx.Model, cut string) (*Tail, error) {
	outs := m.Outputs()
	if len(outs) == 0 {
		return nil, fmt.Errorf("%w: the model has no outputs", ErrCut)
	}
	out := outs[0]
	for _, o := range outs {
		if o == "logits" || o == "probs" {
			out = o
		}
	}
	t := &Tail{}
	x := out
	if n := m.Producer(x); n != nil && n.GetOpType() == "Resize" {
		if err := t.parseResize(m, n); err != nil {
			return nil, err
		}
		x = n.GetInput()[0]
	}
	t.Scores = x
	for x != cut {
		n := m.Producer(x)
		if n == nil {
			break
		}
		if valueUsers(m, x) > 1 {
			if cut != "" {
				return nil, fmt.Errorf("%w: %q feeds several nodes, so the tail cannot start below it; cut there or above", ErrCut, x)
			}
			break
		}
		l, in, err := parseLayer(m, n)
		if err != nil {
			if cut != "" {
				return nil, fmt.Errorf("%w: walking back from %q to the cut %q: %v", ErrCut, out, cut, err)
			}
			break
		}
		t.layers = append(t.layers, l)
		x = in
	}
	if cut != "" && x != cut {
		return nil, fmt.Errorf("%w: %q is not on the chain of supported layers in front of %q (stopped at %q)", ErrCut, cut, out, x)
	}
	if len(t.layers) == 0 {
		return nil, fmt.Errorf("%w: no BatchNormalization, PRelu, Conv or channel shuffle in front of output %q", ErrCut, out)
	}
	slices.Reverse(t.layers)
	t.Cut = x
	return t, t.inferChannels()
}

// valueUsers counts the nodes that read x's values (Shape nodes read only its shape).
func valueUsers(m *onnx.Model, x string) int {
	n := 0
	for _, c := range m.Consumers(x) {
		if c.GetOpType() != "Shape" {
			n++
		}
	}
	return n
}

// parseResize accepts the final upsampling: linear, align_corners, a constant target size.
func (t *Tail) parseResize(m *onnx.Model, n *pb.NodeProto) error {
	attrs := map[string]string{}
	for _, a := range n.GetAttribute() {
		attrs[a.GetName()] = string(a.GetS())
	}
	if attrs["mode"] != "linear" || attrs["coordinate_transformation_mode"] != "align_corners" {
		return fmt.Errorf("%w: final Resize %q is mode=%q coordinate_transformation_mode=%q; only linear align_corners is supported", ErrCut, n.GetName(), attrs["mode"], attrs["coordinate_transformation_mode"])
	}
	ins := n.GetInput()
	if len(ins) < 4 || ins[3] == "" {
		return fmt.Errorf("%w: final Resize %q has no sizes input (scales are not supported)", ErrCut, n.GetName())
	}
	sizes, err := m.ConstantInts(ins[3])
	if err != nil { // exporters build sizes as Concat(Shape(x)[0:2], constant HW)
		if p := m.Producer(ins[3]); p != nil && p.GetOpType() == "Concat" && len(p.GetInput()) == 2 {
			sizes, err = m.ConstantInts(p.GetInput()[1])
		}
	}
	if err != nil || len(sizes) < 2 {
		return fmt.Errorf("%w: final Resize %q: cannot read a constant output size", ErrCut, n.GetName())
	}
	t.OutH, t.OutW = int(sizes[len(sizes)-2]), int(sizes[len(sizes)-1])
	return nil
}

// parseLayer reads node n as a tail layer and returns it with the name of its input.
func parseLayer(m *onnx.Model, n *pb.NodeProto) (*layer, string, error) {
	ins := n.GetInput()
	l := &layer{node: n.GetName()}
	switch n.GetOpType() {
	case "Conv":
		l.kind = opConv
		dims, w, err := m.Initializer(ins[1])
		if err != nil || len(dims) != 4 || dims[2] != dims[3] || dims[2]%2 == 0 {
			return nil, "", fmt.Errorf("Conv %q: weights %q are not an odd square float kernel", n.GetName(), ins[1])
		}
		l.grp, l.pad = 1, 0
		for _, a := range n.GetAttribute() {
			switch a.GetName() {
			case "group":
				l.grp = int(a.GetI())
			case "pads":
				p := a.GetInts()
				if len(p) != 4 || p[0] != p[1] || p[0] != p[2] || p[0] != p[3] {
					return nil, "", fmt.Errorf("Conv %q: pads %v are not symmetric", n.GetName(), p)
				}
				l.pad = int(p[0])
			case "strides", "dilations":
				for _, v := range a.GetInts() {
					if v != 1 {
						return nil, "", fmt.Errorf("Conv %q: %s %v (only 1 is supported)", n.GetName(), a.GetName(), a.GetInts())
					}
				}
			case "auto_pad":
				if s := string(a.GetS()); s != "" && s != "NOTSET" {
					return nil, "", fmt.Errorf("Conv %q: auto_pad %s is not supported", n.GetName(), s)
				}
			}
		}
		l.cout, l.k = int(dims[0]), int(dims[2])
		l.cin = int(dims[1]) * l.grp
		l.w, l.wName = w, ins[1]
		if len(ins) > 2 && ins[2] != "" {
			if _, l.b, err = m.Initializer(ins[2]); err != nil || len(l.b) != l.cout {
				return nil, "", fmt.Errorf("Conv %q: bias %q is not %d floats", n.GetName(), ins[2], l.cout)
			}
			l.bName = ins[2]
		}
		return l, ins[0], nil
	case "PRelu":
		l.kind = opPRelu
		_, w, err := m.Initializer(ins[1])
		if err != nil {
			return nil, "", fmt.Errorf("PRelu %q: slope %q is not a float initializer", n.GetName(), ins[1])
		}
		l.w, l.wName = w, ins[1]
		l.cin, l.cout = len(w), len(w)
		return l, ins[0], nil
	case "BatchNormalization":
		l.kind = opBatchNorm
		var p [4][]float32
		for i := range p {
			_, v, err := m.Initializer(ins[i+1])
			if err != nil || (i > 0 && len(v) != len(p[0])) {
				return nil, "", fmt.Errorf("BatchNormalization %q: input %q is not a float initializer of the channel count", n.GetName(), ins[i+1])
			}
			p[i] = v
		}
		eps := float32(1e-5)
		for _, a := range n.GetAttribute() {
			if a.GetName() == "epsilon" {
				eps = a.GetF()
			}
		}
		l.w, l.b, l.mean, l.wName, l.bName = p[0], p[1], p[2], ins[1], ins[2]
		l.inv = make([]float32, len(p[3]))
		for c, v := range p[3] {
			l.inv[c] = float32(1 / sqrt64(float64(v)+float64(eps)))
		}
		l.cin, l.cout = len(p[0]), len(p[0])
		return l, ins[0], nil
	case "Reshape":
		return parseShuffle(m, n)
	}
	return nil, "", fmt.Errorf("%s %q is not a supported tail layer", n.GetOpType(), n.GetName())
}

// parseShuffle matches Reshape([1,a,b,H,W]) → Transpose(0,2,1,3,4) → Reshape([1,-1,H,W]) ending in
// n, ShuffleNet's channel shuffle: output channel j·a+i is input channel i·b+j.
func parseShuffle(m *onnx.Model, n *pb.NodeProto) (*layer, string, error) {
	bad := fmt.Errorf("Reshape %q is not the end of a channel shuffle (Reshape→Transpose→Reshape)", n.GetName())
	tr := m.Producer(n.GetInput()[0])
	if tr == nil || tr.GetOpType() != "Transpose" || valueUsers(m, tr.GetOutput()[0]) != 1 {
		return nil, "", bad
	}
	for _, a := range tr.GetAttribute() {
		if a.GetName() == "perm" && !slices.Equal(a.GetInts(), []int64{0, 2, 1, 3, 4}) {
			return nil, "", bad
		}
	}
	r1 := m.Producer(tr.GetInput()[0])
	if r1 == nil || r1.GetOpType() != "Reshape" || valueUsers(m, r1.GetOutput()[0]) != 1 {
		return nil, "", bad
	}
	shape, err := m.ConstantInts(r1.GetInput()[1])
	if err != nil || len(shape) != 5 || shape[1] <= 0 || shape[2] <= 0 {
		return nil, "", bad
	}
	a, b := int(shape[1]), int(shape[2])
	l := &layer{kind: opShuffle, node: n.GetName(), cin: a * b, cout: a * b, perm: make([]int, a*b)}
	for i := range a {
		for j := range b {
			l.perm[j*a+i] = i*b + j
		}
	}
	return l, r1.GetInput()[0], nil
}

// inferChannels checks that neighbouring layers agree on channel counts (a PReLU with one
// slope takes its neighbour's) and sets In and Out.
func (t *Tail) inferChannels() error {
	ch := 0
	for _, l := range t.layers {
		if l.kind == opPRelu && len(l.w) == 1 {
			if ch == 0 {
				return fmt.Errorf("%w: PRelu %q with one slope at the start of the tail: cut one layer deeper", ErrCut, l.node)
			}
			l.cin, l.cout = ch, ch
		}
		if ch != 0 && l.cin != ch {
			return fmt.Errorf("%w: %s %q takes %d channels but gets %d", ErrCut, opNames[l.kind], l.node, l.cin, ch)
		}
		if ch == 0 {
			t.In = l.cin
		}
		ch = l.cout
	}
	t.Out = ch
	return nil
}

// Save writes the tail's weights into m's initializers (m must be the model the tail was parsed
// from, or a copy of it).
func (t *Tail) Save(m *onnx.Model) error {
	for _, l := range t.layers {
		if l.wName != "" {
			if err := m.ReplaceInitializer(l.wName, l.w); err != nil {
				return err
			}
		}
		if l.bName != "" {
			if err := m.ReplaceInitializer(l.bName, l.b); err != nil {
				return err
			}
		}
	}
	return nil
}
