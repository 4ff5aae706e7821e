package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// failoverRound runs writers against every node, SIGKILLs the leader, and
// reports how long after the kill the first write that was sent after the
// kill succeeded. Writers keep going through the whole round, so the new
// leader is elected under load.
func failoverRound(writers int, write op, kill func() error, within time.Duration) (time.Duration, error) {
	var killedAt atomic.Int64 // unix nanos; 0 before the kill
	var firstOK atomic.Int64  // completion of the first write sent after the kill
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < writers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < maxOpsPerClient; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent := time.Now().UnixNano()
				if err := write(c, i); err != nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				k := killedAt.Load()
				if k != 0 && sent >= k {
					firstOK.CompareAndSwap(0, time.Now().UnixNano())
				}
			}
		}(c)
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(500 * time.Millisecond) // steady load first
	killedAt.Store(time.Now().UnixNano())
	if err := kill(); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(within)
	for firstOK.Load() == 0 {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no successful write within %s of the kill", within)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Duration(firstOK.Load() - killedAt.Load()), nil
}

func iamdFailover(ic *iamdCluster, rounds, writers int, write op) ([]time.Duration, error) {
	var out []time.Duration
	for r := 0; r < rounds; r++ {
		leader := ic.leader()
		if leader == nil {
			return out, fmt.Errorf("no iamd leader before round %d", r+1)
		}
		d, err := failoverRound(writers, write, func() error { leader.proc.kill(); return nil }, 30*time.Second)
		if err != nil {
			return out, err
		}
		out = append(out, d)
		if err := ic.start(leader); err != nil {
			return out, err
		}
		if err := ic.waitVoters(3, 60*time.Second); err != nil {
			return out, err
		}
		time.Sleep(2 * time.Second) // let the restarted node catch up
	}
	return out, nil
}

func etcdFailover(e *etcdCluster, rounds, writers int, write op) ([]time.Duration, error) {
	var out []time.Duration
	for r := 0; r < rounds; r++ {
		var leader *etcdMember
		for t := 0; t < 100 && leader == nil; t++ {
			if leader = e.leader(); leader == nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if leader == nil {
			return out, fmt.Errorf("no etcd leader before round %d", r+1)
		}
		d, err := failoverRound(writers, write, func() error { leader.proc.kill(); return nil }, 30*time.Second)
		if err != nil {
			return out, err
		}
		out = append(out, d)
		if err := e.restart(leader); err != nil {
			return out, err
		}
		time.Sleep(2 * time.Second)
	}
	return out, nil
}
