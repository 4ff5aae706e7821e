package server

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"iamd/fsm"
)

// A flush forgets the cached secret and the use slot of a key deleted
// since the last flush, and keeps those of keys that still exist.
func TestFlushForgetsDeletedKeys(t *testing.T) {
	const rootKey = "AKIADEVROOT00000001"
	n, err := New(Options{Dev: &DevOptions{ListenAddress: "127.0.0.1:0", RootTokenID: "root",
		RootAccessKeyID: rootKey, RootSecretAccessKey: "devrootsecretdevrootsecretdevrootsecret0"},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	root := n.State().AccessKey(rootKey)
	if root == nil {
		t.Fatal("dev node has no root key")
	}
	now := time.Now().UTC()
	user := fsm.IAMUser{AccountID: root.AccountID, UserID: "AIDAKEYS", UserName: "keys", Path: "/", CreateDate: now}
	if _, err := applyStep[any](ctx, n, fsm.CmdCreateUser, fsm.CreateUser{User: user}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"AKIAKEEP", "AKIAGONE"} {
		k := fsm.AccessKey{AccessKeyID: id, AccountID: root.AccountID, UserID: user.UserID, UserName: user.UserName,
			Status: "Active", CreateDate: now, SecretCiphertext: []byte{1}}
		if _, err := applyStep[any](ctx, n, fsm.CmdCreateAccessKey, fsm.CreateAccessKey{Key: k, UserName: user.UserName}); err != nil {
			t.Fatal(err)
		}
	}
	cache := func() {
		for _, id := range []string{"AKIAKEEP", "AKIAGONE"} {
			n.recordKeyUse(id, time.Now(), "iam", "us-east-1")
			n.iam.secrets.store(id, &openSecret{secret: "s-" + id})
		}
	}
	cached := func(id string) (slot, secret bool) {
		_, slot = n.iam.uses.load(id)
		_, secret = n.iam.secrets.load(id)
		return slot, secret
	}

	cache()
	if err := n.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	if slot, secret := cached("AKIAGONE"); !slot || !secret {
		t.Fatalf("existing key's slot %v, secret %v after a flush; want both kept", slot, secret)
	}
	if _, err := applyStep[any](ctx, n, fsm.CmdDeleteAccessKey, fsm.DeleteAccessKey{AccountID: root.AccountID, UserID: user.UserID, AccessKeyID: "AKIAGONE"}); err != nil {
		t.Fatal(err)
	}
	if err := n.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	if slot, secret := cached("AKIAGONE"); slot || secret {
		t.Fatalf("deleted key's slot %v, secret %v after a flush; want both forgotten", slot, secret)
	}
	if slot, secret := cached("AKIAKEEP"); !slot || !secret {
		t.Fatalf("kept key's slot %v, secret %v; want both kept", slot, secret)
	}
}
