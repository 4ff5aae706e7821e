package vault

import (
	"strings"

	"iamd/iamerr"
)

func invalidf(format string, args ...any) error { return iamerr.New(iamerr.Invalid, format, args...) }

func notFoundf(format string, args ...any) error {
	return iamerr.New(iamerr.NotFound, format, args...)
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
