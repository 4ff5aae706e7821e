//go:build !linux

package main

import "bufio"

// readHidden reads a line; without a portable way to turn echo off here,
// the input is visible.
func readHidden(in *bufio.Reader) (string, error) { return in.ReadString('\n') }
