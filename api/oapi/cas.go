package oapi

import "iamd/fsm"

// Client CA actions (spec §1.7). A CA still named by a rule cannot be
// deleted (iamd's choice: 9000 ResourceConflict, HTTP 409).

func init() {
	register("CreateCa", "", createCa)
	register("ReadCas", "", readCas)
	register("UpdateCa", "4122", updateCa)
	register("DeleteCa", "4118", deleteCa)
}

func caJSON(ca *fsm.ClientCA) map[string]any {
	return map[string]any{"CaFingerprint": ca.Fingerprint, "CaId": ca.CAID, "Description": ca.Description}
}

func createCa(r *request) (map[string]any, error) {
	var in struct {
		CaPem       *string `json:"CaPem"`
		Description *string `json:"Description"`
		DryRun      *bool   `json:"DryRun"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if str(in.CaPem) == "" {
		return nil, missing("CaPem")
	}
	ca, err := r.api.node.CreateClientCA(r.http.Context(), r.AccountID, *in.CaPem, str(in.Description), r.dryRun)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Ca": caJSON(ca)}, nil
}

func readCas(r *request) (map[string]any, error) {
	var in struct {
		DryRun  *bool `json:"DryRun"`
		Filters *struct {
			CaFingerprints *[]string `json:"CaFingerprints"`
			CaIds          *[]string `json:"CaIds"`
			Descriptions   *[]string `json:"Descriptions"`
		} `json:"Filters"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, ca := range r.api.node.ClientCAs(r.AccountID) {
		f := in.Filters
		if f != nil && !(anyIn(f.CaFingerprints, ca.Fingerprint) && anyIn(f.CaIds, ca.CAID) && anyIn(f.Descriptions, ca.Description)) {
			continue
		}
		out = append(out, caJSON(ca))
	}
	return map[string]any{"Cas": out}, nil
}

func updateCa(r *request) (map[string]any, error) {
	var in struct {
		CaId        *string `json:"CaId"`
		Description *string `json:"Description"`
		DryRun      *bool   `json:"DryRun"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if str(in.CaId) == "" {
		return nil, missing("CaId")
	}
	ca, err := r.api.node.UpdateClientCA(r.http.Context(), r.AccountID, *in.CaId, str(in.Description), r.dryRun)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Ca": caJSON(ca)}, nil
}

func deleteCa(r *request) (map[string]any, error) {
	var in struct {
		CaId   *string `json:"CaId"`
		DryRun *bool   `json:"DryRun"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if str(in.CaId) == "" {
		return nil, missing("CaId")
	}
	return map[string]any{}, r.api.node.DeleteClientCA(r.http.Context(), r.AccountID, *in.CaId, r.dryRun)
}
