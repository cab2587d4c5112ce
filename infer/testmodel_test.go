package infer

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A hand-written minimal ONNX protobuf encoder, so the tests need neither Python nor another
// package: enough for small Conv/Pool/Flatten graphs with named, possibly symbolic, dims.

type pbuf []byte

func (b pbuf) str(field protowire.Number, s string) pbuf {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func (b pbuf) msg(field protowire.Number, m pbuf) pbuf {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func (b pbuf) varint(field protowire.Number, v int64) pbuf {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// dim is a tensor dimension: a value > 0, or a symbolic name.
type dim struct {
	v     int64
	param string
}

func dv(v int64) dim       { return dim{v: v} }
func dp(p string) dim      { return dim{param: p} }
func dims(ds ...dim) []dim { return ds }

const (
	tFloat = 1
	tUint8 = 2
)

func valueInfo(name string, elem int64, shape []dim) pbuf {
	var sh pbuf
	for _, d := range shape {
		var dm pbuf
		if d.param != "" {
			dm = dm.str(2, d.param)
		} else {
			dm = dm.varint(1, d.v)
		}
		sh = sh.msg(1, dm)
	}
	tt := pbuf(nil).varint(1, elem).msg(2, sh)
	typ := pbuf(nil).msg(1, tt)
	return pbuf(nil).str(1, name).msg(2, typ)
}

func floatTensor(name string, shape []int64, data []float32) pbuf {
	var b pbuf
	for _, d := range shape {
		b = b.varint(1, d)
	}
	b = b.varint(2, tFloat)
	var packed []byte
	for _, f := range data {
		packed = protowire.AppendFixed32(packed, math.Float32bits(f))
	}
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, packed)
	return b.str(8, name)
}

type attr struct {
	name string
	ints []int64
	i    *int64
}

func node(op string, ins, outs []string, attrs ...attr) pbuf {
	var b pbuf
	for _, s := range ins {
		b = b.str(1, s)
	}
	for _, s := range outs {
		b = b.str(2, s)
	}
	b = b.str(4, op)
	for _, a := range attrs {
		var ab pbuf
		ab = ab.str(1, a.name)
		if a.i != nil {
			ab = ab.varint(3, *a.i).varint(20, 2)
		} else {
			for _, v := range a.ints {
				ab = ab.varint(8, v)
			}
			ab = ab.varint(20, 7)
		}
		b = b.msg(5, ab)
	}
	return b
}

func model(nodes, inits, inputs, outputs []pbuf) []byte {
	var g pbuf
	for _, n := range nodes {
		g = g.msg(1, n)
	}
	g = g.str(2, "test")
	for _, t := range inits {
		g = g.msg(5, t)
	}
	for _, v := range inputs {
		g = g.msg(11, v)
	}
	for _, v := range outputs {
		g = g.msg(12, v)
	}
	var m pbuf
	m = m.varint(1, 7)
	m = m.str(2, "metaood-infer-test")
	m = m.msg(7, g)
	m = m.msg(8, pbuf(nil).str(1, "").varint(2, 13))
	return m
}

// convModel is image [N,3,H,W] → 1x1 Conv (weights w[c][k], bias b[c]) → logits [N,C,H,W],
// optionally followed by a k×k average pool (pool > 1) to shrink the map.
func convModel(w [][3]float32, b []float32, in, out []dim, pool int64) []byte {
	c := int64(len(w))
	flat := make([]float32, 0, 3*c)
	for _, row := range w {
		flat = append(flat, row[:]...)
	}
	inits := []pbuf{floatTensor("W", []int64{c, 3, 1, 1}, flat), floatTensor("B", []int64{c}, b)}
	nodes := []pbuf{node("Conv", []string{"image", "W", "B"}, []string{"conv"})}
	last := "conv"
	if pool > 1 {
		nodes = append(nodes, node("AveragePool", []string{"conv"}, []string{"pooled"},
			attr{name: "kernel_shape", ints: []int64{pool, pool}}, attr{name: "strides", ints: []int64{pool, pool}}))
		last = "pooled"
	}
	nodes = append(nodes, node("Identity", []string{last}, []string{"logits"}))
	return model(nodes, inits, []pbuf{valueInfo("image", tFloat, in)}, []pbuf{valueInfo("logits", tFloat, out)})
}
