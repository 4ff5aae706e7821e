package vault

import "iamd/iamerr"

func invalidf(format string, args ...any) error { return iamerr.New(iamerr.Invalid, format, args...) }

func notFoundf(format string, args ...any) error {
	return iamerr.New(iamerr.NotFound, format, args...)
}
