package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// probeTimeout bounds each attempt of the failover probe: a write that
// was proposed to the dead leader may hang until a server-side timeout
// (etcd: 7 s), so the probe gives up on it and sends a new one, as a
// client with a request timeout would.
const probeTimeout = 300 * time.Millisecond

// failoverRound runs writers against every node, SIGKILLs the leader, and
// reports how long after the kill a probe, sending one write at a time to
// the surviving nodes in turn (each attempt bounded by probeTimeout), first
// succeeded. The writers keep going through the whole round, so the new
// leader is elected under load.
func failoverRound(writers int, write op, kill func() error, probe func(ctx context.Context, attempt int) error, within time.Duration) (time.Duration, error) {
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
				if err := write(c, i); err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}(c)
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(500 * time.Millisecond) // steady load first
	killed := time.Now()
	if err := kill(); err != nil {
		return 0, err
	}
	for attempt := 0; time.Since(killed) < within; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := probe(ctx, attempt)
		cancel()
		if err == nil {
			return time.Since(killed), nil
		}
		if ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond) // refused at once: do not spin
		}
	}
	return 0, fmt.Errorf("no successful write within %s of the kill", within)
}

func iamdFailover(ic *iamdCluster, rounds, writers int, write op, probeWrite func(ctx context.Context, n *iamdNode, round, attempt int) error) ([]time.Duration, error) {
	var out []time.Duration
	for r := 0; r < rounds; r++ {
		leader := ic.leader()
		if leader == nil {
			return out, fmt.Errorf("no iamd leader before round %d", r+1)
		}
		var survivors []*iamdNode
		for _, n := range ic.nodes {
			if n != leader {
				survivors = append(survivors, n)
			}
		}
		probe := func(ctx context.Context, attempt int) error {
			return probeWrite(ctx, survivors[attempt%len(survivors)], r, attempt)
		}
		d, err := failoverRound(writers, write, func() error { leader.proc.kill(); return nil }, probe, 30*time.Second)
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
		var survivors []*clientv3.Client
		for i, m := range e.members {
			if m != leader {
				survivors = append(survivors, e.clients[i])
			}
		}
		probe := func(ctx context.Context, attempt int) error {
			_, err := survivors[attempt%len(survivors)].Put(ctx, fmt.Sprintf("bench/probe/%d/%d", r, attempt), etcdValue)
			return err
		}
		d, err := failoverRound(writers, write, func() error { leader.proc.kill(); return nil }, probe, 30*time.Second)
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
