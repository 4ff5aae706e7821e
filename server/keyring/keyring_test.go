package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	k := Generate()
	sealed := k.Seal([]byte("wJalrXUtnFEMI/K7MDENG"), "AKIAEXAMPLE")
	if bytes.Contains(sealed, []byte("wJalrXUtnFEMI")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open(sealed, "AKIAEXAMPLE")
	if err != nil || string(got) != "wJalrXUtnFEMI/K7MDENG" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "AKIAOTHER"); err == nil {
		t.Fatal("a sealed value opened under another owner")
	}
	if _, err := Generate().Open(sealed, "AKIAEXAMPLE"); err == nil {
		t.Fatal("a sealed value opened under another keyring")
	}
}

func TestHMACIsKeyedAndStable(t *testing.T) {
	k := Generate()
	if k.HMAC("hvs.abc") != k.HMAC("hvs.abc") {
		t.Fatal("HMAC is not deterministic")
	}
	if k.HMAC("hvs.abc") == Generate().HMAC("hvs.abc") {
		t.Fatal("HMAC does not depend on the key")
	}
}

// HMAC reuses pooled states: each answer must still be the plain
// HMAC-SHA256 of its input alone, also when goroutines share the pool.
func TestHMACMatchesFreshHMAC(t *testing.T) {
	k := Generate()
	want := func(s string) string {
		m := hmac.New(sha256.New, k.hmacKey)
		m.Write([]byte(s))
		return "h" + hex.EncodeToString(m.Sum(nil))
	}
	inputs := []string{"", "hvs.abc", "audit\x00hvs.abc", strings.Repeat("x", 200)}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(inputs))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				s := inputs[(g+i)%len(inputs)]
				if got := k.HMAC(s); got != want(s) {
					errs <- fmt.Sprintf("HMAC(%q) = %s, want %s", s, got, want(s))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load on empty dir = %v, want ErrNotExist", err)
	}
	k := Generate()
	if err := k.Save(dir); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir + "/" + FileName)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("keyring mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k2.HMAC("x") != k.HMAC("x") {
		t.Fatal("reloaded keyring differs")
	}
	os.WriteFile(dir+"/"+FileName, []byte("{garbage"), 0o600)
	if _, err := Load(dir); err == nil {
		t.Fatal("corrupt keyring loaded")
	}
}
