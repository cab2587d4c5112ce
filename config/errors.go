package config

import "errors"

// ErrConfig reports a bad configuration file or value; the message quotes the key.
var ErrConfig = errors.New("bad configuration")
