package infer

import (
	"fmt"

	"github.com/metaood/metaood/onnx"
)

// editModel returns the bytes the session runs: the model as given, with its batch made dynamic
// when it was exported for one frame and Config.Batch asks for more, and with the dispersion
// head when Config.DispersionHead is set. It also sets the session's output names.
func (e *Engine) editModel() ([]byte, error) {
	e.outNames = []string{e.outName}
	batch := e.cfg.Batch > 1 && e.inDims[0] == 1
	if !batch && !e.cfg.DispersionHead {
		return e.cfg.Model, nil
	}
	name := e.cfg.ModelName
	if e.cfg.DispersionHead && e.cfg.Probs {
		return nil, fmt.Errorf("%w: the dispersion head needs a model whose output is logits, and %s is said to output probabilities", ErrConfig, name)
	}
	m, err := onnx.Load(e.cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrModel, name, err)
	}
	if batch {
		if err := m.DynamicBatch(); err != nil {
			e.log.Warn("the model was exported for one frame per run and cannot be made to take more: running one frame per run", "err", err)
		} else {
			e.inDims[0], e.outDims[0] = -1, -1
			e.log.Info("the model was exported for one frame per run: its batch is made dynamic", "batch", e.cfg.Batch)
		}
	}
	if e.cfg.DispersionHead {
		if err := m.AddDispersionHead(e.outName, e.classes, e.cfg.HeadThreshold); err != nil {
			return nil, fmt.Errorf("%w: %s: cannot add the dispersion head: %v", ErrModelIO, name, err)
		}
		e.head, e.headThreshold = true, e.cfg.HeadThreshold
		e.outNames = []string{onnx.DispEntropy, onnx.DispArgmax, onnx.DispTop2, onnx.DispMaskProbs}
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrModel, name, err)
	}
	return data, nil
}
