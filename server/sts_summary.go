package server

import "iamd/fsm"

// mfaSummary counts the account's roles and MFA devices for
// GetAccountSummary: Roles, MFADevices, MFADevicesInUse and
// AccountMFAEnabled (1 when the root has a device).
func mfaSummary(st *fsm.State, acct string) (roles, devices, inUse, rootMFA int) {
	roles = len(st.IAMRoles(acct))
	for _, d := range st.VirtualMFADevices(acct) {
		devices++
		if d.UserID != "" {
			inUse++
		}
		if d.UserID == acct {
			rootMFA = 1
		}
	}
	return roles, devices, inUse, rootMFA
}
