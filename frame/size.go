package frame

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads "WxH" (e.g. "1024x512", any case, spaces around it ignored) with each side in
// lo..hi: the one size grammar of flags, config files and source specs.
func ParseSize(s string, lo, hi int) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if ok {
		w, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			h, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || w < lo || h < lo || w > hi || h > hi {
		return 0, 0, fmt.Errorf("%q is not WxH with each side %d..%d (e.g. 1024x512)", s, lo, hi)
	}
	return w, h, nil
}
