package awsquery

import (
	"encoding/base64"
	"time"

	"iamd/server"
)

// IAM virtual MFA device actions (spec §4.6; Wasabi, account-security.md
// §2.1, including its misspelt DeletetVirtualMFADevice).

func init() {
	registerAction("CreateVirtualMFADevice", createVirtualMFADevice)
	registerAction("EnableMFADevice", func(r *Request) (any, error) { return pairAction(r, false) })
	registerAction("ResyncMFADevice", func(r *Request) (any, error) { return pairAction(r, true) })
	registerAction("DeactivateMFADevice", deactivateMFADevice)
	registerAction("DeleteVirtualMFADevice", deleteVirtualMFADevice)
	registerAction("DeletetVirtualMFADevice", deleteVirtualMFADevice)
	registerAction("ListMFADevices", listMFADevices)
	registerAction("ListVirtualMFADevices", listVirtualMFADevices)
	registerAction("GetMFADevice", getMFADevice)
}

var (
	// SerialNumberRule: serialNumberType.
	SerialNumberRule = Rule{Min: 9, Max: 256, Pattern: NewPattern(`[\w+=/:,.@-]+`)}
	// AuthCodeRule: authenticationCodeType and tokenCodeType.
	AuthCodeRule = Rule{Min: 6, Max: 6, Pattern: NewPattern(`[\d]+`)}
	// VirtualMFADeviceNameRule: virtualMFADeviceName.
	VirtualMFADeviceNameRule = Rule{Min: 1, Max: 226, Pattern: namePattern}
)

type virtualMFADeviceXML struct {
	SerialNumber     string `xml:"SerialNumber"`
	Base32StringSeed string `xml:"Base32StringSeed,omitempty"`
	QRCodePNG        string `xml:"QRCodePNG,omitempty"`
}

type createVirtualMFADeviceResult struct {
	VirtualMFADevice virtualMFADeviceXML `xml:"VirtualMFADevice"`
}

func createVirtualMFADevice(r *Request) (any, error) {
	p := r.Params
	name := p.String("VirtualMFADeviceName", VirtualMFADeviceNameRule.Req())
	path := p.String("Path", PathRule)
	tags := p.Tags("Tags", false)
	if err := p.Err(); err != nil {
		return nil, err
	}
	d, err := r.Node.CreateVirtualMFADevice(r.Ctx, r.Caller, name, path, tags)
	if err != nil {
		return nil, err
	}
	// Both blobs are base64 on the wire; the seed blob holds the base32
	// text (aws CLI --bootstrap-method Base32StringSeed writes it out).
	return createVirtualMFADeviceResult{VirtualMFADevice: virtualMFADeviceXML{SerialNumber: d.SerialNumber,
		Base32StringSeed: base64.StdEncoding.EncodeToString(d.Base32Seed),
		QRCodePNG:        base64.StdEncoding.EncodeToString(d.QRCodePNG)}}, nil
}

// pairAction is EnableMFADevice and ResyncMFADevice. UserName is required
// by AWS's model; iamd accepts it absent for the caller (Wasabi: "user
// blank for root").
func pairAction(r *Request, resync bool) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	serial := p.String("SerialNumber", SerialNumberRule.Req())
	code1 := p.String("AuthenticationCode1", AuthCodeRule.Req())
	code2 := p.String("AuthenticationCode2", AuthCodeRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	if resync {
		return nil, r.Node.ResyncMFADevice(r.Ctx, r.Caller, name, serial, code1, code2)
	}
	return nil, r.Node.EnableMFADevice(r.Ctx, r.Caller, name, serial, code1, code2)
}

func deactivateMFADevice(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	serial := p.String("SerialNumber", SerialNumberRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeactivateMFADevice(r.Ctx, r.Caller, name, serial)
}

func deleteVirtualMFADevice(r *Request) (any, error) {
	serial := r.Params.String("SerialNumber", SerialNumberRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteVirtualMFADevice(r.Ctx, r.Caller, serial)
}

type mfaDeviceXML struct {
	UserName     string    `xml:"UserName"`
	SerialNumber string    `xml:"SerialNumber"`
	EnableDate   time.Time `xml:"EnableDate"`
}

type listMFADevicesResult struct {
	MFADevices  List[mfaDeviceXML] `xml:"MFADevices"`
	IsTruncated bool               `xml:"IsTruncated"`
	Marker      string             `xml:"Marker,omitempty"`
}

// mfaUserName is the UserName shown for a device: the user's, or for the
// root the account ID (AWS shows the root's name; iamd has none).
func mfaUserName(r *Request, d server.MFADeviceInfo) string {
	if d.Root {
		return r.Caller.AccountID
	}
	return d.UserName
}

func listMFADevices(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListMFADevices(r.Caller, name, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listMFADevicesResult{MFADevices: make(List[mfaDeviceXML], len(page.Items)), IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, d := range page.Items {
		out.MFADevices[i] = mfaDeviceXML{UserName: mfaUserName(r, d), SerialNumber: d.SerialNumber, EnableDate: d.EnableDate.UTC()}
	}
	return out, nil
}

type virtualMFAListItemXML struct {
	SerialNumber string     `xml:"SerialNumber"`
	User         *UserXML   `xml:"User,omitempty"`
	EnableDate   *time.Time `xml:"EnableDate,omitempty"`
	Tags         List[Tag]  `xml:"Tags,omitempty"`
}

type listVirtualMFADevicesResult struct {
	VirtualMFADevices List[virtualMFAListItemXML] `xml:"VirtualMFADevices"`
	IsTruncated       bool                        `xml:"IsTruncated"`
	Marker            string                      `xml:"Marker,omitempty"`
}

func listVirtualMFADevices(r *Request) (any, error) {
	p := r.Params
	status := p.String("AssignmentStatus", Rule{Enum: []string{"Assigned", "Unassigned", "Any"}})
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListVirtualMFADevices(r.Caller, status, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listVirtualMFADevicesResult{VirtualMFADevices: make(List[virtualMFAListItemXML], len(page.Items)),
		IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, d := range page.Items {
		item := virtualMFAListItemXML{SerialNumber: d.SerialNumber, Tags: TagsOf(d.Tags)}
		switch {
		case d.User != nil:
			u := UserOf(d.User, false)
			item.User = &u
		case d.Root:
			item.User = &UserXML{UserID: r.Caller.AccountID, Arn: server.RootArn(r.Caller.AccountID)}
		}
		if !d.EnableDate.IsZero() {
			t := d.EnableDate.UTC()
			item.EnableDate = &t
		}
		out.VirtualMFADevices[i] = item
	}
	return out, nil
}

type getMFADeviceResult struct {
	UserName     string    `xml:"UserName,omitempty"`
	SerialNumber string    `xml:"SerialNumber"`
	EnableDate   time.Time `xml:"EnableDate"`
}

func getMFADevice(r *Request) (any, error) {
	p := r.Params
	serial := p.String("SerialNumber", SerialNumberRule.Req())
	name := p.String("UserName", ExistingUserNameRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	d, err := r.Node.GetMFADevice(r.Caller, name, serial)
	if err != nil {
		return nil, err
	}
	return getMFADeviceResult{UserName: mfaUserName(r, d), SerialNumber: d.SerialNumber, EnableDate: d.EnableDate.UTC()}, nil
}
