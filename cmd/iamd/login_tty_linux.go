package main

import (
	"bufio"
	"os"

	"golang.org/x/sys/unix"
)

// readHidden reads a line from the terminal with echo off.
func readHidden(in *bufio.Reader) (string, error) {
	fd := int(os.Stdin.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return in.ReadString('\n')
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return in.ReadString('\n')
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	return in.ReadString('\n')
}
