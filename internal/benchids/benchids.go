// Package benchids derives the IDs and names of the benchmarks' generated
// states.
// They have the shape of the random key and user IDs iamd issues
// (server/ids.go, server/iam.go), so the state's ID indexes branch as a
// real state's do (sequential decimal IDs branch ten ways per character,
// which makes the radix trees deeper), and are derived from the user's
// number, so every run builds the same state.
package benchids

import (
	"crypto/sha256"
	"fmt"
)

// UsersPerAccount is how many users of a generated state share an
// account: few enough that Apply's per-account quota (5,000) never binds.
const UsersPerAccount = 500

// AccountID is the account of user i.
func AccountID(i int) string { return fmt.Sprintf("%012d", 100000000000+i/UsersPerAccount) }

// UserName is user i's name.
func UserName(i int) string { return fmt.Sprintf("s%07d", i) }

// KeyID is user i's access key ID.
func KeyID(i int) string { return derive("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, i) }

// UserID is user i's user ID.
func UserID(i int) string { return derive("AIDA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 17, i) }

// derive returns prefix and n characters of alphabet derived from i.
func derive(prefix, alphabet string, n, i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("iamd-bench-%s-%d", prefix, i)))
	out := []byte(prefix)
	for _, b := range sum[:n] {
		out = append(out, alphabet[int(b)%len(alphabet)])
	}
	return string(out)
}
