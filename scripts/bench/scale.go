package main

import (
	"fmt"
	"net/http"
)

// runScale is the scale phase (scale.go): TODO in the next commit.
func runScale(o options, root, dir, bin string, client *http.Client) error {
	return fmt.Errorf("-scale is not implemented yet")
}
