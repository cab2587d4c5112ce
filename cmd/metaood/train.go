package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/finetune"
)

func cmdTrain(ctx context.Context, args []string) error {
	return dispatchSub(ctx, "train", []command{
		{"ood", "entropy maximization: fine-tune a model's tail so that pasted proxy objects get maximal entropy", trainOOD},
		{"proxies", "write road frames with pasted proxy objects (images/ + labels/, 1 = proxy) for calib dataset or eval", trainProxies},
	}, args)
}

// proxyFlags choose the training composites: backgrounds, proxies, how much they cover, the split.
type proxyFlags struct {
	backgrounds, proxies, exclude []string
	holdout                       float64
	regime                        string
	count                         int
	seed                          uint64
}

func addProxyFlags(fs *pflag.FlagSet, count int) *proxyFlags {
	p := &proxyFlags{}
	fs.StringArrayVar(&p.backgrounds, "backgrounds", nil, "folder of road frames (PNG/JPEG, subfolders too), repeatable")
	fs.StringArrayVar(&p.proxies, "proxies", nil, "folder of proxy objects with images/ and masks/<stem>.png (255 = object), repeatable")
	fs.StringArrayVar(&p.exclude, "exclude", nil, "skip backgrounds whose file name matches this glob (e.g. frames kept for evaluation), repeatable")
	fs.Float64Var(&p.holdout, "holdout", 0.25, "share of backgrounds and proxies (by a hash of the name) kept out of fine-tuning for the meta classifier")
	fs.StringVar(&p.regime, "share", "informative", "proxy pixels per image: informative (≤ 20 %), mostly (≥ 80 %), all, or MIN-MAX, e.g. 0.01-0.2")
	fs.IntVar(&p.count, "count", count, "number of composite images")
	fs.Uint64Var(&p.seed, "seed", 1, "seed of the composites (and of training's shuffling)")
	return p
}

func (p *proxyFlags) parseRegime() (finetune.Regime, error) {
	if r, ok := finetune.Regimes[p.regime]; ok {
		return r, nil
	}
	lo, hi, ok := strings.Cut(p.regime, "-")
	a, err1 := strconv.ParseFloat(lo, 64)
	b, err2 := strconv.ParseFloat(hi, 64)
	if !ok || err1 != nil || err2 != nil || !(a > 0 && a <= b && b < 1) {
		return finetune.Regime{}, fmt.Errorf("%w: --share %q: want informative, mostly, all or MIN-MAX with 0 < MIN ≤ MAX < 1", errUsage, p.regime)
	}
	return finetune.Regime{Name: p.regime, Min: a, Max: b}, nil
}

// composer lists the files and returns the composer for the fine-tuning part (held = false) or the
// held-out part (held = true) of backgrounds and proxies.
func (p *proxyFlags) composer(w, h int, held bool) (*finetune.Composer, error) {
	if len(p.backgrounds) == 0 || len(p.proxies) == 0 {
		return nil, fmt.Errorf("%w: give --backgrounds (road frames) and --proxies (objects with masks)", errUsage)
	}
	if !(p.holdout >= 0 && p.holdout < 1) {
		return nil, fmt.Errorf("%w: --holdout %g: want a share in [0, 1)", errUsage, p.holdout)
	}
	if p.count <= 0 {
		return nil, fmt.Errorf("%w: --count %d: want at least one image", errUsage, p.count)
	}
	reg, err := p.parseRegime()
	if err != nil {
		return nil, err
	}
	c := &finetune.Composer{W: w, H: h, Regime: reg, Seed: p.seed}
	for _, d := range p.backgrounds {
		imgs, err := finetune.FindImages(d)
		if err != nil {
			return nil, err
		}
		for _, f := range imgs {
			skip := false
			for _, g := range p.exclude {
				if ok, err := filepath.Match(g, filepath.Base(f)); err != nil {
					return nil, fmt.Errorf("%w: --exclude %q: %v", errUsage, g, err)
				} else if ok {
					skip = true
				}
			}
			if !skip {
				c.Backgrounds = append(c.Backgrounds, f)
			}
		}
	}
	for _, d := range p.proxies {
		ps, err := finetune.FindProxies(d)
		if err != nil {
			return nil, err
		}
		c.Proxies = append(c.Proxies, ps...)
	}
	if p.holdout > 0 {
		c.Backgrounds = finetune.Split(c.Backgrounds, func(s string) string { return s }, p.holdout, held)
		c.Proxies = finetune.Split(c.Proxies, func(x finetune.Proxy) string { return x.Name }, p.holdout, held)
	}
	if len(c.Backgrounds) == 0 || len(c.Proxies) == 0 {
		return nil, fmt.Errorf("%w: %d backgrounds and %d proxies left after --exclude and --holdout", errUsage, len(c.Backgrounds), len(c.Proxies))
	}
	if held {
		c.Seed ^= 0x9e3779b97f4a7c15 // other composites than fine-tuning's, even from the same files
	}
	return c, nil
}

func trainProxies(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("train proxies", pflag.ContinueOnError)
	pf := addProxyFlags(fs, 100)
	size := fs.String("size", "1024x512", "image size WxH")
	part := fs.String("part", "holdout", "which backgrounds and proxies: holdout (never seen by train ood) or train")
	out := fs.String("out", "", "folder to write images/NNNNN.png and labels/NNNNN.png into (0 = road scene, 1 = proxy)")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: metaood train proxies --backgrounds DIR --proxies DIR --out DIR [flags]\n\nFlags:\n%s", fs.FlagUsages())
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if *part != "holdout" && *part != "train" {
		return fmt.Errorf("%w: --part %q: want holdout or train", errUsage, *part)
	}
	w, h, err := config.ParseSize(*size)
	if err != nil {
		return fmt.Errorf("%w: --size %q: %v", errUsage, *size, err)
	}
	c, err := pf.composer(w, h, *part == "holdout")
	if err != nil {
		return err
	}
	for _, d := range []string{"images", "labels"} {
		if err := os.MkdirAll(filepath.Join(*out, d), 0o755); err != nil {
			return err
		}
	}
	var shares float64
	for i := range pf.count {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted after %d of %d images (those are complete): %w", i, pf.count, err)
		}
		comp, err := c.Compose(i)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%05d.png", i)
		if err := savePNG(filepath.Join(*out, "images", name), comp.RGBA()); err != nil {
			return err
		}
		if err := savePNG(filepath.Join(*out, "labels", name), comp.LabelImage(1, 0)); err != nil {
			return err
		}
		shares += comp.Share
	}
	fmt.Printf("wrote %d images to %s (mean proxy share %.3f; %d backgrounds, %d proxies)\n", pf.count, *out, shares/float64(pf.count), len(c.Backgrounds), len(c.Proxies))
	return nil
}

// savePNG writes img to path through a temporary file, so path never holds half a PNG.
func savePNG(path string, img image.Image) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = png.Encode(f, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
