package finetune

import (
	"fmt"
	"hash/fnv"
	"image"
	_ "image/jpeg" // backgrounds and proxies may be JPEG
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
)

// Proxy is one proxy object: a photo and its mask (255 = object), as in
// proxies/<set>/images/<stem>.{jpg,png} and masks/<stem>.png.
type Proxy struct {
	Name, Image, Mask string
}

// FindProxies lists the proxies of a folder with images/ and masks/ subfolders; every image
// must have its mask.
func FindProxies(dir string) ([]Proxy, error) {
	imgs, err := listImages(filepath.Join(dir, "images"))
	if err != nil {
		return nil, fmt.Errorf("%w: proxies %s: %v (want a folder with images/ and masks/<stem>.png)", ErrData, dir, err)
	}
	var out []Proxy
	for _, p := range imgs {
		stem := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		m := filepath.Join(dir, "masks", stem+".png")
		if _, err := os.Stat(m); err != nil {
			return nil, fmt.Errorf("%w: proxy %s has no mask %s", ErrData, p, m)
		}
		out = append(out, Proxy{Name: filepath.Base(dir) + "/" + stem, Image: p, Mask: m})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no proxy images in %s/images", ErrData, dir)
	}
	return out, nil
}

// FindImages lists the PNG and JPEG files under dir (subfolders too), sorted.
func FindImages(dir string) ([]string, error) {
	out, err := listImages(dir)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no PNG or JPEG files")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: backgrounds %s: %v", ErrData, dir, err)
	}
	return out, nil
}

func listImages(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png", ".jpg", ".jpeg":
			if !d.IsDir() {
				out = append(out, p)
			}
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// Held reports whether name falls in the held-out part (a share frac of all names, chosen by a
// hash of the name, so the split is stable when files are added).
func Held(name string, frac float64) bool {
	h := fnv.New64a()
	h.Write([]byte(filepath.Base(name)))
	return float64(h.Sum64()%10000) < frac*10000
}

// Split returns the items whose Held(name(item), frac) equals held.
func Split[T any](items []T, name func(T) string, frac float64, held bool) []T {
	var out []T
	for _, it := range items {
		if Held(name(it), frac) == held {
			out = append(out, it)
		}
	}
	return out
}

// Regime says how much of a training image pasted proxies cover: a share drawn log-uniformly
// in [Min, Max] (the seed paper's Table 3: informative ≤ 0.2, mostly anomaly ≥ 0.8, all).
type Regime struct {
	Name     string
	Min, Max float64
}

// Regimes are the named proxy-share regimes.
var Regimes = map[string]Regime{
	"informative": {"informative", 0.002, 0.2},
	"mostly":      {"mostly", 0.8, 0.95},
	"all":         {"all", 0.002, 0.95},
}

// Composite is one training image: a road frame with proxies pasted in.
type Composite struct {
	W, H   int
	BGR    []byte  // BGR24
	Labels []uint8 // LabelProxy on pasted pixels, LabelIgnore elsewhere (filled in later)
	Share  float64 // fraction of pixels that are pasted
	Desc   string  // what went in, for provenance
}

// Composer pastes proxies into backgrounds, deterministically for a seed and an index.
type Composer struct {
	W, H        int
	Backgrounds []string
	Proxies     []Proxy
	Regime      Regime
	Seed        uint64
}

// Compose builds composite i.
func (c *Composer) Compose(i int) (*Composite, error) {
	if len(c.Backgrounds) == 0 || len(c.Proxies) == 0 {
		return nil, fmt.Errorf("%w: composing needs at least one background and one proxy", ErrConfig)
	}
	rng := rand.New(rand.NewPCG(c.Seed, uint64(i)))
	bgPath := c.Backgrounds[rng.IntN(len(c.Backgrounds))]
	bg, err := decode(bgPath)
	if err != nil {
		return nil, err
	}
	canvas := image.NewRGBA(image.Rect(0, 0, c.W, c.H))
	draw.BiLinear.Scale(canvas, canvas.Bounds(), bg, bg.Bounds(), draw.Src, nil)
	labels := make([]uint8, c.W*c.H)
	for j := range labels {
		labels[j] = LabelIgnore
	}
	lo, hi := math.Log(c.Regime.Min), math.Log(c.Regime.Max)
	target := math.Exp(lo + rng.Float64()*(hi-lo))
	total := float64(c.W * c.H)
	covered := 0
	desc := []string{filepath.Base(bgPath)}
	for try := 0; try < 40 && float64(covered) < 0.9*target*total; try++ {
		p := c.Proxies[rng.IntN(len(c.Proxies))]
		want := target*total - float64(covered)
		if try == 0 && target < 0.5 {
			want *= 0.4 + 0.6*rng.Float64() // several objects, unless one is enough
		}
		want = math.Min(want, 0.6*total)
		n, err := c.paste(canvas, labels, p, want, target > 0.5, rng)
		if err != nil {
			return nil, err
		}
		covered += n
		desc = append(desc, p.Name)
	}
	out := &Composite{W: c.W, H: c.H, BGR: make([]byte, 3*c.W*c.H), Labels: labels,
		Share: float64(covered) / total, Desc: strings.Join(desc, "+")}
	for j := range c.W * c.H {
		out.BGR[3*j], out.BGR[3*j+1], out.BGR[3*j+2] = canvas.Pix[4*j+2], canvas.Pix[4*j+1], canvas.Pix[4*j]
	}
	return out, nil
}

// paste scales proxy p so that its mask covers about area pixels, puts it at a random place (mostly
// low in the frame, on the road; anywhere when fill is set or one time in four) and returns how
// many pixels became proxy pixels.
func (c *Composer) paste(canvas *image.RGBA, labels []uint8, p Proxy, area float64, fill bool, rng *rand.Rand) (int, error) {
	img, err := decode(p.Image)
	if err != nil {
		return 0, err
	}
	mimg, err := decode(p.Mask)
	if err != nil {
		return 0, err
	}
	b := img.Bounds()
	if mimg.Bounds().Size() != b.Size() {
		return 0, fmt.Errorf("%w: proxy mask %s is %v but its image %s is %v", ErrData, p.Mask, mimg.Bounds().Size(), p.Image, b.Size())
	}
	mask := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(mask, mask.Bounds(), mimg, mimg.Bounds().Min, draw.Src)
	objPx := 0
	for _, v := range mask.Pix {
		if v >= 128 {
			objPx++
		}
	}
	if objPx == 0 {
		return 0, fmt.Errorf("%w: proxy mask %s is empty (want 255 on the object)", ErrData, p.Mask)
	}
	s := math.Sqrt(area / float64(objPx))
	sw, sh := max(2, int(float64(b.Dx())*s)), max(2, int(float64(b.Dy())*s))
	if sw > 2*c.W || sh > 2*c.H {
		r := math.Min(2*float64(c.W)/float64(sw), 2*float64(c.H)/float64(sh))
		sw, sh = max(2, int(float64(sw)*r)), max(2, int(float64(sh)*r))
	}
	simg := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.BiLinear.Scale(simg, simg.Bounds(), img, b, draw.Src, nil)
	smask := image.NewGray(image.Rect(0, 0, sw, sh))
	draw.BiLinear.Scale(smask, smask.Bounds(), mask, mask.Bounds(), draw.Src, nil)
	flip := rng.IntN(2) == 1
	cx := int(rng.Float64() * float64(c.W))
	var bottom int
	if fill || rng.IntN(4) == 0 {
		bottom = int(rng.Float64()*float64(c.H)) + sh/2
	} else {
		bottom = int((0.5 + 0.48*rng.Float64()) * float64(c.H)) // standing on the lower half
	}
	x0, y0 := cx-sw/2, bottom-sh
	// Slight photometric jitter so the object does not carry its photo's exposure.
	gain := 0.75 + 0.5*rng.Float64()
	n := 0
	for y := range sh {
		ty := y0 + y
		if ty < 0 || ty >= c.H {
			continue
		}
		for x := range sw {
			sx := x
			if flip {
				sx = sw - 1 - x
			}
			tx := x0 + x
			if tx < 0 || tx >= c.W {
				continue
			}
			m := smask.Pix[y*smask.Stride+sx]
			if m < 128 {
				continue
			}
			si := y*simg.Stride + 4*sx
			di := ty*canvas.Stride + 4*tx
			for k := range 3 {
				canvas.Pix[di+k] = uint8(min(255, float64(simg.Pix[si+k])*gain))
			}
			if labels[ty*c.W+tx] != LabelProxy {
				labels[ty*c.W+tx] = LabelProxy
				n++
			}
		}
	}
	return n, nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrData, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v (want a PNG or JPEG file)", ErrData, path, err)
	}
	return img, nil
}

// RGBA returns the composite as an image (for writing PNG files).
func (c *Composite) RGBA() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, c.W, c.H))
	for j := range c.W * c.H {
		img.Pix[4*j], img.Pix[4*j+1], img.Pix[4*j+2], img.Pix[4*j+3] = c.BGR[3*j+2], c.BGR[3*j+1], c.BGR[3*j], 255
	}
	return img
}

// LabelImage returns labels as a gray image with the given values for proxy and other pixels.
func (c *Composite) LabelImage(proxy, other uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, c.W, c.H))
	for j, v := range c.Labels {
		if v == LabelProxy {
			g.Pix[j] = proxy
		} else {
			g.Pix[j] = other
		}
	}
	return g
}
