package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The kernel's ARP (neighbour) table is one table for every network
// namespace of the machine, and its garbage-collection thresholds are
// global: past gc_thresh3 (1024 by default) a new entry is refused
// ("neighbor table overflow!") and connecting to a lab machine fails with
// "no route to host" or an i/o timeout. A lab of N machines holds about
// N entries in the operator namespace plus a few per machine (its pair
// peer, the operator), so 500 machines overflow the default (seen: the
// first apply at 500 hosts lost 11 of them).
const neighPath = "/proc/sys/net/ipv4/neigh/default/"

// neighThresholds are gc_thresh1..3 of the neighbour table.
type neighThresholds [3]int

func readNeigh() (neighThresholds, error) {
	var t neighThresholds
	for i := range t {
		b, err := os.ReadFile(neighPath + fmt.Sprintf("gc_thresh%d", i+1))
		if err != nil {
			return t, err
		}
		if t[i], err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return t, err
		}
	}
	return t, nil
}

func writeNeigh(t neighThresholds) error {
	for i, v := range t {
		if err := os.WriteFile(neighPath+fmt.Sprintf("gc_thresh%d", i+1), []byte(strconv.Itoa(v)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// neighFor returns thresholds that fit a lab of n machines on top of
// what the machine already allows (never lower than cur): room for 8
// entries per machine plus the defaults for everything else.
func neighFor(cur neighThresholds, n int) neighThresholds {
	want := neighThresholds{cur[0], 512 + 4*(n+1), 1024 + 8*(n+1)}
	for i := range want {
		want[i] = max(want[i], cur[i])
	}
	return want
}

// raiseNeigh raises the neighbour table's thresholds for a lab of n
// machines and returns a function that puts back the values it found.
func raiseNeigh(n int) (restore func() error, err error) {
	cur, err := readNeigh()
	if err != nil {
		return nil, fmt.Errorf("neighbour table: %w", err)
	}
	want := neighFor(cur, n)
	if want == cur {
		return func() error { return nil }, nil
	}
	if err := writeNeigh(want); err != nil {
		return nil, fmt.Errorf("raise the neighbour table's gc_thresh for %d lab machines: %w", n, err)
	}
	return func() error { return writeNeigh(cur) }, nil
}
